"""Where runs, every step's loss and every recorded metric are kept: SQLite by default, or PostgreSQL.

    store = open_store()                      # resolve_url(None): $RUNNER_DB, else sqlite:///experiments.db
    run_id = store.create_run(config, device="cpu")
    store.append_steps(run_id, [(0, 1.25, 0.01), (1, 1.10, 0.02)], metrics=[("accuracy", 1, 0.5)])
    store.finish_run(run_id, RunStatus.COMPLETED, final_loss=1.10, best_loss=1.10)

A run marked lost records why in ``run_events``; a lost run whose process
writes again (append_steps, heartbeat, finish_run) takes its status back, and
that is recorded too (``events``).

Every method is one transaction. Database errors come out as StorageError
and missing run ids as RunNotFound, each with a one-line message. Nothing
here imports torch, and opening a database whose schema is current does not
import alembic.

Store's methods live in one mixin each, by concern: lifecycle (create, write, finish, delete a run),
liveness (heartbeats, lost runs), sweeps (enqueue, claim, stop), requeues (resume, retries),
keeping (checkpoints and weights), lookups (one run's record and summaries) and streams (bulk reads).
"""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from runner.errors import NoDatabase
from runner.store.artifacts import Artifact, ArtifactInfo
from runner.store.db import (
    check_schema,
    create_engine_for,
    display_url,
    empty_engine,
    ensure_schema,
    sqlite_path,
    sqlite_writable,
    to_url,
)
from runner.store.keeping import Keeping
from runner.store.lifecycle import Lifecycle
from runner.store.liveness import Liveness
from runner.store.lookups import Lookups
from runner.store.models import HEAD
from runner.store.records import LossSummary, RunEvent, RunRecord
from runner.store.requeues import Requeues
from runner.store.sampling import StepExtent
from runner.store.streams import STREAM_BATCH, Streams
from runner.store.summaries import MetricSummary
from runner.store.sweeps import Sweeps

__all__ = [
    "Artifact", "ArtifactInfo",
    "DEFAULT_URL", "STREAM_BATCH", "URL_VARIABLE", "LossSummary", "MetricSummary", "RunEvent", "RunRecord", "StepExtent", "Store",
    "open_store", "resolve_url",
]

DEFAULT_URL = "sqlite:///experiments.db"
URL_VARIABLE = "RUNNER_DB"  # the environment variable that names the database when no URL is given


def resolve_url(url: str | None = None) -> str:
    """The database to use: ``url`` if given, else $RUNNER_DB, else DEFAULT_URL (./experiments.db)."""
    return url or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def open_store(url: str | None = None, create: bool = True, must_exist: bool = False) -> Store:
    """Open the store at ``resolve_url(url)``.

    ``create`` (commands that write): a new database gets runner's schema and an old one
    is upgraded. Without it (commands that only read) nothing is created or upgraded:
    a database that does not exist yet, or has no tables, reads as one with no runs; an
    out-of-date one is refused; a SQLite file this process cannot write (a read-only
    filesystem) is opened read-only, and the store then marks no run lost. Either way a
    database that is not runner's (runner.store.db.check_ours) is refused untouched.
    ``must_exist`` (commands that work on stored runs: rm, resume, stop, show, a sweep's workers): a SQLite
    file that does not exist is refused (NoDatabase) rather than created or read as empty.
    """
    url = resolve_url(url)
    engine = create_engine_for(url)
    path = sqlite_path(make_url(to_url(url)))
    where = path or display_url(url)
    if must_exist and path is not None and not os.path.exists(path):
        engine.dispose()
        raise NoDatabase(f"no database at {path}; give --db the file your runs are in (or set ${URL_VARIABLE})")
    try:
        if path is not None and not os.path.exists(path):
            revision = None  # nothing to look at, and a read-only look would fail
        else:
            probe = create_engine_for(url, read_only=True) if path is not None else engine
            try:
                revision = check_schema(probe, where, create)  # before anything (WAL mode too) is written
            finally:
                if probe is not engine:
                    probe.dispose()
        if not create and revision is None:
            engine.dispose()
            return Store(empty_engine(), url, where, writable=False)
        if create and revision != HEAD:
            ensure_schema(engine, where)
        if not create and path is not None and not sqlite_writable(path):
            engine.dispose()
            return Store(create_engine_for(url, read_only=True), url, where, writable=False)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, url, where)


class Store(Lifecycle, Liveness, Sweeps, Requeues, Keeping, Lookups, Streams):
    """A runner database: every method is one transaction (see the module's docstring). Its methods are its
    mixins', one module each, all standing on runner.store.base.StoreBase."""
