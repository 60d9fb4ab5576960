"""A sweep worker: one process holding one device slot, taking queued runs until none fit.

Started by the scheduler as ``python -m runner.worker``; its environment
already limits BLAS threads and, for a GPU slot, sets CUDA_VISIBLE_DEVICES
to that one GPU (which torch then calls cuda:0).
"""

from __future__ import annotations

import argparse
import sys
import traceback


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m runner.worker")
    parser.add_argument("--db", default=None, help="database URL (default: $RUNNER_DB, so that passwords stay out of ps)")
    parser.add_argument("--sweep", required=True)
    parser.add_argument("--device", required=True, help="the slot's device as recorded, e.g. cpu or cuda:1")
    parser.add_argument("--accepts", required=True, help="comma-separated requested devices this slot takes")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--fail-fast", action="store_true", help="stop claiming after a failed or diverged run")
    parser.add_argument("--step-timeout", type=float, default=None, help="seconds a step may take")
    return parser.parse_args(argv)


def local_device(slot: str, backend: str):
    """The device inside this process: a GPU slot sees only its GPU, which torch calls cuda:0."""
    from runner.devices import resolve_device

    return resolve_device("cpu" if slot == "cpu" else "cuda:0", backend)


def run_one(record, registry, store, slot: str, stop, step_timeout: float | None = None) -> str:
    """Train one claimed run; returns its final status."""
    from runner.runs import config_of, execute

    config = config_of(record)
    try:
        device = local_device(slot, registry.get("model", config.model).spec.backend)
    except Exception:  # e.g. the plugin is not installed where this worker runs
        store.finish_run(record.id, "failed", None, None, traceback.format_exc())
        return "failed"
    return execute(record.id, config, registry, store, device, stop=stop, step_timeout=step_timeout).status


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    from runner.registry import load_registry
    from runner.signals import graceful_stop
    from runner.store import open_store

    if args.threads and "torch" in sys.modules:  # otherwise torch reads OMP_NUM_THREADS, set by the scheduler
        sys.modules["torch"].set_num_threads(args.threads)
    registry = load_registry()
    store = open_store(args.db)
    accepts = args.accepts.split(",")
    with graceful_stop() as stop:
        while not stop.requested:
            record = store.claim(args.sweep, accepts, args.device)
            if record is None:
                break
            status = run_one(record, registry, store, args.device, stop, args.step_timeout)
            if args.fail_fast and status in ("failed", "diverged"):
                break
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
