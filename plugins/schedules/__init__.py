"""The learning-rate schedules: constant, step, exponential, cosine and one-cycle.

Each is a rule of the step (``rules``: plain arithmetic, applied to any
optimizer) and, for ``torch.optim`` optimizers, the ``torch.optim.lr_scheduler``
class with the same rule (``torch_rules``, imported only when a run builds one).
runner tells each the run's steps, less ``--warmup``; ``--lr`` is the lr the
schedule starts from (one-cycle: its peak).
"""

from runner import ScheduleSpec, hookimpl
from runner.specs import above, at_least, fraction, lazy

ONE_CYCLE_ANNEALING = ("cos", "linear")


def _annealing(value):
    return None if value in ONE_CYCLE_ANNEALING else f"must be one of {', '.join(ONE_CYCLE_ANNEALING)}"


SCHEDULES = (
    ScheduleSpec(name="constant", factor=lazy(".rules:constant", __name__), shape=("flat", "starts_at_lr", "non_increasing"),
                 description="the run's lr at every step"),
    ScheduleSpec(name="step", factor=lazy(".rules:step", __name__), torch=lazy(".torch_rules:step", __name__),
                 params={"step_size": 100, "gamma": 0.1}, checks={"step_size": at_least(1), "gamma": above(0)},
                 shape=("starts_at_lr", "non_increasing"),
                 description="torch's StepLR: the lr times gamma every step_size steps"),
    ScheduleSpec(name="exponential", factor=lazy(".rules:exponential", __name__),
                 torch=lazy(".torch_rules:exponential", __name__), params={"gamma": 0.99}, checks={"gamma": above(0)},
                 shape=("starts_at_lr", "non_increasing"), description="torch's ExponentialLR: the lr times gamma every step"),
    ScheduleSpec(name="cosine", factor=lazy(".rules:cosine", __name__), torch=lazy(".torch_rules:cosine", __name__),
                 params={"min_factor": 0.0}, checks={"min_factor": fraction()}, shape=("starts_at_lr", "non_increasing"),
                 description="torch's CosineAnnealingLR over the run: from the lr down to min_factor times it"),
    ScheduleSpec(name="one_cycle", factor=lazy(".rules:one_cycle", __name__),
                 torch=lazy(".torch_rules:one_cycle", __name__),
                 params={"pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4, "anneal": "cos",
                         "three_phase": False},
                 checks={"pct_start": fraction(), "div_factor": above(0), "final_div_factor": above(0),
                         "anneal": _annealing},
                 shape=("one_peak",),
                 description="torch's OneCycleLR over the run (without momentum cycling): up to the lr, then far below"),
)


@hookimpl
def register_schedules(register):
    for spec in SCHEDULES:
        register(spec)
