"""Rows per second that ``Store.append_steps`` writes to SQLite, beside raw sqlite3 into the same schema.

    python benchmarks/store_write.py [--rows 10000] [--batches 10] [--metrics 2] [--repeat 5]

Each side writes ``--batches`` batches of ``--rows`` steps into a fresh
runner database (WAL, synchronous=NORMAL, as runner sets it), one
transaction per batch, twice: the losses alone, then the losses with
``--metrics`` metric values per step (as a model reporting that many
training metrics records them). "runner" is ``Store.append_steps``, what
the training loop calls at each flush. "sqlite3" is the statements a flush
makes (bump the run's counters, insert the steps with one executemany, the
metric rows with another) written by hand with the standard library. The
best of ``--repeat`` is reported; the ratio is the share of raw sqlite3's
speed that the store keeps. Rows counts step rows and metric rows alike.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.config import RunConfig  # noqa: E402
from runner.store import open_store  # noqa: E402

CONFIG = RunConfig(model="linear", optimizer="sgd", dataset="random", lr=0.01, steps=1, seed=0)
Batch = tuple[list[tuple[int, float, float]], list[tuple[str, int, float]]]


def batches(n_batches: int, n_rows: int, n_metrics: int) -> list[Batch]:
    names = [f"metric_{k}" for k in range(n_metrics)]
    made = []
    for b in range(n_batches):
        rows = [(i, 1.0 / (i + 1), 0.001 * i) for i in range(b * n_rows, (b + 1) * n_rows)]
        made.append((rows, [(name, i, 0.5 + i * 1e-6) for i, _, _ in rows for name in names]))
    return made


def with_store(path: Path, data: list[Batch]) -> float:
    """Seconds for the store to append every batch."""
    with open_store(str(path)) as store:
        run_id = store.create_run(CONFIG, device="cpu")
        began = time.perf_counter()
        for rows, metric_rows in data:
            store.append_steps(run_id, rows, metrics=metric_rows)
        return time.perf_counter() - began


def with_sqlite3(path: Path, data: list[Batch]) -> float:
    """Seconds for hand-written sqlite3 to do what append_steps does, into the same schema."""
    with open_store(str(path)) as store:  # the schema, and a run to write to
        run_id = store.create_run(CONFIG, device="cpu")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        began = time.perf_counter()
        for rows, metric_rows in data:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "UPDATE runs SET heartbeat_at = ?, steps_done = steps_done + ?, final_loss = ? WHERE id = ?",
                (time.strftime("%Y-%m-%d %H:%M:%S"), len(rows), rows[-1][1], run_id),
            )
            conn.executemany("INSERT INTO steps (run_id, step, loss, elapsed) VALUES (?, ?, ?, ?)",
                             [(run_id, *row) for row in rows])
            if metric_rows:
                conn.executemany("INSERT INTO metrics (run_id, name, step, value) VALUES (?, ?, ?, ?)",
                                 [(run_id, *row) for row in metric_rows])
            conn.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="steps per batch (one flush)")
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--metrics", type=int, default=2, help="metric values per step in the second workload")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    workloads = {"losses": batches(args.batches, args.rows, 0),
                 f"losses + {args.metrics} metrics": batches(args.batches, args.rows, args.metrics)}
    writers = {"runner": with_store, "sqlite3": with_sqlite3}
    best = {(w, name): float("inf") for w in workloads for name in writers}
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):  # interleaved, so that a busy moment hurts every column alike
            for w, data in workloads.items():
                for name, write in writers.items():
                    path = Path(tmp) / f"{name}-{len(w)}-{attempt}.db"
                    best[w, name] = min(best[w, name], write(path, data))
    print(f"{args.batches} batches of {args.rows:,} steps into SQLite {sqlite3.sqlite_version}; best of {args.repeat}")
    print(f"{'':<22}{'runner rows/s':>15}{'sqlite3 rows/s':>16}{'runner keeps':>14}")
    for w, data in workloads.items():
        total = sum(len(rows) + len(metric_rows) for rows, metric_rows in data)
        runner, raw = best[w, "runner"], best[w, "sqlite3"]
        print(f"{w:<22}{total / runner:>15,.0f}{total / raw:>16,.0f}{raw / runner:>14.0%}")


if __name__ == "__main__":
    main()
