"""Runs written straight into the store: fast, with losses and statuses chosen exactly."""

from __future__ import annotations

import math

import pytest

from runner.config import RunConfig

HOSTILE = "<img src=x onerror=alert(1)>"


def add_run(
    store,
    losses,
    *,
    model="numpy",
    optimizer="gd",
    lr=1e-3,
    seed=0,
    name=None,
    status=None,
    sweep=None,
    hidden=100,
    dt=0.01,
    error=None,
    device="cpu",
    dataset="random",
    steps=None,
    metrics=None,
    optimizer_options=None,
    **model_params,
) -> int:
    """A run with these per-step losses; status defaults to completed, or diverged after a non-finite loss.

    ``metrics`` maps a name to its values: one per step, or (step, value) pairs (an evaluation every N steps).
    """
    config = RunConfig(
        model=model, optimizer=optimizer, dataset=dataset, lr=lr, steps=steps or max(len(losses), 1), seed=seed, name=name,
        model_params={"hidden": hidden, **model_params}, optimizer_options=optimizer_options or {}, dataset_params={"batch": 8},
    )
    run_id = store.create_run(config, device, sweep=sweep)
    metric_rows = [
        (name, *(pair if isinstance(pair, tuple) else (i, pair)))
        for name, values in (metrics or {}).items() for i, pair in enumerate(values)
    ]
    store.append_steps(run_id, [(i, float(v), (i + 1) * dt) for i, v in enumerate(losses)], metrics=metric_rows)
    finite = [v for v in losses if math.isfinite(v)]
    if status is None:
        status = "completed" if len(finite) == len(losses) else "diverged"
    final = float(losses[-1]) if losses else None
    store.finish_run(run_id, status, final_loss=final, best_loss=min(finite) if finite else None, error=error)
    return run_id


def evaluations(values, every):
    """(step, value) pairs as --eval-every records them: after steps every-1, 2*every-1, ..."""
    return [((i + 1) * every - 1, float(v)) for i, v in enumerate(values)]


def rising(n, start=0.1, end=0.95, seed=0):
    """A noisy accuracy-like curve that rises from ``start`` towards ``end``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return np.clip(end - (end - start) * 0.8 ** np.arange(n) + 0.01 * rng.standard_normal(n), 0, 1).tolist()


def decay(n, start=10.0, rate=0.9, seed=0):
    """A noisy, positive, decreasing loss curve."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return (start * rate ** np.arange(n) * (1 + 0.05 * rng.standard_normal(n)) + 1e-3).tolist()


@pytest.fixture
def mixed(store):
    """Seven runs: a seed group of three, two singles, a diverged run with a hostile name, a failed one."""
    ids = [add_run(store, decay(50, seed=s), seed=s) for s in range(3)]
    ids.append(add_run(store, decay(50), lr=1e-2))
    ids.append(add_run(store, decay(50), model="tensor", optimizer="adam"))
    ids.append(add_run(store, [5.0, 4.0, float("nan"), float("nan")], model="explode", name=HOSTILE))
    ids.append(add_run(store, [5.0, 3.0, 2.5], model="crash", status="failed", error="Traceback...\nRuntimeError: boom"))
    return ids
