"""The check that evaluating a model (``--eval-every``) leaves training as it was.

After a few training steps, the model is evaluated the way the engine does
(``runner.training.evaluation.Evaluator``: on the validation split of its
default dataset, or on its training data when that has none). It fails when:

* the evaluation changed a parameter, the optimizer's state, a generator
  training draws from, a module's training flag or a buffer (what runner
  cannot put back);
* the model's ``evaluate`` ran dropout or batch norm in training mode though
  runner had put the model in evaluation mode (it called ``train()`` first:
  noisy values, batch norm learning from held-out data), or changed a
  buffer, which runner then has to put back;
* a run evaluated after step EVAL_AT computes other losses than the same run
  without, bit for bit (a torch model whose ``nn.Module`` runner cannot find,
  so cannot keep in evaluation mode).

What runner makes harmless (``evaluate`` calling ``eval()`` and never
``train()``, or never calling ``eval()``) passes, and the detail says so:
the model is evaluated once more without runner's evaluation mode, to see
what its ``evaluate`` would do alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from runner.testing.results import CheckResult, failed, passed
from runner.testing.running import last_line, prepared, train
from runner.testing.snapshots import TrainingState

__all__ = ["EVALUATION", "EVAL_STEPS", "LOSS_STEPS", "EVAL_AT", "check_evaluation"]

EVALUATION = "evaluation"
EVAL_STEPS = 2  # training steps before the snapshot: the optimizer then has state (Adam's moments) to disturb
LOSS_STEPS = 6  # the run trained with and without an evaluation mid-way
EVAL_AT = 2  # the step after which it evaluates (and after the last)
SHOWN = 3  # modules or buffers named in a finding; the rest are counted


@dataclass
class _Seen:
    """What the model's evaluate did to its module, seen before runner put it back."""

    switched: list[str] = field(default_factory=list)  # dropout or batch norm it ran in training mode under runner's
    buffers: list[str] = field(default_factory=list)  # buffers it changed
    flags: list[str] = field(default_factory=list)  # modules whose flag it changed (seen without runner's mode)
    ran: list[str] = field(default_factory=list)  # modules that ran in training mode (seen without runner's mode)

    def under_runner(self, watched: Any) -> None:
        if watched is not None:
            # A train() after the forward pass, as a careful evaluate ends, is no fault: what ran in training mode is.
            self.switched, self.buffers = list(watched.ran_in_training), watched.buffers_changed()

    def alone(self, watched: Any) -> None:
        if watched is not None:
            self.flags, self.ran, self.buffers = watched.flags_changed(), list(watched.ran_in_training), \
                watched.buffers_changed()


def check_evaluation(registry: Any, name: str) -> CheckResult:
    """Train a few steps, copy the state, evaluate as the engine does, and compare; then the losses with and without."""
    dataset, held_out = _dataset(registry, name)
    trainer, problem = prepared(registry, model=name, seed=0, eval_every=1 if held_out else None)
    if trainer is None:
        return failed(EVALUATION, problem)
    for _ in range(EVAL_STEPS):
        trainer.step()
    on = f"the validation split of {dataset!r}" if held_out else f"the training data of {dataset!r} (it has no validation split)"
    how = "its evaluate()" if callable(getattr(trainer.model, "evaluate", None)) else "loss_and_grads"
    before, seen = TrainingState.of(trainer), _Seen()
    values = replace(_evaluator(trainer), watch=seen.under_runner)()
    changed = before.changes(trainer)
    faults = [f"evaluating with {how} on {on} changed {', '.join(changed)}: evaluation must leave training as it "
              "was (compute without updating anything in place)"] if changed else []
    faults += _own_faults(how, seen)
    faults += [] if faults else _loss_faults(registry, name, held_out)
    if faults:
        return failed(EVALUATION, "; ".join(faults))
    alone = _Seen()
    replace(_evaluator(trainer), watch=alone.alone, switch=False)()
    shown = ", ".join(f"{k} {v:.4g}" for k, v in values.items())
    left = ", the generators and every module's training flag and buffer" if before.modules else " and the generators"
    return passed(EVALUATION, f"{how} on {on} ({shown or 'no values'}) left the parameters, the optimizer's state"
                              f"{left} as they were; with an evaluation after step {EVAL_AT} the {LOSS_STEPS} losses "
                              f"are those without, bit for bit{_harmless(how, alone)}")


def _dataset(registry: Any, name: str) -> tuple[str, bool]:
    from runner.config import DEFAULT_DATASET

    dataset = registry.models[name].spec.dataset or DEFAULT_DATASET
    return dataset, registry.datasets[dataset].spec.validation is not None


def _evaluator(trainer: Any) -> Any:
    from runner.training.evaluation import Evaluator

    return trainer.evaluator or Evaluator(trainer.model, trainer.x, trainer.y, trainer.backend, trainer.label)


def listed(names: list[str]) -> str:
    more = len(names) - SHOWN
    return ", ".join(names[:SHOWN]) + (f" and {more} more" if more > 0 else "")


def _own_faults(how: str, seen: _Seen) -> list[str]:
    faults = []
    if seen.switched:
        faults.append(f"{how} ran {listed(seen.switched)} in training mode, though runner had put the model in "
                      "evaluation mode: dropout and batch norm then act as in training (noisy validation values, "
                      "held-out batch statistics); leave the mode to runner (no train() in evaluate)")
    if seen.buffers:
        faults.append(f"{how} changed {listed(seen.buffers)}; runner put it back, but evaluation must not update "
                      "buffers (run batch norm in evaluation mode)")
    return faults


def _loss_faults(registry: Any, name: str, held_out: bool) -> list[str]:
    """The run's losses with an evaluation after step EVAL_AT (and the last) against those without, bit for bit."""
    runs = []
    for every in (None, EVAL_AT + 1):
        trainer, problem = prepared(registry, model=name, seed=0, steps=LOSS_STEPS, eval_every=every if held_out else None)
        if trainer is None:
            return [problem]
        if every is not None and not held_out:  # evaluated on its training data, as the check above
            trainer.evaluator, trainer.eval_every = _evaluator(trainer), every
        run = train(trainer, LOSS_STEPS)
        if run.error:
            return [last_line(run.error)]
        runs.append([float(v).hex() for v in run.losses])
    plain, evaluated = runs
    if plain == evaluated:
        return []
    step = next((i for i, (a, b) in enumerate(zip(plain, evaluated)) if a != b), min(len(plain), len(evaluated)))
    return [f"with an evaluation after step {EVAL_AT}, the losses differ from those without from step {step} on: "
            "evaluating changes what training computes; a torch model: give runner its nn.Module "
            "(AutogradModel(..., module=net), or a module attribute), so that runner keeps it in evaluation mode "
            "and puts its flags and buffers back"]


def _harmless(how: str, alone: _Seen) -> str:
    """What runner's evaluation mode made harmless, as the end of the detail ("" when nothing)."""
    parts = []
    if alone.flags:
        parts.append(f"leave {listed(alone.flags)} in evaluation mode (eval() without train())")
    if alone.ran:
        parts.append(f"run {listed(alone.ran)} in training mode (no eval())")
    if alone.buffers:
        parts.append(f"change {listed(alone.buffers)}")
    if not parts:
        return ""
    return f"; made harmless by runner's evaluation mode: alone, {how} would {', '.join(parts)}"
