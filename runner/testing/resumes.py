"""The check that a run interrupted and resumed from its checkpoint gives the losses of the run left alone.

For a model: a few steps through runner's own loop under its defaults, on
the CPU; then the same run stopped halfway, checkpointed through the
bytes a run would save (runner.checkpoints), restored into a freshly built
trainer whose global generators have been moved, and run to the end. The
losses must be the same, bit for bit. A model or optimizer that keeps
state runner cannot see (a generator of its own, a buffer outside its
parameters) fails, unless it gives that state through ``state_dict()``
and ``load_state_dict()``. For an optimizer: the same on the least-squares
problem of its other checks, in each backend it supports.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.errors import CheckpointError
from runner.testing.results import CheckResult, failed, passed
from runner.testing.running import last_line, prepared, train

__all__ = ["RESUMES", "STEPS", "AT", "HIDDEN", "check_resumes", "check_optimizer_resumes"]

RESUMES = "resumes"
STEPS = 6
AT = 3  # steps before the interruption
HIDDEN = ("keeps state that runner cannot see (a generator of its own, a buffer outside its parameters): give it "
          "state_dict() and load_state_dict() (see docs/plugins.md), or draw from the global generators runner seeds")


def check_resumes(registry: Any, name: str) -> CheckResult:
    """Under the model's defaults, seed 0: STEPS steps, against AT steps, a checkpoint, and the rest resumed from it."""
    args = dict(model=name, seed=0, steps=STEPS)
    whole, problem = _trained(registry, args, STEPS)
    if whole is None:
        return failed(RESUMES, problem)
    from runner.checkpoints.codec import decode, encode
    from runner.checkpoints.state import capture, restore

    first, problem = _trained(registry, args, AT)
    if first is None:
        return failed(RESUMES, problem)
    try:
        data = encode(capture(first.trainer, AT))  # at once: the global generators are where the steps left them
    except CheckpointError as exc:
        return failed(RESUMES, f"a checkpoint after {AT} steps could not be taken: {exc}")
    second, problem = prepared(registry, **args)
    if second is None:
        return failed(RESUMES, problem)
    try:
        _disturb(second.backend)
        restore(second, decode(data))
    except CheckpointError as exc:
        return failed(RESUMES, f"the checkpoint taken after {AT} steps could not be restored: {exc}")
    rest = train(second, STEPS, start=AT)
    if rest.error:
        return failed(RESUMES, f"resumed after {AT} steps: {last_line(rest.error)}")
    return _compare(first.losses + rest.losses, whole.losses, f"the model (or its default optimizer) {HIDDEN}")


def _trained(registry: Any, args: dict[str, Any], steps: int) -> tuple[Any, str]:
    trainer, problem = prepared(registry, **args)
    if trainer is None:
        return None, problem
    run = train(trainer, steps)
    return (None, last_line(run.error)) if run.error else (run, "")


def _disturb(backend: str) -> None:
    """Draw from each global generator, so that a restore that does not put them back shows."""
    import numpy

    random.random()
    numpy.random.rand()
    if backend == "torch":
        import torch

        torch.rand(1)


def _compare(resumed: list[float], whole: list[float], blame: str) -> CheckResult:
    bits = [float(v).hex() for v in resumed], [float(v).hex() for v in whole]
    if bits[0] == bits[1]:
        return passed(RESUMES, f"stopped after {AT} of {STEPS} steps and resumed from its checkpoint: "
                               "the same losses, bit for bit")
    step = next((i for i, (a, b) in enumerate(zip(*bits)) if a != b), min(len(resumed), len(whole)))
    got = f"{resumed[step]!r}" if step < len(resumed) else "nothing"
    wanted = f"{whole[step]!r}" if step < len(whole) else "nothing"
    return failed(RESUMES, f"stopped after {AT} of {STEPS} steps and resumed from its checkpoint, step {step} gave {got}, "
                           f"not {wanted} as without the stop: {blame}")


@dataclass
class _Held:
    """Parameters and an update rule, as much of a trainer as a checkpoint needs."""

    params: list[Any]
    optimizer: Any
    backend: str
    label: str = "the least-squares problem"
    batches: Any = None
    device: Any = None

    @property
    def model(self) -> _Held:
        return self

    def parameters(self) -> list[Any]:
        return self.params


Session = Callable[[], tuple[list[Any], Any, Callable[[], float]]]  # -> (parameters, rule, one step returning its loss)


def check_optimizer_resumes(backend: str, session: Session) -> CheckResult:
    """STEPS steps of ``session``'s rule, against AT steps, a checkpoint, and the rest in a fresh session restored from it."""
    from runner.checkpoints.codec import decode, encode
    from runner.checkpoints.state import capture, restore

    _, _, step = session()
    whole = [step() for _ in range(STEPS)]
    params, rule, step = session()
    head = [step() for _ in range(AT)]
    try:
        data = encode(capture(_Held(params, rule, backend), AT))
        params, rule, step = session()
        restore(_Held(params, rule, backend), decode(data))
    except CheckpointError as exc:
        return failed(RESUMES, f"a checkpoint after {AT} steps could not be taken or restored: {exc}")
    result = _compare(head + [step() for _ in range(STEPS - AT)], whole, f"the rule {HIDDEN}")
    return type(result)(f"{RESUMES} ({backend})", result.passed, result.detail.replace("losses", "least-squares losses"))
