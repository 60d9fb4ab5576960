"""A run interrupted mid-schedule and resumed from its checkpoint gives exactly the losses of the run left alone.

Every built-in schedule, with and without --warmup, with every built-in optimizer, for a NumPy model (the
schedule's factor sets the optimizer's lr) and a torch one (torch.optim.lr_scheduler, or the factor for gd),
on the CPU, compared bit for bit. The same through `runner run` and `runner resume`: tests/cli/test_schedules.py.
"""

import pytest

from tests.checkpoints.conftest import bits, interrupted, losses, prepared

STEPS = 24
AT = (3, 11)  # in the warm-up, and past it
SCHEDULES = {"constant": [], "step": ["step_size=5", "gamma=0.5"], "exponential": ["gamma=0.9"],
             "cosine": ["min_factor=0.1"], "one_cycle": []}
OPTIMIZERS = ("gd", "sgd", "adam", "adamw", "rmsprop")
LR = {"gd": 1e-3, "sgd": 1e-3, "adam": 1e-2, "adamw": 1e-2, "rmsprop": 1e-3}


@pytest.mark.parametrize("warmup", [0, 6])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
@pytest.mark.parametrize("model", ["numpy", "module"])
def test_a_run_resumed_mid_schedule_gives_the_losses_of_the_run_left_alone(builtins, model, schedule, optimizer,
                                                                              warmup):
    sets = ["batch=16", "d_in=6", "d_out=3", "hidden=5", "momentum=0.9" if optimizer == "sgd" else None,
            *SCHEDULES[schedule]]
    args = dict(optimizer=optimizer, lr=LR[optimizer], schedule=schedule, warmup=warmup, sets=[s for s in sets if s])
    whole, outcome = losses(prepared(builtins, model, STEPS, **args), STEPS)
    assert outcome.status == "completed" and len(whole) == STEPS, outcome.error
    for at in AT:
        head, tail, resumed = interrupted(builtins, model, STEPS, at, **args)
        assert resumed.status == "completed", resumed.error
        assert bits(head + tail) == bits(whole), f"resumed after {at} steps"


def test_a_checkpoint_taken_without_a_schedule_is_refused_by_a_run_with_one(builtins):
    from runner.checkpoints.state import capture, restore
    from runner.errors import CheckpointError

    plain = prepared(builtins, "numpy", STEPS)
    scheduled = prepared(builtins, "numpy", STEPS, schedule="cosine")
    with pytest.raises(CheckpointError, match="taken without an lr schedule, this run with one"):
        restore(scheduled, capture(plain, 0))
