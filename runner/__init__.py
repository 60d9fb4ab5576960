"""runner: a plugin-based experiment runner for PyTorch and NumPy training.

Plugin authors need two things from here: ``hookimpl`` to mark their hook
functions, and the spec classes they register (``ModelSpec``,
``OptimizerSpec``, ``DatasetSpec``, ``ScheduleSpec``). Users of a run's results need
``load_model(RUN)``: the run's model with its final weights. Nothing here
imports torch.

Those names are loaded on first use (PEP 562), so that commands which need
no plugin (``runner ls``, ``runner --help``) import neither pluggy nor the specs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy

    from runner.loading import load_model
    from runner.specs import DatasetSpec, ModelSpec, OptimizerSpec, ScheduleSpec

    hookimpl: pluggy.HookimplMarker

__version__ = "0.1.0"

__all__ = ["hookimpl", "ModelSpec", "OptimizerSpec", "DatasetSpec", "ScheduleSpec", "load_model", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "hookimpl":
        import pluggy

        value: Any = pluggy.HookimplMarker("runner")
    elif name == "load_model":
        from runner.loading import load_model

        value = load_model
    elif name in ("ModelSpec", "OptimizerSpec", "DatasetSpec", "ScheduleSpec"):
        from runner import specs

        value = getattr(specs, name)
    else:
        raise AttributeError(f"module 'runner' has no attribute {name!r}")
    globals()[name] = value  # later lookups are plain attribute reads
    return value
