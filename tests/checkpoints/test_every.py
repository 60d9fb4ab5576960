"""checkpoint_every: a time or a number of steps, refused otherwise with how to write it."""

import pytest

from runner.checkpoints.every import Every, parse_every
from runner.errors import OptionError
from runner.training.options import ExecOptions


@pytest.mark.parametrize("text, every", [("300s", Every(seconds=300.0)), ("0.5 seconds", Every(seconds=0.5)),
                                         ("500 steps", Every(steps=500)), ("1step", Every(steps=1))])
def test_times_and_step_counts_are_read(text, every):
    assert parse_every(text) == every


@pytest.mark.parametrize("text", ["300", "0s", "0 steps", "1.5 steps", "often", 300])
def test_anything_else_is_refused_when_the_options_are_made(text):
    with pytest.raises(OptionError, match=r"^checkpoint_every must be a positive time such as '300s' or a number of steps "
                                          r"such as '500 steps', not "):
        ExecOptions(checkpoint_every=text)
