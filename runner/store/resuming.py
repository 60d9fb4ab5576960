"""Putting interrupted and lost runs back in the queue, to continue from their latest checkpoint.

A run goes back to ``queued`` with its rows up to its latest checkpoint
kept and the rows after it deleted, so that the run, continued from the
checkpoint, stores each step exactly once; its checkpoints and weights stay
until the checkpoint is back in a model (runner.training.keeper).
Without a checkpoint (or with ``restart``) every row, checkpoint and weights
go, their files once the transaction is committed (``removed``), and the
run starts from step 0. The worker that claims it again reads the checkpoint
(runner.training.runs). ``runner resume`` checks that it can before calling this.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select, update

from runner.errors import RunStateError
from runner.status import RESUMABLE, RunStatus
from runner.store.artifacts import ArtifactInfo, prune
from runner.store.models import artifacts, metrics, run_events, runs, steps, utcnow

__all__ = ["INF", "requeue", "resumable", "checkpoint_step", "refusal", "CONTINUED", "EARLY_STOP_KEYS", "reopen_stopped_early"]

INF = float("inf")
REQUEUED, RESUMED = "requeued", "resumed"  # the kinds of run_events this adds
CONTINUED = "continued"  # and this one: a run that stopped early, continued without its early stopping
EARLY_STOP_KEYS = ("early_stop", "patience", "min_delta")  # the config JSON's keys of --early-stop (RunConfig)


def requeue(conn: Connection, run_id: int, restart: bool, strict: bool = True, *,
            removed: list[ArtifactInfo]) -> int | None:
    """Queue run ``run_id`` again; returns the step it will continue from (0: from the start). The files of
    the artifacts it deletes go to ``removed``: remove them (artifacts.remove_files) after the commit.

    Only an interrupted or lost run is queued: for any other, RunStateError
    (``strict``) or None. The status changes first, by compare and set, so
    that of two resumes at once only one requeues it (on PostgreSQL the
    second waits for the first's row lock, then finds the run queued).
    """
    before = conn.execute(select(runs.c.status, runs.c.host).where(runs.c.id == run_id)).one()
    status, host = RunStatus(before.status), before.host
    if not conn.execute(
        update(runs).where(runs.c.id == run_id, runs.c.status.in_(RESUMABLE)).values(status=RunStatus.QUEUED)
    ).rowcount:
        if strict:
            raise RunStateError(refusal(run_id, RunStatus(conn.scalar(select(runs.c.status).where(runs.c.id == run_id)))))
        return None
    checkpoint = None if restart else checkpoint_step(conn, run_id)
    if checkpoint is None:  # from the start: nothing it kept is of use
        removed += prune(conn, run_id, "checkpoint", 0) + prune(conn, run_id, "weights", 0) + prune(conn, run_id, "best", 0)
        checkpoint = 0
    conn.execute(delete(steps).where(steps.c.run_id == run_id, steps.c.step >= checkpoint))
    conn.execute(delete(metrics).where(metrics.c.run_id == run_id, metrics.c.step >= checkpoint))
    of_run = steps.c.run_id == run_id
    last = conn.scalar(select(steps.c.loss).where(of_run).order_by(steps.c.step.desc()).limit(1))
    best = conn.scalar(select(func.min(steps.c.loss)).where(of_run, steps.c.loss > -INF, steps.c.loss < INF))
    conn.execute(
        update(runs).where(runs.c.id == run_id).values(
            steps_done=checkpoint, final_loss=last, best_loss=best, error=None, ended_at=None, heartbeat_at=None,
            pid=None, early_stop=None, **({} if checkpoint else {"started_at": None}),
        )
    )
    how = (f"to continue from its checkpoint at step {checkpoint}" if checkpoint
           else "to start over from step 0" + (" (--restart)" if restart else " (no checkpoint)"))
    conn.execute(insert(run_events).values(run_id=run_id, at=utcnow(), kind=REQUEUED,
                                           detail=f"{status} on {host or 'an unknown host'}; queued again {how}"))
    return checkpoint


def resumable(conn: Connection, sweep: str) -> list[int]:
    """The ids of ``sweep``'s interrupted and lost runs."""
    return list(conn.scalars(select(runs.c.id).where(runs.c.sweep == sweep, runs.c.status.in_(RESUMABLE))
                             .order_by(runs.c.id)))


def checkpoint_step(conn: Connection, run_id: int) -> int | None:
    """The step of the run's newest checkpoint, or None."""
    return conn.scalar(
        select(artifacts.c.step)
        .where(artifacts.c.run_id == run_id, artifacts.c.kind == "checkpoint")
        .order_by(artifacts.c.id.desc())
        .limit(1)
    )


def refusal(run_id: int, status: RunStatus) -> str:
    if status == RunStatus.RUNNING:
        return f"run {run_id} is running; stop it first (Ctrl-C, or SIGTERM to its process), then resume it"
    if status == RunStatus.QUEUED:
        return f"run {run_id} is queued already; `runner resume` with its sweep runs it"
    return (f"run {run_id} is {status}; only interrupted and lost runs resume "
            "(start a new one with `runner run`)")


def reopen_stopped_early(conn: Connection, run_id: int) -> None:
    """Make run ``run_id``, completed by early stopping, an interrupted run without early stopping (its config's
    EARLY_STOP_KEYS and runs.early_stop dropped), for ``requeue`` to continue it from its checkpoint at the stop.
    RunStateError, nothing changed, unless it stopped early and kept that checkpoint."""
    row = conn.execute(select(runs.c.status, runs.c.early_stop, runs.c.config).where(runs.c.id == run_id)).one()
    early = row.early_stop
    if row.status != RunStatus.COMPLETED or not isinstance(early, dict):
        raise RunStateError(f"run {run_id} did not stop early; --no-early-stop continues a run that did")
    if checkpoint_step(conn, run_id) is None:
        raise RunStateError(f"run {run_id} stopped early but kept no checkpoint to continue from; nothing was "
                            "changed; run its config again without --early-stop")
    config = {key: value for key, value in row.config.items() if key not in EARLY_STOP_KEYS}
    if not conn.execute(
        update(runs).where(runs.c.id == run_id, runs.c.status == RunStatus.COMPLETED)
        .values(status=RunStatus.INTERRUPTED, early_stop=None, config=config)
    ).rowcount:
        raise RunStateError(refusal(run_id, RunStatus(conn.scalar(select(runs.c.status).where(runs.c.id == run_id)))))
    conn.execute(insert(run_events).values(run_id=run_id, at=utcnow(), kind=CONTINUED, detail=(
        f"stopped early after step {early.get('step')} ({early.get('reason')}); continued without early stopping "
        "(--no-early-stop)")))
