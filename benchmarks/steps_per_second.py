"""Steps per second per model: the bare tutorial loop beside the same training inside runner.

    python benchmarks/steps_per_second.py [--device cpu|cuda] [--steps 500] [--repeat 3] [--model NAME ...]

"bare" is the tutorial's own loop (tests/support/tutorial.py). "runner" is
``runner.training.runs.start``, the code behind ``runner run``: plugin model, the one
training loop, losses flushed to a real SQLite file. Both run the tutorial's
sizes; the best of ``--repeat`` runs is reported, and the ratio is the share of
the bare speed that runner keeps.

On ``--device cuda`` the tutorial's loops, written for the CPU and reading each
loss with ``.item()`` (a wait for the GPU every step), are no fair baseline: "bare"
is then the plugin's own model and optimizer stepped in a plain loop that keeps the
losses on the GPU and reads them once at the end, and the NumPy model is left out.

The ``metrics`` rows time the tutorial's nn.Sequential reporting two
training metrics (the mean and the largest absolute error) with
``--eval-every 10`` (``metered`` in tests/support/metric_plugins.py),
against a bare loop that computes and keeps the same values itself. The
``features`` rows add ``--schedule cosine --warmup 50``, ``--early-stop val_loss
--patience 10000`` (watched at every evaluation, never firing) and ``--keep-best
val_loss``; with torch.optim.SGD, as its bare loop, which steps torch's own schedulers, counts evaluations without
improvement and copies the weights at each new best.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.config import resolve  # noqa: E402
from runner.registry import load_registry  # noqa: E402
from runner.request import RunChoice  # noqa: E402
from runner.store import open_store  # noqa: E402
from runner.training.runs import start  # noqa: E402
from tests.support.tutorial import SECTIONS, seeded  # noqa: E402

METRICS_ROW = "metrics"  # the metered model, two training metrics, --eval-every 10
# ... and with a cosine schedule after a warm-up, early stopping that never fires, and the best weights kept
FEATURES_ROW = "features"
WARMUP, PATIENCE = 50, 10_000
EVAL_EVERY = 10


def bare(section: str) -> float:
    """Steps per second of the tutorial's loop (it runs its own 500 steps)."""
    reference = SECTIONS[section][0]
    began = time.perf_counter()
    losses = seeded(reference, 0)
    return len(losses) / (time.perf_counter() - began)


def tutorial_net():
    """The tutorial's nn.Sequential, its data and a held-out split, drawn after runner's seeding; the loss function."""
    import torch

    seeded(lambda: None, 0)
    x, y = torch.randn(64, 1000), torch.randn(64, 10)
    model = torch.nn.Sequential(torch.nn.Linear(1000, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    return model, (x, y), (torch.randn(32, 1000), torch.randn(32, 10)), torch.nn.MSELoss(reduction="sum")


def bare_with_metrics(steps: int) -> float:
    """Steps per second of the tutorial's nn loop that also computes, evaluates and keeps what runner records."""
    import torch

    model, (x, y), (x_val, y_val), loss_fn = tutorial_net()
    kept: list[tuple[float, ...]] = []
    began = time.perf_counter()
    for t in range(steps):
        loss, error = forward(model, x, y, loss_fn)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= 1e-4 * param.grad
        kept.append((t, loss.item(), error.mean().item(), error.max().item(), time.perf_counter() - began))
        if (t + 1) % EVAL_EVERY == 0 or t == steps - 1:
            evaluate(model, (x_val, y_val), loss_fn, kept, t)
    return steps / (time.perf_counter() - began)


def forward(model, x, y, loss_fn):
    """The loss and the absolute errors (for the two metrics) of one forward pass."""
    y_pred = model(x)
    return loss_fn(y_pred, y), (y_pred - y).abs()


KEEP_GENERATORS = False  # --bare-keeps-generators: the bare loops' evaluations keep the global generators as runner's do


def evaluate(model, held_out, loss_fn, kept: list, t: int) -> float:
    """As runner evaluates: in evaluation mode, without gradients, then back; the values kept, the loss returned."""
    import contextlib

    import torch

    from runner.seeding import generators_kept

    model.eval()
    with torch.no_grad(), generators_kept() if KEEP_GENERATORS else contextlib.nullcontext():
        loss, error = forward(model, *held_out, loss_fn)
        kept.append((t, loss.item(), error.mean().item(), error.max().item()))
    model.train()
    return kept[-1][1]


def choice(section: str, steps: int, device: str) -> RunChoice:
    """The run each row times inside runner."""
    if section == METRICS_ROW:
        return RunChoice("metered", steps=steps, seed=0, device=device, eval_every=EVAL_EVERY)
    if section == FEATURES_ROW:
        return RunChoice("metered", "sgd", steps=steps, seed=0, device=device, eval_every=EVAL_EVERY, schedule="cosine",
                         warmup=WARMUP, early_stop="val_loss", patience=PATIENCE, keep_best="val_loss")
    _, optimizer, lr = SECTIONS[section]
    return RunChoice(section.split("-")[0], optimizer, lr, steps=steps, seed=0, device=device)


def bare_on_device(section: str, steps: int, registry, device: str) -> float:
    """Steps per second of the plugin's model and optimizer in a plain loop on ``device``, losses kept there."""
    import torch

    from runner.training.trainer import prepare

    trainer = prepare(resolve(registry, choice(section, steps, device)))
    losses = []
    torch.cuda.synchronize()
    began = time.perf_counter()
    for _ in range(steps):
        losses.append(trainer.step()[0].detach())
    torch.stack(losses).cpu()  # the one wait for the device, as runner's flush is
    return steps / (time.perf_counter() - began)


def bare_with_features(steps: int) -> float:
    """bare_with_metrics' loop with a warm-up and cosine schedule, a patience count and the best weights copied."""
    import torch

    model, (x, y), (x_val, y_val), loss_fn = tutorial_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, 1 / WARMUP, 1.0, WARMUP)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps - WARMUP)
    schedule = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine], [WARMUP])
    kept: list[tuple[float, ...]] = []
    best, since_best = float("inf"), 0
    best_weights: dict[str, torch.Tensor] = {}
    began = time.perf_counter()
    for t in range(steps):
        loss, error = forward(model, x, y, loss_fn)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        kept.append((t, loss.item(), error.mean().item(), error.max().item(), time.perf_counter() - began))
        if (t + 1) % EVAL_EVERY == 0 or t == steps - 1:
            val_loss = evaluate(model, (x_val, y_val), loss_fn, kept, t)
            since_best = 0 if val_loss < best else since_best + 1
            if val_loss < best:
                best = val_loss
                best_weights.update((k, v.detach().clone()) for k, v in model.state_dict().items())
            if since_best >= PATIENCE:
                break
    return steps / (time.perf_counter() - began)


def inside_runner(section: str, steps: int, registry, store, device: str = "cpu") -> float:
    finished = start(resolve(registry, choice(section, steps, device)), store)
    assert finished.outcome.status == "completed", finished.outcome.error
    return finished.outcome.steps_per_second


def bare_row(section: str, steps: int, registry, device: str) -> float:
    """The baseline a row's runner figure is divided by."""
    if device != "cpu":
        return bare_on_device(section, steps, registry, device)
    if section == FEATURES_ROW:
        return bare_with_features(steps)
    return bare_with_metrics(steps) if section == METRICS_ROW else bare(section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where both loops train")
    parser.add_argument("--steps", type=int, default=500, help="steps of each runner run (the tutorial loop runs 500)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", action="append", choices=sorted([*SECTIONS, METRICS_ROW, FEATURES_ROW]), help="default: all")
    parser.add_argument("--bare-keeps-generators", action="store_true",
                        help="the bare loops' evaluations save and restore the global generators, as runner's do")
    args = parser.parse_args()
    global KEEP_GENERATORS
    KEEP_GENERATORS = args.bare_keeps_generators

    import torch

    registry = load_registry(extra_modules=["tests.support.metric_plugins"])
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{os.path.join(tmp, 'bench.db')}")
        where = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {where}; best of {args.repeat}")
        print(f"{'model':<16}{'bare steps/s':>14}{'runner steps/s':>16}{'runner/bare':>13}")
        sections = args.model or [*SECTIONS, METRICS_ROW, FEATURES_ROW]
        for section in sections if args.device == "cpu" else [s for s in sections if s != "numpy"]:
            b = max(bare_row(section, args.steps, registry, args.device) for _ in range(args.repeat))
            r = max(inside_runner(section, args.steps, registry, store, args.device) for _ in range(args.repeat))
            print(f"{section:<16}{b:>14,.0f}{r:>16,.0f}{r / b:>12.0%}")
        store.close()


if __name__ == "__main__":
    main()
