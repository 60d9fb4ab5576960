"""What a plugin registers, and the protocols the registered objects follow.

A plugin registers *specs*: small frozen records that name a thing, give
its defaults and say how to build it. Building is deferred until a run
needs it, so listing plugins never imports torch.

The objects the builders return follow the protocols below. They are
structural (``typing.Protocol``): no base class is required.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from runner.errors import PluginError

__all__ = ["BACKENDS", "Model", "NumpyOptimizer", "Range", "at_least", "above", "fraction", "ModelSpec",
    "OptimizerSpec", "DatasetSpec", "Lazy", "lazy", "check_patterns", "SHAPES", "ScheduleSpec"]

Backend = Literal["numpy", "torch"]
BACKENDS: tuple[str, ...] = ("numpy", "torch")


@runtime_checkable
class Model(Protocol):
    """A trainable model, as the training loop sees it.

    ``parameters()`` gives the arrays or tensors that the optimizer updates
    in place. ``loss_and_grads(x, y)`` runs one forward and backward pass
    and returns the loss (a 0-d tensor or a NumPy scalar, left on its
    device) and one gradient per parameter, in the same order; a gradient
    may be None for a parameter this step did not use (DynamicNet's middle
    layer when it draws zero repeats), and optimizers skip those. Models with
    hand-written backward passes compute their gradients themselves;
    autograd models can wrap themselves in ``runner.autograd.AutogradModel``.

    ``loss_and_grads`` may also return a third item, ``metrics``: a mapping
    from metric names (words such as ``accuracy``; see
    ``runner.metrics.check_metric_name``) to scalars computed in the same
    forward pass, left on the model's device like the loss (0-d tensors,
    NumPy scalars or floats). The names are fixed by the first step. runner
    records them at every step, copied to the host in blocks with the loss.

    A model may define ``evaluate(x, y)``, returning such a mapping for
    held-out data, computed without gradients (it is called under
    ``torch.no_grad()``); include ``"loss"`` to have ``val_loss`` recorded.
    Without it, evaluation calls ``loss_and_grads`` and keeps its loss and
    metrics, discarding the gradients. Each value is recorded as
    ``val_<name>``. Either way a torch model's ``nn.Module`` (the model
    itself, or its ``module`` attribute) is in evaluation mode meanwhile,
    and its training flags and buffers are put back afterwards
    (runner.training.modes).

    A model that keeps state besides its parameters that runner cannot see
    (a generator of its own, a buffer) may define ``state_dict()``,
    returning it as arrays, tensors, numbers, strings, and lists, tuples and
    dicts of them, and ``load_state_dict(state)``, taking it back into a
    freshly built model: checkpoints then save it (runner.checkpoints). An
    ``nn.Module``'s buffers and the global generators are saved without them.
    """

    def parameters(self) -> Sequence[Any]: ...

    def loss_and_grads(self, x: Any, y: Any) -> tuple[Any, Sequence[Any]] | tuple[Any, Sequence[Any], Mapping[str, Any]]: ...


@runtime_checkable
class NumpyOptimizer(Protocol):
    """Updates NumPy parameters in place from gradients handed to it.

    A checkpoint saves its attributes that hold arrays, numbers and lists of
    them (the parameters apart); one that keeps other state (a generator of
    its own) defines ``state_dict()`` and ``load_state_dict(state)``, as a
    torch optimizer does, and those are used instead.
    """

    def step(self, grads: Sequence[Any]) -> None: ...


@dataclass(frozen=True)
class Range:
    """A setting's valid values, for a spec's ``checks``: numbers from ``low`` to ``high``.

    A bound left None is open-ended; ``low_open``/``high_open`` exclude the
    bound itself. A tuple or list setting (Adam's ``betas``) is checked value
    by value. Called with a value, it returns what is wrong, or None.
    Build one with ``at_least``, ``above`` or ``fraction``.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __call__(self, value: Any) -> str | None:
        if isinstance(value, (tuple, list)):
            return f"must each be {self.describe()}" if any(map(self, value)) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None  # a setting's type is checked when --set parses it
        too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        return f"must be {self.describe()}" if too_low or too_high else None

    def describe(self) -> str:
        low = None if self.low is None else f"{'above' if self.low_open else 'at least'} {_number(self.low)}"
        high = None if self.high is None else f"{'below' if self.high_open else 'at most'} {_number(self.high)}"
        return " and ".join(part for part in (low, high) if part)


def _number(value: float) -> str:
    """100000, not 1e+05; 0.5 as 0.5."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def at_least(low: float) -> Range:
    """``low`` or more: ``{"hidden": at_least(1)}``."""
    return Range(low)


def above(low: float) -> Range:
    """More than ``low``: ``{"eps": above(0)}``."""
    return Range(low, low_open=True)


def fraction() -> Range:
    """From 0 up to but not including 1, as decay rates are: ``{"betas": fraction()}``."""
    return Range(0, 1, high_open=True)


def _check_checks(checks: Any, settings: Mapping[str, Any]) -> None:
    """``checks`` maps some of ``settings`` to callables that accept each default."""
    if not isinstance(checks, Mapping):
        raise TypeError(f"checks must map setting names to checks such as at_least(1), not {checks!r}")
    for key, check in checks.items():
        if key not in settings:
            raise TypeError(f"checks: {key!r} is not one of the settings ({', '.join(settings) or 'none'})")
        if not callable(check):
            raise TypeError(f"checks: the check of {key!r} must be callable, not {check!r}")
        problem = check(settings[key])
        if problem:
            raise TypeError(f"checks: the default {key}={settings[key]!r} fails its own check: {problem}")


def _positive_float(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise TypeError(f"{name} must be a positive finite number, not {value!r}")


@dataclass(frozen=True)
class ModelSpec:
    """A model plugin.

    ``build(d_in, d_out, device, **params)`` returns a ``Model``. ``d_in``
    and ``d_out`` come from the dataset's shapes; ``params`` are this
    spec's ``params`` with the user's ``--set`` overrides applied. Draw
    initial weights on the CPU (torch's or NumPy's global generator, which
    runner seeds), then move them to ``device`` (a ``torch.device``, or the
    string ``"cpu"`` for NumPy models), so that one seed gives one
    starting point on every device.

    ``optimizer``, ``lr`` and ``optimizer_options`` are the defaults a run
    uses when the user does not choose; so are ``dataset`` (None: the
    built-in ``random``) and ``steps`` (None: 500, the tutorial's loop).

    ``shapes`` says which datasets the model fits: a pattern for x and one
    for y, each a space-separated list of dimensions, where a name stands
    for any size (the same name means the same size in x and y) and a
    number for exactly that size. ``("n d_in", "n d_out")`` (rows of
    features, as the built-in models take) and ``("n", "n")`` (one number
    per sample) are in ``runner.shapes``, and so is ``CLASSES``
    (``("n d_in", "n")``: a classifier, whose targets are class indices).
    A run whose dataset does not fit fails before it starts, naming both.
    None accepts any shapes.

    ``metrics`` declares whether higher or lower is better for the
    model's metrics, ``{"accuracy": "max"}``; undeclared names follow
    ``runner.metrics.direction`` (accuracy-like names ``max``, the rest
    ``min``). ``val_<name>`` takes the direction of ``<name>``.

    ``checks`` maps some of ``params`` to their valid values, checked
    before a run is stored: ``{"hidden": at_least(1)}`` (see ``Range``), or
    any callable that takes the value and returns what is wrong with it
    (a phrase such as ``"must be even"``) or None.
    """

    name: str
    build: Callable[..., Model]
    backend: Backend = "torch"
    optimizer: str = "sgd"
    lr: float = 1e-4
    optimizer_options: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    dataset: str | None = None
    shapes: tuple[str, str] | None = None
    steps: int | None = None
    metrics: Mapping[str, str] = field(default_factory=dict)
    checks: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_common(self.name, self.build, "build")
        _check_directions(self.metrics)
        _check_checks(self.checks, self.params)
        if self.steps is not None and (isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps <= 0):
            raise TypeError(f"steps must be a positive whole number, not {self.steps!r}")
        if self.backend not in BACKENDS:
            raise TypeError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        _positive_float("lr", self.lr)
        if self.dataset is not None:
            _check_name(self.dataset)
        if self.shapes is not None:
            check_patterns(self.shapes)


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer plugin: one update rule, for one or both backends.

    ``torch(params, lr=..., **options)`` returns an object with ``step()``
    and ``zero_grad()`` that reads ``p.grad``, such as any
    ``torch.optim.Optimizer`` (checkpoints save its ``state_dict()`` when it
    has ``state_dict`` and ``load_state_dict``, else its plain attributes,
    as a ``NumpyOptimizer``'s). ``numpy(params, lr=..., **options)`` returns
    a ``NumpyOptimizer`` whose ``step(grads)`` updates the arrays in place.
    Leave out the backend you do not support; ``options`` are the defaults
    of every keyword the rule takes besides ``lr``.

    ``lr`` is the learning rate the rule wants when the user names it but
    no ``--lr`` (Lion's 1e-4, say); None leaves it to the model. A model's
    own ``lr`` still wins with the model's own default optimizer, since the
    two are its recipe (``runner.config.default_lr``).

    ``checks`` maps some of ``options`` to their valid values, as a
    ``ModelSpec``'s do for its ``params``: ``{"eps": above(0)}``.
    """

    name: str
    torch: Callable[..., Any] | None = None
    numpy: Callable[..., NumpyOptimizer] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    lr: float | None = None
    checks: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_checks(self.checks, self.options)
        if self.lr is not None:
            _positive_float("lr", self.lr)
        if self.torch is None and self.numpy is None:
            raise TypeError("an optimizer needs a torch or a numpy builder")
        for builder in (self.torch, self.numpy):
            if builder is not None and not callable(builder):
                raise TypeError(f"optimizer builders must be callable, not {builder!r}")

    def builder(self, backend: str) -> Callable[..., Any] | None:
        return self.torch if backend == "torch" else self.numpy


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset plugin.

    ``build(backend, **params)`` returns ``(x, y)`` on the CPU: NumPy
    arrays for the ``numpy`` backend, torch tensors for ``torch``. Draw
    from the global generators (runner seeds them) in a fixed order.

    ``shapes(**params)``, if given, returns the shapes of x and y that
    ``build`` would return (the same for both backends), without building
    them: runner checks that a model fits a dataset before a run starts,
    and without ``shapes`` it has to build the dataset once more to find
    out.

    ``validation(backend, **params)``, if given, returns a held-out split
    ``(x, y)`` on the CPU, disjoint from ``build``'s and deterministic: draw
    it from your own seeded generator, or from the global generators, which
    runner seeds from the run's seed (differently from ``build``'s draws)
    around the call and restores afterwards, so training draws are
    unchanged. ``--eval-every N`` needs it.

    ``classes``, if given, says the targets are class indices: ``y`` has
    shape ``(n,)`` and holds integers from 0 to ``classes - 1`` (an int64
    tensor for torch, an integer array for NumPy), and a model's ``build``
    receives ``d_out = classes``. Classifiers declare
    ``shapes=runner.shapes.CLASSES``.

    ``checks`` maps some of ``params`` to their valid values, as a
    ``ModelSpec``'s do: ``{"batch": at_least(1)}``.
    """

    name: str
    build: Callable[..., tuple[Any, Any]]
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    shapes: Callable[..., tuple[Sequence[int], Sequence[int]]] | None = None
    validation: Callable[..., tuple[Any, Any]] | None = None
    classes: int | None = None
    checks: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_common(self.name, self.build, "build")
        _check_checks(self.checks, self.params)
        for what in ("shapes", "validation"):
            value = getattr(self, what)
            if value is not None and not callable(value):
                raise TypeError(f"{what} must be callable, not {value!r}")
        if self.classes is not None and (
            isinstance(self.classes, bool) or not isinstance(self.classes, int) or self.classes < 2
        ):
            raise TypeError(f"classes must be a whole number of at least 2, not {self.classes!r}")


SHAPES: dict[str, str] = {
    "flat": "the lr is the run's lr at every step",
    "starts_at_lr": "the first step trains at the run's lr",
    "non_increasing": "the lr never rises from one step to the next",
    "one_peak": "the lr rises to the run's lr, then never rises again",
}
"""The shapes a ScheduleSpec may declare, each checked by the conformance suite (runner.testing)."""


@dataclass(frozen=True)
class ScheduleSpec:
    """A learning-rate schedule plugin: how the run's lr changes from step to step.

    ``factor(step, steps, **params)`` is the rule itself: the multiple of the
    run's lr to train step ``step`` with (0 for the first) of a schedule
    ``steps`` steps long. Plain arithmetic, no torch: runner applies it to
    any optimizer that is not a ``torch.optim.Optimizer`` (the NumPy rules,
    the tutorial's ``gd``), setting the optimizer's ``lr`` before each step.

    ``torch(optimizer, steps, **params)``, if given, returns the
    ``torch.optim.lr_scheduler`` object with the same rule, used for
    ``torch.optim`` optimizers (without it, a ``LambdaLR`` of ``factor``).
    ``steps`` is never set by hand: runner passes the run's steps, less
    ``--warmup``, which runner adds in front of any schedule.

    ``shape`` declares what the lr does over a run (``SHAPES``: "flat",
    "starts_at_lr", "non_increasing", "one_peak"); the conformance suite
    checks it. ``params`` and ``checks`` are as a ``ModelSpec``'s
    (``--set schedule.KEY=VALUE``).
    """

    name: str
    factor: Callable[..., float]
    torch: Callable[..., Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    shape: tuple[str, ...] = ()
    checks: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_common(self.name, self.factor, "factor")
        _check_checks(self.checks, self.params)
        if self.torch is not None and not callable(self.torch):
            raise TypeError(f"torch must be callable, not {self.torch!r}")
        if isinstance(self.shape, str) or not all(s in SHAPES for s in self.shape):
            raise TypeError(f"shape must be a tuple of {', '.join(SHAPES)}, not {self.shape!r}")


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name or not name.replace("-", "_").isidentifier():
        raise TypeError(f"a name must be a word such as 'my_model', not {name!r}")


def _check_directions(metrics: Any) -> None:
    from runner.metrics import DIRECTIONS, metric_name_problem

    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics must map metric names to 'min' or 'max', not {metrics!r}")
    for name, way in metrics.items():
        problem = metric_name_problem(name)
        if problem is not None:
            raise TypeError(f"metrics: {problem}")
        if way not in DIRECTIONS:
            raise TypeError(f"metric {name!r}: the direction must be 'min' or 'max', not {way!r}")


def _check_common(name: Any, build: Any, what: str) -> None:
    _check_name(name)
    if not callable(build):
        raise TypeError(f"{what} must be callable, not {build!r}")


@dataclass(frozen=True)
class Lazy:
    """A builder that imports its target when called, so registering it imports nothing.

    ``target`` is ``"module:attribute"`` with an absolute module name, as in
    an entry point. Calling the ``Lazy`` imports the module (once: Python
    caches it) and calls the attribute with the same arguments.
    """

    target: str

    def load(self) -> Callable[..., Any]:
        """The target itself; a PluginError naming it if it cannot be imported."""
        module_name, _, attribute = self.target.partition(":")
        try:
            found: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError) as exc:
            raise PluginError(f"cannot load {self.target}: {type(exc).__name__}: {exc}") from exc
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.load()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"lazy({self.target!r})"


def lazy(target: str, package: str | None = None) -> Lazy:
    """A builder for a spec that imports ``target`` only when a run calls it.

    ``target`` is ``"module:attribute"``; a relative module is resolved
    against ``package``, as ``importlib.import_module`` does, so a plugin's
    ``__init__.py`` can write ``build=lazy(".model:build", __name__)``.
    """
    module_name, colon, attribute = target.partition(":") if isinstance(target, str) else ("", "", "")
    if not (colon and module_name and attribute):
        raise TypeError(f"a lazy target is 'module:attribute', such as '.model:build', not {target!r}")
    if module_name.startswith(".") and not package:
        raise TypeError(f"the lazy target {target!r} is relative: pass the package it is in, e.g. lazy({target!r}, __name__)")
    return Lazy(f"{importlib.util.resolve_name(module_name, package)}:{attribute}")


def check_patterns(patterns: Any) -> None:
    """Raise TypeError unless ``patterns`` is a pair of valid shape patterns.

    Here, not in runner.shapes (which reads specs, and re-exports it): a spec checks its own patterns."""
    if not (isinstance(patterns, (tuple, list)) and len(patterns) == 2 and all(isinstance(p, str) for p in patterns)):
        raise TypeError(f"shapes must be two patterns such as ('n d_in', 'n d_out'), not {patterns!r}")
    for pattern in patterns:
        for dim in pattern.split():
            if not (dim.isidentifier() or (dim.isdigit() and int(dim) > 0)):
                raise TypeError(f"shape pattern {pattern!r}: {dim!r} is neither a name nor a positive size")
