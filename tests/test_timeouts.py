"""runner.timeouts: a step that overruns raises StepTimeout; otherwise nothing changes."""

import signal
import time

import pytest

from runner.timeouts import StepTimeout, guard


def test_no_timeout_means_the_step_itself():
    def step():
        return 1

    assert guard(step, None) is step


def test_a_slow_step_raises_and_the_timer_and_handler_are_restored():
    previous = signal.getsignal(signal.SIGALRM)
    timed = guard(lambda: time.sleep(5), 0.2, "model 'slow'")
    started = time.monotonic()
    with pytest.raises(StepTimeout, match="model 'slow': step 0 did not finish within 0.2s"):
        timed()
    assert time.monotonic() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is previous


def test_quick_steps_pass_through_and_are_counted():
    results = iter(range(100))
    timed = guard(lambda: next(results), 5.0, "model 'quick'")
    assert [timed() for _ in range(3)] == [0, 1, 2]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_busy_python_loop_is_interrupted_too():
    def spin():
        while True:
            pass

    with pytest.raises(StepTimeout, match="step 0"):
        guard(spin, 0.2)()
