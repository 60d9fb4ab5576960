"""The conformance checks for a dataset plugin."""

from __future__ import annotations

from typing import Any

from runner.shapes import fits
from runner.testing.pairs import model_alone, train_each
from runner.testing.results import CheckResult, failed, passed, skipped
from runner.testing.splits import CLASSES, VALIDATION, check_classes, check_validation
from runner.testing.suite import Check

MODEL_STEPS = 3


def dataset_checks(registry: Any, name: str, timeout: float | None) -> list[Check]:
    spec = registry.datasets[name].spec
    built: dict[str, tuple] = {}  # backend -> (x, y), filled by the first check

    def builds() -> CheckResult:
        data, result = _check_builds(spec)
        built.update(data)
        return result

    return [
        Check("builds", builds, needed=True),
        Check("declared shapes", lambda: _check_declared_shapes(spec, built)),
        Check("reproducible", lambda: _check_reproducible(spec, built)),
        Check(VALIDATION, lambda: check_validation(spec, built)),
        Check(CLASSES, lambda: check_classes(spec, built)),
        Check("models that fit", lambda: check_every_model(registry, name, built, timeout), timed=False),
    ]


def _build(spec: Any, backend: str, seed: int = 0):
    from runner.seeding import seed_everything

    seed_everything(seed, backend)
    return spec.build(backend, **spec.params)


def _check_builds(spec: Any) -> tuple[dict[str, tuple], CheckResult]:
    """Each backend gives (x, y) on the CPU, as arrays (numpy) or tensors (torch), with as many x as y."""
    import numpy as np

    built, notes, problems = {}, [], []
    for backend in ("numpy", "torch"):
        try:
            x, y = _build(spec, backend)
        except Exception as exc:
            notes.append(f"{backend}: not supported ({type(exc).__name__}: {exc})")
            continue
        if backend == "numpy":
            ok = isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
            kind = "NumPy arrays"
        else:
            import torch

            ok = isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) and x.device.type == y.device.type == "cpu"
            kind = "CPU torch tensors"
        if not ok:
            problems.append(f"{backend}: build returned {type(x).__name__}, {type(y).__name__}, not {kind}")
        elif len(x.shape) == 0 or len(y.shape) == 0 or x.shape[0] != y.shape[0]:
            problems.append(f"{backend}: x {tuple(x.shape)} and y {tuple(y.shape)} do not have the same number of samples")
        else:
            built[backend] = (x, y)
            notes.append(f"{backend}: x {tuple(x.shape)}, y {tuple(y.shape)}")
    if problems:
        return {}, failed("builds", "; ".join(problems))
    if not built:
        return {}, failed("builds", "; ".join(notes))
    return built, passed("builds", "; ".join(notes))


def _check_declared_shapes(spec: Any, built: dict[str, tuple]) -> CheckResult:
    if spec.shapes is None:
        return skipped("declared shapes", "no shapes(): runner builds the dataset once more before each run to check fit")
    declared = tuple(tuple(int(s) for s in shape) for shape in spec.shapes(**spec.params))
    for backend, (x, y) in built.items():
        actual = (tuple(x.shape), tuple(y.shape))
        if declared != actual:
            return failed("declared shapes", f"shapes() says x {declared[0]}, y {declared[1]}; "
                          f"{backend} build gives x {actual[0]}, y {actual[1]}")
    return passed("declared shapes", f"shapes() matches the built x {declared[0]}, y {declared[1]}")


def _check_reproducible(spec: Any, built: dict[str, tuple]) -> CheckResult:
    import numpy as np

    for backend, (x, y) in built.items():
        x2, y2 = _build(spec, backend)
        same = all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in ((x, x2), (y, y2)))
        if not same:
            return failed("reproducible", f"{backend}: one seed gave two different datasets; "
                          "draw only from the global generators runner seeds")
    return passed("reproducible", "one seed gives the same x and y twice")


def check_every_model(registry: Any, name: str, built: dict[str, tuple], timeout: float | None) -> CheckResult:
    """Every registered model that declares shapes this dataset fits trains a few finite steps on it.

    A model that fails here and also fails with its own defaults (another
    dataset it fits in place of this one, when it is the model's default) is
    broken on its own: a warning, not a failure of this dataset.
    """
    fitting, others = [], 0
    for model, entry in sorted(registry.models.items()):
        spec = entry.spec
        data = built.get(spec.backend)
        if spec.shapes is not None and data is not None and fits(spec.shapes, data[0].shape, data[1].shape):
            fitting.append(model)
        else:
            others += 1
    if not fitting:
        return skipped("models that fit", f"none of the {others} registered models declares shapes this dataset fits")
    cases = {model: {"model": model, "dataset": name} for model in fitting}
    done = f"{MODEL_STEPS} finite steps with each of {', '.join(fitting)}"
    return train_each(registry, "models that fit", MODEL_STEPS, "model", cases, done,
                      lambda model: model_alone(registry, model, MODEL_STEPS, ("dataset", name)), timeout)
