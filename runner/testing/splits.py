"""The dataset checks of a validation split and of class-index targets.

* validation split: ``validation(backend, **params)``, drawn as the engine
  draws it (the global generators seeded aside from the run's seed, then
  put back), gives CPU arrays or tensors shaped like the training split's
  rows, shares no row of x with the training split, and gives the same
  arrays when drawn twice. Skipped for a dataset without one.
* classes: with ``classes`` declared, y of both splits is 1-D, of an
  integer dtype, and within ``0..classes-1``. Skipped without ``classes``.
"""

from __future__ import annotations

from typing import Any

from runner.testing.results import CheckResult, failed, passed, skipped

__all__ = ["VALIDATION", "CLASSES", "SEED", "draw_validation", "check_validation", "check_classes"]

VALIDATION = "validation split"
CLASSES = "classes"
SEED = 0  # the seed the dataset checks build the training split with


def draw_validation(spec: Any, backend: str, seed: int = SEED) -> tuple[Any, Any]:
    """The held-out split as a run with ``seed`` draws it (runner.training.engine's seed for it, generators put back)."""
    from runner.seeding import seeded_aside
    from runner.training.trainer import validation_seed

    with seeded_aside(validation_seed(seed), backend):
        return spec.validation(backend, **spec.params)


def _rows(data: Any) -> Any:
    import numpy as np

    array = np.asarray(data.numpy() if hasattr(data, "numpy") else data)
    return np.ascontiguousarray(array.reshape(len(array), -1))


def check_validation(spec: Any, built: dict[str, tuple]) -> CheckResult:
    import numpy as np

    if spec.validation is None:
        return skipped(VALIDATION, "no validation split (DatasetSpec.validation): --eval-every does not apply")
    notes = []
    for backend, (x, y) in built.items():
        vx, vy = draw_validation(spec, backend)
        if type(vx) is not type(x) or type(vy) is not type(y) or getattr(vx, "device", None) != getattr(x, "device", None):
            return failed(VALIDATION, f"{backend}: validation gives {type(vx).__name__}, {type(vy).__name__}; "
                                      f"build gives {type(x).__name__}, {type(y).__name__}, on the CPU: give the same")
        shaped_alike = tuple(vx.shape[1:]) == tuple(x.shape[1:]) and tuple(vy.shape[1:]) == tuple(y.shape[1:])
        if len(vx) == 0 or len(vx) != len(vy) or not shaped_alike:
            return failed(VALIDATION, f"{backend}: validation gives x {tuple(vx.shape)}, y {tuple(vy.shape)}; "
                                      f"the training split x {tuple(x.shape)}, y {tuple(y.shape)}: give samples "
                                      "shaped like the training split's, as many y as x")
        train_rows, held_rows = _rows(x), _rows(vx)
        shared = {r.tobytes() for r in train_rows} & {r.tobytes() for r in held_rows}
        if shared:
            return failed(VALIDATION, f"{backend}: {len(shared)} of the {len(vx)} validation rows of x are training rows "
                                      "too: hold them out of build's split")
        again = draw_validation(spec, backend)
        if not all(np.array_equal(_rows(a), _rows(b)) for a, b in zip((vx, vy), again)):
            return failed(VALIDATION, f"{backend}: two draws of the validation split differ: draw it from a seeded "
                                      "generator of its own or from the global generators, which runner seeds")
        notes.append(f"{backend}: {len(vx)} held-out rows")
    return passed(VALIDATION, f"{'; '.join(notes)}; none in the training split, the same when drawn twice")


def check_classes(spec: Any, built: dict[str, tuple]) -> CheckResult:
    import numpy as np

    if spec.classes is None:
        return skipped(CLASSES, "no classes declared: the targets are not class indices")
    seen: set[int] = set()
    for backend, (_, y) in built.items():
        splits = [("training", y)] + ([("validation", draw_validation(spec, backend)[1])] if spec.validation else [])
        for split, targets in splits:
            values = _rows(targets).reshape(-1) if len(targets) else np.zeros(0, dtype=np.int64)
            if len(targets.shape) != 1 or values.dtype.kind not in "iu":
                return failed(CLASSES, f"{backend} {split} y is {values.dtype} of shape {tuple(targets.shape)}: "
                                       "class indices are integers, one per sample (int64 for torch)")
            low, high = (int(values.min()), int(values.max())) if len(values) else (0, 0)
            if low < 0 or high >= spec.classes:
                return failed(CLASSES, f"{backend} {split} y holds {low}..{high}, outside 0..{spec.classes - 1} "
                                       f"for classes={spec.classes}")
            seen.update(np.unique(values).tolist())
    return passed(CLASSES, f"integer targets within 0..{spec.classes - 1} ({len(seen)} classes seen)")
