"""Which datasets a model fits: shape patterns, and the check made before a run starts.

A model declares ``ModelSpec.shapes``, one pattern for x and one for y.
A pattern is a space-separated list of dimensions: a name stands for any
size, and the same name must have the same size wherever it appears (in
x and in y); a number stands for exactly that size. So ``("n d_in", "n
d_out")`` takes two 2-D arrays with the same number of rows, and ``("n",
"n")`` two 1-D arrays of the same length.

Nothing here imports numpy or torch, except to build a dataset that does
not declare its own shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runner.errors import ConfigError
from runner.specs import check_patterns

if TYPE_CHECKING:
    from runner.specs import DatasetSpec, ModelSpec

__all__ = ["BATCH_OF_VECTORS", "BATCH_OF_SCALARS", "CLASSES", "check_patterns", "fits", "show_pattern", "show_shape",
           "dataset_shapes", "check_fit"]

#: Rows of features: x is (n, d_in), y is (n, d_out). The built-in models take these.
BATCH_OF_VECTORS = ("n d_in", "n d_out")
#: One number per sample: x and y are both (n,). The sine example's models take these.
BATCH_OF_SCALARS = ("n", "n")
#: A classifier: x is (n, d_in), y holds n class indices (the dataset declares ``classes``).
CLASSES = ("n d_in", "n")


def fits(patterns: Sequence[str], x_shape: Sequence[int], y_shape: Sequence[int]) -> bool:
    """Whether shapes ``x_shape`` and ``y_shape`` match the two ``patterns``."""
    bound: dict[str, int] = {}
    for pattern, shape in zip(patterns, (x_shape, y_shape)):
        dims = pattern.split()
        if len(dims) != len(shape):
            return False
        for dim, size in zip(dims, shape):
            if dim.isdigit():
                if int(dim) != size:
                    return False
            elif bound.setdefault(dim, size) != size:
                return False
    return True


def show_pattern(pattern: str) -> str:
    dims = pattern.split()
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def show_shape(shape: Sequence[int]) -> str:
    return str(tuple(int(s) for s in shape))


def dataset_shapes(
    dataset_spec: DatasetSpec, backend: str, params: Mapping[str, Any], seed: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The shapes of x and y: declared by the dataset, or found by building it (seeded as the run will be).

    Building leaves the global generators as they were: checking a config must not change what runs next.
    """
    if dataset_spec.shapes is not None:
        x_shape, y_shape = dataset_spec.shapes(**params)
    else:
        from runner.seeding import seeded_aside

        with seeded_aside(seed, backend):
            x, y = dataset_spec.build(backend, **params)
        x_shape, y_shape = x.shape, y.shape
    return tuple(int(s) for s in x_shape), tuple(int(s) for s in y_shape)


def check_fit(
    model: str, model_spec: ModelSpec, dataset: str, dataset_spec: DatasetSpec, params: Mapping[str, Any], seed: int
) -> None:
    """A ConfigError naming both plugins when the model cannot train on the dataset's shapes."""
    if model_spec.shapes is None:
        return
    if tuple(model_spec.shapes) == CLASSES and dataset_spec.classes is None:
        raise ConfigError(
            f"model {model!r} is a classifier (its targets are class indices) but dataset {dataset!r} "
            "declares no classes; choose a classification --dataset"
        )
    try:
        x_shape, y_shape = dataset_shapes(dataset_spec, model_spec.backend, params, seed)
    except Exception as exc:  # a dataset plugin's own failure: report it, do not crash
        raise ConfigError(f"dataset {dataset!r} could not be built to check its shapes: {type(exc).__name__}: {exc}") from exc
    if fits(model_spec.shapes, x_shape, y_shape):
        return
    x_pattern, y_pattern = model_spec.shapes
    raise ConfigError(
        f"model {model!r} does not fit dataset {dataset!r}: the model takes x of shape {show_pattern(x_pattern)} "
        f"and y of shape {show_pattern(y_pattern)}, the dataset gives x of shape {show_shape(x_shape)} "
        f"and y of shape {show_shape(y_shape)}; choose another --dataset or --model"
    )
