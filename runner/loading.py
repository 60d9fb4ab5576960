"""A finished run's model, rebuilt from its plugin and config with the weights it kept: ``runner.load_model``."""

from __future__ import annotations

from typing import Any

from runner.errors import RunStateError

__all__ = ["WHICH", "load_model", "device_for", "no_weights"]

WHICH = {"final": "weights", "best": "best"}  # load_model's ``which``: the artifact kind it loads


def load_model(run_id: int, db: str | None = None, device: str = "cpu", which: str = "final") -> Any:
    """Run ``run_id``'s model, built by its plugin with its settings, holding its final weights (``which="best"``:
    those of its best evaluation, kept with ``--keep-best``), on ``device``.

    The object is the plugin's model (``loss_and_grads``, ``parameters()``);
    for a model built on an ``nn.Module``, ``runner.checkpoints.state.module_of``
    (the model itself or its ``.module``) gives the module for inference.
    ``db`` is a database URL or file (default: $RUNNER_DB, else experiments.db).
    Loading never runs code from the stored weights.
    """
    from runner.checkpoints.weight_files import load_weights
    from runner.config import specs_for
    from runner.registry import load_registry
    from runner.seeding import generators_kept
    from runner.store import open_store
    from runner.training.runs import config_of
    from runner.training.trainer import prepare

    if which not in WHICH:
        raise ValueError(f"which must be one of {', '.join(map(repr, WHICH))}, not {which!r}")
    with open_store(db, create=False) as store:
        record = store.get_run(run_id)
        kept = store.latest_artifact(run_id, WHICH[which])
    if kept is None:
        raise RunStateError(no_weights(run_id, record.status, which))
    resolved = specs_for(load_registry(), config_of(record))
    # Built as the run built it (same seed, data shapes and settings), then given the kept weights;
    # the caller's random generators are left as they were.
    with generators_kept():
        model = prepare(resolved, device_for(device, resolved.backend)).model
    load_weights(model, resolved.backend, kept.data, resolved.label)
    return model


def device_for(device: str, backend: str) -> Any:
    from runner.training.devices import resolve_device

    return resolve_device(device, backend)


def no_weights(run_id: int, status: str, which: str = "final") -> str:
    """Why a run has no weights to give, and what to do."""
    if which == "best":
        return (f"run {run_id} kept no best weights: it ran without --keep-best METRIC (or before its first evaluation "
                "ended); train it again with --keep-best val_loss, say, and --eval-every N")
    if status in ("queued", "running"):
        return f"run {run_id} is {status}: it keeps its weights when it ends; try again then"
    return (f"run {run_id} kept no weights (it ran with --no-weights, ended {status} before keeping them, "
            "or its weights were larger than the limit); train it again to keep them")
