"""Milliseconds to take a checkpoint of each tutorial model: capture (copy to the host) and encode (to bytes).

    python benchmarks/checkpoint_cost.py [--optimizer adam] [--repeat 20] [--batch-size N]

Each model is built at the tutorial's sizes (64 x 1000 inputs, 100 hidden,
10 outputs) on the CPU, trained 3 steps so the optimizer has its state
(Adam's two moments by default), then checkpointed ``--repeat`` times;
the median of each part is reported, with the checkpoint's size and the
time to keep it in a SQLite store (one transaction, the older one
removed). Also decode and restore, the cost of a resume, and what one
checkpoint at the default interval costs as a share of training time.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.checkpoints.codec import decode, encode  # noqa: E402
from runner.checkpoints.state import capture, restore  # noqa: E402
from runner.config import RunConfig, resolve  # noqa: E402
from runner.registry import load_registry  # noqa: E402
from runner.request import RunChoice  # noqa: E402
from runner.store import open_store  # noqa: E402
from runner.training import engine  # noqa: E402

MODELS = ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic")


def timed(action, repeat: int) -> tuple[float, object]:
    """The median milliseconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()

    import torch

    registry = load_registry(extra_modules=())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU; optimizer {args.optimizer}; "
          f"median of {args.repeat}")
    print(f"{'model':<12}{'params':>9}{'capture ms':>12}{'encode ms':>11}{'bytes':>10}{'store ms':>10}"
          f"{'decode ms':>11}{'restore ms':>12}{'per 300s':>10}")
    folder = tempfile.TemporaryDirectory()
    store = open_store(str(Path(folder.name) / "bench.db"))
    run_id = store.create_run(RunConfig(model="numpy", optimizer="adam", dataset="random", lr=1e-3, steps=3, seed=0),
                              device="cpu")
    for model in MODELS:
        resolved = resolve(registry, RunChoice(model, args.optimizer, steps=3, seed=0, device="cpu", batch_size=args.batch_size))
        trainer = engine.prepare(resolved)
        engine.train(trainer, 3, lambda rows, metric_rows: None)
        count = sum(int(p.numel() if hasattr(p, "numel") else p.size) for p in trainer.model.parameters())
        capture_ms, checkpoint = timed(functools.partial(capture, trainer, 3), args.repeat)
        encode_ms, data = timed(functools.partial(encode, checkpoint), args.repeat)
        store_ms, _ = timed(functools.partial(store.save_artifact, run_id, "checkpoint", 3, data, "pt"), args.repeat)
        decode_ms, back = timed(functools.partial(decode, data), args.repeat)
        restore_ms, _ = timed(functools.partial(restore, trainer, back), args.repeat)
        # what a checkpoint at the default interval (every 300 s of training) costs, as a share of that time
        share = (capture_ms + encode_ms + store_ms) / 300_000
        print(f"{model:<12}{count:>9,}{capture_ms:>12.2f}{encode_ms:>11.2f}{len(data):>10,}{store_ms:>10.2f}"
              f"{decode_ms:>11.2f}{restore_ms:>12.2f}{share:>10.4%}")
    store.close()
    folder.cleanup()


if __name__ == "__main__":
    main()
