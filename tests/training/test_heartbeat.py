"""The heartbeat thread, and the liveness settings: $RUNNER_HEARTBEAT_SECONDS and $RUNNER_LOST_AFTER_SECONDS."""

import threading

import pytest

from runner.environment import DEFAULT_LOST_AFTER, lost_after_seconds
from runner.errors import OptionError
from runner.training.heartbeat import Heartbeat


def test_a_heartbeat_calls_what_it_is_given_for_its_run_and_outlives_a_failing_beat():
    beats: list[int] = []
    second = threading.Event()

    def beat(run_id: int) -> None:
        beats.append(run_id)
        if len(beats) == 1:
            raise RuntimeError("the database is busy")  # the next beat retries
        second.set()

    with Heartbeat(beat, 7, interval=0.01):
        assert second.wait(10)
    assert beats[:2] == [7, 7]


def test_the_grace_period_defaults_to_a_minute_and_can_be_set(monkeypatch):
    monkeypatch.delenv("RUNNER_LOST_AFTER_SECONDS", raising=False)
    monkeypatch.delenv("RUNNER_HEARTBEAT_SECONDS", raising=False)
    assert lost_after_seconds() == DEFAULT_LOST_AFTER == 60
    monkeypatch.setenv("RUNNER_LOST_AFTER_SECONDS", "0.5")
    monkeypatch.setenv("RUNNER_HEARTBEAT_SECONDS", "0.1")
    assert lost_after_seconds() == 0.5


@pytest.mark.parametrize("lost_after, beat, message", [
    ("soon", "", "RUNNER_LOST_AFTER_SECONDS='soon' is not a positive number of seconds; set it to e.g. 60, or unset it"),
    ("-1", "", "RUNNER_LOST_AFTER_SECONDS='-1' is not a positive number of seconds"),
    ("5", "", "RUNNER_LOST_AFTER_SECONDS=5 is not longer than the heartbeat interval (RUNNER_HEARTBEAT_SECONDS=5); "
              "set it to several intervals, e.g. 60"),
    ("", "60", "RUNNER_LOST_AFTER_SECONDS (unset: 60) is not longer than the heartbeat interval "
               "(RUNNER_HEARTBEAT_SECONDS=60); set it to several intervals, e.g. 360"),
])
def test_a_bad_grace_period_is_refused(monkeypatch, lost_after, beat, message):
    monkeypatch.setenv("RUNNER_LOST_AFTER_SECONDS", lost_after)
    monkeypatch.setenv("RUNNER_HEARTBEAT_SECONDS", beat)
    with pytest.raises(OptionError) as error:
        lost_after_seconds()
    assert str(error.value).startswith(message)
