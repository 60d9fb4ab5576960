"""Rows per second that ``Store.append_steps`` writes to SQLite, beside raw sqlite3 into the same schema.

    python benchmarks/store_write.py [--rows 10000] [--batches 10] [--repeat 5]

Each side writes ``--batches`` batches of ``--rows`` (step, loss, elapsed)
rows into a fresh runner database (WAL, synchronous=NORMAL, as runner sets
it), one transaction per batch. "runner" is ``Store.append_steps``, what the
training loop calls at each flush. "sqlite3" is the same two statements a
flush makes (bump the run's counters, insert the rows with one executemany)
written by hand with the standard library. The best of ``--repeat`` is
reported; the ratio is the share of raw sqlite3's speed that the store keeps.
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


def batches(n_batches: int, n_rows: int) -> list[list[tuple[int, float, float]]]:
    return [[(i, 1.0 / (i + 1), 0.001 * i) for i in range(b * n_rows, (b + 1) * n_rows)] for b in range(n_batches)]


def with_store(path: Path, data: list[list[tuple[int, float, float]]]) -> float:
    """Seconds for the store to append every batch."""
    with open_store(str(path)) as store:
        run_id = store.create_run(CONFIG, device="cpu")
        began = time.perf_counter()
        for batch in data:
            store.append_steps(run_id, batch)
        return time.perf_counter() - began


def with_sqlite3(path: Path, data: list[list[tuple[int, float, float]]]) -> float:
    """Seconds for hand-written sqlite3 to do what append_steps does, into the same schema."""
    with open_store(str(path)) as store:  # the schema, and a run to write to
        run_id = store.create_run(CONFIG, device="cpu")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        began = time.perf_counter()
        for batch in data:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "UPDATE runs SET heartbeat_at = ?, steps_done = steps_done + ?, final_loss = ? WHERE id = ?",
                (time.strftime("%Y-%m-%d %H:%M:%S"), len(batch), batch[-1][1], run_id),
            )
            conn.executemany("INSERT INTO steps (run_id, step, loss, elapsed) VALUES (?, ?, ?, ?)",
                             [(run_id, *row) for row in batch])
            conn.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows per batch (one flush)")
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    data = batches(args.batches, args.rows)
    total = args.batches * args.rows
    best = {"runner": float("inf"), "sqlite3": float("inf")}
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            for name, write in (("runner", with_store), ("sqlite3", with_sqlite3)):
                best[name] = min(best[name], write(Path(tmp) / f"{name}-{attempt}.db", data))
    print(f"{args.batches} batches of {args.rows:,} rows into SQLite {sqlite3.sqlite_version}; best of {args.repeat}")
    print(f"{'':<10}{'rows/s':>12}{'ms per batch':>14}")
    for name, seconds in best.items():
        print(f"{name:<10}{total / seconds:>12,.0f}{1000 * seconds / args.batches:>14.1f}")
    print(f"runner keeps {best['sqlite3'] / best['runner']:.0%} of raw sqlite3's speed")


if __name__ == "__main__":
    main()
