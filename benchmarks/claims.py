"""Claims per second on PostgreSQL with 2, 8 and 32 claimers at once: compare-and-set against SKIP LOCKED.

    python benchmarks/claims.py [--runs 2000] [--claimers 2,8,32] [--repeat 3]

Each claimer is a process with its own store (as each sweep worker is), and
takes runs of one queued sweep with ``Store.claim`` until none is left.
"skip locked" is ``Store.claim`` as it is on PostgreSQL: the candidate row
is locked with SELECT ... FOR UPDATE SKIP LOCKED, so claimers at once take
different runs. "compare-and-set" is the claim without the lock (what SQLite
still does): every claimer picks the oldest queued run, all but one lose
the UPDATE's race and try again. A claim here is the claim alone (no
training). claims/s = runs / the time from the start signal until the queue
is empty; the best of ``--repeat`` is reported. Needs PostgreSQL on
$PGHOST:$PGPORT (default 127.0.0.1:5432) as $PGUSER (default postgres); the
benchmark creates its own database and drops it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.config import RunConfig  # noqa: E402
from runner.store import Store, open_store  # noqa: E402

PG = dict(host=os.environ.get("PGHOST", "127.0.0.1"), port=int(os.environ.get("PGPORT", "5432")),
          user=os.environ.get("PGUSER", "postgres"))
CONFIG = RunConfig(model="linear", optimizer="sgd", dataset="random", lr=0.01, steps=1, seed=0)


class CompareAndSet(Store):
    """Store.claim without FOR UPDATE SKIP LOCKED: the compare-and-set claim alone."""

    def _skip_locked(self, query):
        return query


def claimer(url: str, skip_locked: bool, ready, go, counts) -> None:
    store = open_store(url)
    if not skip_locked:
        store.__class__ = CompareAndSet
    ready.release()
    go.wait()
    taken = 0
    while store.claim("bench", ["auto"], "cpu") is not None:
        taken += 1
    counts.put(taken)
    store.close()


def measure(url: str, n_runs: int, n_claimers: int, skip_locked: bool) -> float:
    with open_store(url) as store:
        store.delete_runs([r.id for r in store.list_runs()])
        store.enqueue([CONFIG] * n_runs, "bench")
    ready, go, counts = multiprocessing.Semaphore(0), multiprocessing.Event(), multiprocessing.Queue()
    processes = [multiprocessing.Process(target=claimer, args=(url, skip_locked, ready, go, counts))
                 for _ in range(n_claimers)]
    for p in processes:
        p.start()
    for _ in processes:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    taken = sum(counts.get() for _ in processes)
    elapsed = time.perf_counter() - start
    for p in processes:
        p.join()
    assert taken == n_runs, (taken, n_runs)  # every run claimed exactly once
    return n_runs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--claimers", default="2,8,32")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with scratch_database("runner_claims") as url:
        print(f"{'claimers':>8}  {'compare-and-set':>16}  {'skip locked':>12}   (claims/s, {args.runs} runs, "
              f"best of {args.repeat}, {os.cpu_count()} CPUs)")
        for n in (int(c) for c in args.claimers.split(",")):
            cas = max(measure(url, args.runs, n, False) for _ in range(args.repeat))
            skip = max(measure(url, args.runs, n, True) for _ in range(args.repeat))
            print(f"{n:>8}  {cas:>16,.0f}  {skip:>12,.0f}", flush=True)


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database for one benchmark (its URL), dropped at the end however it ends."""
    import psycopg2

    admin = psycopg2.connect(dbname="postgres", connect_timeout=3, **PG)
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
