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
    ``val_<name>``.
    """

    def parameters(self) -> Sequence[Any]: ...

    def loss_and_grads(self, x: Any, y: Any) -> tuple[Any, Sequence[Any]] | tuple[Any, Sequence[Any], Mapping[str, Any]]: ...


@runtime_checkable
class NumpyOptimizer(Protocol):
    """Updates NumPy parameters in place from gradients handed to it."""

    def step(self, grads: Sequence[Any]) -> None: ...


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

    def __post_init__(self) -> None:
        _check_common(self.name, self.build, "build")
        _check_directions(self.metrics)
        if self.steps is not None and (isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps <= 0):
            raise TypeError(f"steps must be a positive whole number, not {self.steps!r}")
        if self.backend not in BACKENDS:
            raise TypeError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        _positive_float("lr", self.lr)
        if self.dataset is not None:
            _check_name(self.dataset)
        if self.shapes is not None:
            from runner.shapes import check_patterns

            check_patterns(self.shapes)


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer plugin: one update rule, for one or both backends.

    ``torch(params, lr=..., **options)`` returns an object with ``step()``
    and ``zero_grad()`` that reads ``p.grad``, such as any
    ``torch.optim.Optimizer``. ``numpy(params, lr=..., **options)`` returns
    a ``NumpyOptimizer`` whose ``step(grads)`` updates the arrays in place.
    Leave out the backend you do not support; ``options`` are the defaults
    of every keyword the rule takes besides ``lr``.

    ``lr`` is the learning rate the rule wants when the user names it but
    no ``--lr`` (Lion's 1e-4, say); None leaves it to the model. A model's
    own ``lr`` still wins with the model's own default optimizer, since the
    two are its recipe (``runner.config.default_lr``).
    """

    name: str
    torch: Callable[..., Any] | None = None
    numpy: Callable[..., NumpyOptimizer] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    lr: float | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
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
    """

    name: str
    build: Callable[..., tuple[Any, Any]]
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    shapes: Callable[..., tuple[Sequence[int], Sequence[int]]] | None = None
    validation: Callable[..., tuple[Any, Any]] | None = None
    classes: int | None = None

    def __post_init__(self) -> None:
        _check_common(self.name, self.build, "build")
        for what in ("shapes", "validation"):
            value = getattr(self, what)
            if value is not None and not callable(value):
                raise TypeError(f"{what} must be callable, not {value!r}")
        if self.classes is not None and (
            isinstance(self.classes, bool) or not isinstance(self.classes, int) or self.classes < 2
        ):
            raise TypeError(f"classes must be a whole number of at least 2, not {self.classes!r}")


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
