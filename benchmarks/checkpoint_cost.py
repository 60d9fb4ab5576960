"""Milliseconds to take a checkpoint of each tutorial model: capture (copy to the host) and encode (to bytes).

    python benchmarks/checkpoint_cost.py [--optimizer adam] [--repeat 20] [--batch-size N]

Each model is built at the tutorial's sizes (64 x 1000 inputs, 100 hidden,
10 outputs) on the CPU, trained 3 steps so the optimizer has its state
(Adam's two moments by default), then checkpointed ``--repeat`` times;
the median of each part is reported, with the checkpoint's size. Also
decode and restore, the cost of a resume.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner import engine  # noqa: E402
from runner.checkpoints.codec import decode, encode  # noqa: E402
from runner.checkpoints.state import capture, restore  # noqa: E402
from runner.config import resolve  # noqa: E402
from runner.registry import load_registry  # noqa: E402

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
    print(f"{'model':<12}{'params':>9}{'capture ms':>12}{'encode ms':>11}{'bytes':>10}{'decode ms':>11}{'restore ms':>12}")
    for model in MODELS:
        resolved = resolve(registry, model, args.optimizer, steps=3, seed=0, device="cpu", batch_size=args.batch_size)
        trainer = engine.prepare(resolved)
        engine.train(trainer, 3, lambda rows, metric_rows: None)
        count = sum(int(p.numel() if hasattr(p, "numel") else p.size) for p in trainer.model.parameters())
        capture_ms, checkpoint = timed(functools.partial(capture, trainer, 3), args.repeat)
        encode_ms, data = timed(functools.partial(encode, checkpoint), args.repeat)
        decode_ms, back = timed(functools.partial(decode, data), args.repeat)
        restore_ms, _ = timed(functools.partial(restore, trainer, back), args.repeat)
        print(f"{model:<12}{count:>9,}{capture_ms:>12.2f}{encode_ms:>11.2f}{len(data):>10,}{decode_ms:>11.2f}{restore_ms:>12.2f}")


if __name__ == "__main__":
    main()
