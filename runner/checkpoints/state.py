"""A trainer's whole state between two steps, taken and put back: what a resumed run needs to continue exactly.

``capture(trainer, step)`` copies, to the host: the parameters; the
optimizer's state (its ``state_dict()`` when it has ``state_dict`` and
``load_state_dict``, as torch.optim's do; otherwise its attributes that
hold arrays, tensors, numbers and lists of them, which is all the NumPy
rules keep); the model's own state (its ``state_dict()`` when it has one;
else the buffers of its ``nn.Module``, such as batch-norm statistics); the
generators a run draws from (Python's, NumPy's, torch's CPU one and, once
CUDA is initialised, every GPU's); the mini-batch sampler's position; and the lr schedule's state.
``restore(trainer, checkpoint)`` checks that it fits (the same backend,
parameter names and shapes, optimizer and sampler) before it changes
anything, then puts it all back; ``check_fits`` is that check alone. The
parameters' names are those of the model's ``nn.Module`` (None for a model
without one, and in checkpoints taken before names were kept: their shapes,
in order, are checked then). Copying a GPU's values to the host waits for the device: take
checkpoints between steps, now and then, never per step.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy

from runner.errors import CheckpointError

__all__ = ["STATE_DICT", "ATTRIBUTES", "BUFFERS", "Checkpoint", "capture", "restore", "check_fits", "host_copy",
    "copy_into", "parameter_names", "module_of"]

STATE_DICT = "state_dict"  # the object's own state_dict()/load_state_dict()
ATTRIBUTES = "attributes"  # what runner sees of an object without them: its plain attributes
BUFFERS = "buffers"  # an nn.Module's buffers, for a model that has no state_dict() of its own


@dataclass
class Checkpoint:
    """Everything a run needs to continue after ``step`` steps as if it had never stopped."""

    step: int  # steps done: the resumed run's first step has this number
    backend: str  # "numpy" or "torch"
    params: list[Any]  # copies on the host, in the order of parameters()
    optimizer: dict[str, Any]  # {"kind": STATE_DICT or ATTRIBUTES, "state": ..., "type": its class's name}
    generators: dict[str, Any]  # "python", "numpy", and for torch "torch" and (CUDA initialised) "cuda"
    sampler: dict[str, Any] | None = None  # the BatchSampler's state (--batch-size), else None
    elapsed: float = 0.0  # seconds of training before the checkpoint: the resumed run's times go on from it
    label: str = ""  # who it was taken from (plugin, package and model), for messages
    extra: dict[str, Any] = field(default_factory=dict)  # the model's own state: {"kind": ..., "state": ...} under "model"
    names: list[str] | None = None  # the parameters' names, in the order of params (None: the model names none)
    schedule: dict[str, Any] | None = None  # the lr schedule's state_dict() (runner.training.scheduling), else None


def capture(trainer: Any, step: int, elapsed: float = 0.0) -> Checkpoint:
    """A copy of ``trainer``'s state after ``step`` steps (taken between steps)."""
    params = list(trainer.model.parameters())
    extra = {}
    model_state = _model_state(trainer.model)
    if model_state is not None:
        extra["model"] = model_state
    return Checkpoint(
        step=step,
        backend=trainer.backend,
        params=[host_copy(p) for p in params],
        optimizer=_optimizer_state(trainer.optimizer, params),
        generators=_generators(trainer.backend),
        sampler=trainer.batches.state() if trainer.batches is not None else None,
        elapsed=elapsed,
        label=trainer.label,
        extra=extra,
        names=parameter_names(trainer.model, params),
        schedule=_copied(trainer.schedule.state_dict()) if getattr(trainer, "schedule", None) is not None else None,
    )


def restore(trainer: Any, checkpoint: Checkpoint) -> None:
    """Put ``checkpoint`` back into ``trainer`` (freshly prepared from the same config); a CheckpointError if it does not fit."""
    params = list(trainer.model.parameters())
    check_fits(trainer, checkpoint, params)
    copy_into(params, checkpoint.params)
    model_state = checkpoint.extra.get("model")
    if model_state is not None:
        _load_model_state(trainer, model_state)
    _load_optimizer_state(trainer, params, checkpoint.optimizer)
    if checkpoint.schedule is not None:  # after the optimizer's: torch's schedulers keep the lr in its param_groups
        _load_schedule_state(trainer, checkpoint.schedule)
    if trainer.batches is not None and checkpoint.sampler is not None:
        trainer.batches.load_state(checkpoint.sampler)
    _set_generators(checkpoint.backend, checkpoint.generators)  # last: nothing above draws, but nothing may after


# --- fitting: everything is checked before anything changes ---

def check_fits(trainer: Any, checkpoint: Checkpoint, params: list[Any] | None = None) -> None:
    """A CheckpointError, saying what differs, unless ``checkpoint`` fits ``trainer``; changes nothing."""
    params = list(trainer.model.parameters()) if params is None else params
    taken = f"the checkpoint (taken from {checkpoint.label or 'an unnamed model'} after {checkpoint.step} steps)"
    own = "resume a run from its own checkpoints"
    if checkpoint.backend != trainer.backend:
        raise CheckpointError(f"{taken} is of a {checkpoint.backend} model, {trainer.label} is {trainer.backend}; {own}")
    names = parameter_names(trainer.model, params)
    if checkpoint.names is not None and names is not None and list(checkpoint.names) != names:
        raise CheckpointError(f"{taken} holds parameters {_names(checkpoint.names)}, {trainer.label} has "
                              f"{_names(names)}: it was taken from another model or other settings; {own}")
    saved = [_describe(p) for p in checkpoint.params]
    now = [_describe(p) for p in params]
    if saved != now:
        raise CheckpointError(f"{taken} holds parameters {_shapes(saved)}, {trainer.label} has {_shapes(now)}: "
                              f"it was taken from another model or other settings; {own}")
    if (checkpoint.sampler is None) != (trainer.batches is None):
        taken_with = checkpoint.sampler is not None
        raise CheckpointError(f"{taken} was taken {'with' if taken_with else 'without'} --batch-size, this run "
                              f"{'without' if taken_with else 'with'} it; {own}")
    if trainer.batches is not None and checkpoint.sampler is not None:
        rows, size = checkpoint.sampler.get("rows"), checkpoint.sampler.get("batch_size")
        if (rows, size) != (trainer.batches.rows, trainer.batches.batch_size):
            raise CheckpointError(f"{taken} drew batches of {size} from {rows} rows, this run "
                                  f"{trainer.batches.batch_size} from {trainer.batches.rows}; {own}")
    schedule = getattr(trainer, "schedule", None)
    if (checkpoint.schedule is None) != (schedule is None):
        raise CheckpointError(f"{taken} was taken {'with' if checkpoint.schedule is not None else 'without'} an lr "
                              f"schedule, this run {'with' if schedule is not None else 'without'} one; {own}")
    problem = _optimizer_misfit(trainer.optimizer, params, checkpoint.optimizer)
    if problem:
        raise CheckpointError(f"{taken} holds the state of another optimizer or other settings ({problem}); "
                              f"resume a run with the optimizer and settings it was started with")


def _optimizer_misfit(optimizer: Any, params: list[Any], saved: Mapping[str, Any]) -> str | None:
    """What in ``saved`` does not fit ``optimizer`` as far as can be told without loading it; None when all does."""
    if saved.get("kind") != _optimizer_kind(optimizer):
        return f"state kept as {saved.get('kind')}, not {_optimizer_kind(optimizer)}"
    problem = _state_misfit(optimizer, params, saved)
    if problem is None and saved.get("type") not in (None, type(optimizer).__name__):  # None: taken before types were kept
        return f"the state of {saved.get('type')}, not {type(optimizer).__name__}"
    return problem


def _state_misfit(optimizer: Any, params: list[Any], saved: Mapping[str, Any]) -> str | None:
    state, now = saved.get("state"), _optimizer_state(optimizer, params, copy=False)["state"]
    if saved["kind"] == STATE_DICT:  # torch.optim: the same groups of as many parameters
        groups = [len(g.get("params", ())) for g in state.get("param_groups", ())] if isinstance(state, dict) else None
        own = [len(g.get("params", ())) for g in now.get("param_groups", ())] if isinstance(now, dict) else None
        return None if groups == own else f"parameter groups of {groups}, not {own}"
    if not isinstance(state, dict) or set(state) != set(now):
        return f"it keeps {', '.join(sorted(now))}; the checkpoint {', '.join(sorted(state or ()))}"
    return next((f"{name}: {p}" for name in state for p in [_mismatch(state[name], now[name])] if p), None)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
    return f"[{shown}]"


def _describe(p: Any) -> tuple[tuple[int, ...], str]:
    return tuple(p.shape), str(p.dtype).replace("torch.", "")


def _shapes(described: list[tuple[tuple[int, ...], str]]) -> str:
    return "[" + ", ".join(f"{'x'.join(map(str, shape)) or 'scalar'} {dtype}" for shape, dtype in described) + "]"


# --- parameters and the model's own state ---

def host_copy(value: Any) -> Any:
    """A copy on the host: a CPU tensor for a tensor, a NumPy array for an array."""
    if hasattr(value, "detach"):
        return value.detach().to("cpu", copy=True)
    return numpy.array(value, copy=True)


def copy_into(params: list[Any], saved: list[Any]) -> None:
    """Copy into the very arrays or tensors the model and the optimizer hold."""
    for p, value in zip(params, saved):
        if hasattr(p, "detach"):
            import torch

            with torch.no_grad():
                p.copy_(value)
        else:
            numpy.copyto(p, value)


def parameter_names(model: Any, params: list[Any]) -> list[str] | None:
    """The names of ``params`` (the model's parameters(), in order) in the model's nn.Module; None when the
    model has no module, or its parameters are not the module's in the module's order."""
    module = module_of(model)
    if module is None:
        return None
    named = list(module.named_parameters())
    if len(named) != len(params) or any(p is not q for (_, p), q in zip(named, params)):
        return None
    return [name for name, _ in named]


def _has_state_dict(obj: Any) -> bool:
    return callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None))


def module_of(model: Any) -> Any:
    """The nn.Module behind a model (the model itself, or ``model.module`` as runner.autograd keeps it), if any."""
    import sys

    torch: Any = sys.modules.get("torch")
    if torch is None:
        return None
    for candidate in (model, getattr(model, "module", None)):
        if isinstance(candidate, torch.nn.Module):
            return candidate
    return None


def _model_state(model: Any) -> dict[str, Any] | None:
    if _has_state_dict(model):
        return {"kind": STATE_DICT, "state": _copied(dict(model.state_dict()))}
    module = module_of(model)
    buffers = {name: host_copy(b) for name, b in module.named_buffers()} if module is not None else {}
    return {"kind": BUFFERS, "state": buffers} if buffers else None


def _load_model_state(trainer: Any, saved: Mapping[str, Any]) -> None:
    model = trainer.model
    try:
        if saved["kind"] == STATE_DICT:
            model.load_state_dict(_copied(saved["state"]))
            return
        module = module_of(model)
        buffers = dict(module.named_buffers()) if module is not None else {}
        if set(buffers) != set(saved["state"]):
            raise ValueError(f"the model's buffers are {sorted(buffers)}, the checkpoint's {sorted(saved['state'])}")
        import torch

        with torch.no_grad():
            for name, value in saved["state"].items():
                buffers[name].copy_(value)
    except CheckpointError:
        raise
    except Exception as exc:
        raise CheckpointError(f"{trainer.label} could not take the model state in the checkpoint "
                              f"({type(exc).__name__}: {exc}); resume a run from its own checkpoints") from exc


# --- the optimizer and its schedule ---

def _load_schedule_state(trainer: Any, saved: Mapping[str, Any]) -> None:
    try:
        trainer.schedule.load_state_dict(_copied(saved))
    except Exception as exc:
        raise CheckpointError(f"the lr schedule of {trainer.label} could not take the state in the checkpoint "
                              f"({type(exc).__name__}: {exc}); resume a run with the schedule it was started with") from exc


def _optimizer_kind(optimizer: Any) -> str:
    return STATE_DICT if _has_state_dict(optimizer) else ATTRIBUTES


def _optimizer_state(optimizer: Any, params: list[Any], copy: bool = True) -> dict[str, Any]:
    """Its state_dict(), else its plain attributes, leaving out those that hold the parameters (saved apart)."""
    copied = _copied if copy else _same
    if _has_state_dict(optimizer):
        return {"kind": STATE_DICT, "state": copied(optimizer.state_dict()), "type": type(optimizer).__name__}
    ids = {id(p) for p in params}
    attributes = {name: copied(value) for name, value in vars(optimizer).items()
                  if _plain(value) and not _holds(value, ids)}
    _warn_unsaved(optimizer, [name for name, value in vars(optimizer).items()
                              if name not in attributes and not _holds(value, ids)])
    return {"kind": ATTRIBUTES, "state": attributes, "type": type(optimizer).__name__}


_WARNED: set[tuple[type, tuple[str, ...]]] = set()


def _warn_unsaved(optimizer: Any, names: list[str]) -> None:
    """Say once per optimizer class that attributes runner cannot save make a resume inexact."""
    key = (type(optimizer), tuple(names))
    if not names or key in _WARNED:
        return
    _WARNED.add(key)
    print(f"warning: {type(optimizer).__name__}'s {', '.join(repr(n) for n in names)} cannot be kept in a checkpoint, "
          "so a resumed run may differ; give the optimizer state_dict() and load_state_dict() (docs/plugins.md)",
          file=sys.stderr)


def _load_optimizer_state(trainer: Any, params: list[Any], saved: Mapping[str, Any]) -> None:
    optimizer = trainer.optimizer
    state = saved["state"]
    try:
        if saved["kind"] == STATE_DICT:
            optimizer.load_state_dict(_copied(state))  # a copy: torch.optim keeps CPU tensors it is given, and updates them
            return
        device = _device_of(params)
        for name, value in state.items():
            setattr(optimizer, name, _placed(value, device))  # copies: the checkpoint stays as it was
    except Exception as exc:
        raise CheckpointError(f"the optimizer of {trainer.label} could not take the state in the checkpoint "
                              f"({type(exc).__name__}: {exc}); resume a run with the optimizer and settings "
                              "it was started with") from exc


def _same(value: Any) -> Any:
    return value


def _plain(value: Any) -> bool:
    """Whether runner can save ``value`` as it is: numbers, strings, arrays, tensors, and lists, tuples and dicts of them."""
    if value is None or isinstance(value, (bool, int, float, str, numpy.ndarray, numpy.generic)):
        return not (isinstance(value, numpy.ndarray) and value.dtype.hasobject)
    if hasattr(value, "detach") and hasattr(value, "shape"):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (str, int)) and _plain(v) for k, v in value.items())
    return False


def _holds(value: Any, ids: set[int]) -> bool:
    if id(value) in ids:
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds(v, ids) for v in value)
    if isinstance(value, dict):
        return any(_holds(v, ids) for v in value.values())
    return False


def _mismatch(saved: Any, now: Any) -> str | None:
    """Why ``saved`` cannot stand for ``now`` (arrays of other shapes, lists of other lengths); None when it can."""
    if saved is None or now is None:
        return None  # a buffer made on the first step (SGD's momentum)
    if hasattr(saved, "shape") and hasattr(now, "shape"):
        return None if tuple(saved.shape) == tuple(now.shape) else f"shape {tuple(saved.shape)}, not {tuple(now.shape)}"
    if isinstance(saved, (list, tuple)) and isinstance(now, (list, tuple)):
        if len(saved) != len(now):
            return f"{len(saved)} items, not {len(now)}"
        return next((p for p in map(_mismatch, saved, now) if p), None)
    return None


def _device_of(params: list[Any]) -> Any:
    return getattr(params[0], "device", None) if params else None


# --- copying trees of values ---

def _copied(value: Any) -> Any:
    """A deep copy of a tree of dicts, lists and tuples, with tensors and arrays copied to the host."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copied(v) for v in value)
    if isinstance(value, numpy.ndarray) or hasattr(value, "detach"):
        return host_copy(value)
    return value


def _placed(value: Any, device: Any) -> Any:
    """A copy of a tree with each tensor on ``device`` (None: the host) and each array copied."""
    if isinstance(value, dict):
        return {k: _placed(v, device) for k, v in value.items()}
    if isinstance(value, list):
        return [_placed(v, device) for v in value]
    if isinstance(value, tuple):
        return tuple(_placed(v, device) for v in value)
    if isinstance(value, numpy.ndarray):
        return numpy.array(value, copy=True)
    if hasattr(value, "detach"):
        return value.detach().to(device if device is not None else "cpu", copy=True)
    return value


# --- the generators ---

def _generators(backend: str) -> dict[str, Any]:
    """Python's, NumPy's and, for torch, the CPU's and (once CUDA is initialised) every GPU's generator states."""
    version, internal, gauss_next = random.getstate()
    kind, keys, pos, has_gauss, cached = numpy.random.get_state()
    states: dict[str, Any] = {
        "python": {"version": version, "state": numpy.array(internal, dtype=numpy.int64), "gauss_next": gauss_next},
        "numpy": {"kind": kind, "keys": numpy.array(keys, copy=True), "pos": int(pos), "has_gauss": int(has_gauss),
                  "cached_gaussian": float(cached)},
    }
    if backend == "torch":
        import torch

        states["torch"] = torch.get_rng_state()
        if torch.cuda.is_initialized():
            states["cuda"] = [s.clone() for s in torch.cuda.get_rng_state_all()]
    return states


def _set_generators(backend: str, states: Mapping[str, Any]) -> None:
    python = states["python"]
    random.setstate((python["version"], tuple(int(v) for v in python["state"]), python["gauss_next"]))
    saved = states["numpy"]
    numpy.random.set_state((saved["kind"], saved["keys"], saved["pos"], saved["has_gauss"], saved["cached_gaussian"]))
    if backend == "torch":
        import torch

        torch.set_rng_state(states["torch"])
        cuda = states.get("cuda")
        if cuda and torch.cuda.is_available():  # a GPU run resumed where there is no GPU cannot be exact anyway
            for index, state in enumerate(cuda[: torch.cuda.device_count()]):
                torch.cuda.set_rng_state(state, index)
