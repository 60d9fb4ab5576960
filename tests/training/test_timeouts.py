"""runner.training.timeouts: a step that overruns raises StepTimeout; otherwise nothing changes."""

import signal
import time

import pytest

from runner.training.timeouts import StepTimeout, guard, limit


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


class Overran(BaseException):
    """Like the conformance suite's CheckTimeout: not caught by ``except Exception``."""


def test_limit_raises_the_given_error_through_except_exception():
    def swallows_exceptions():
        try:
            time.sleep(5)
        except Exception:
            pass

    started = time.monotonic()
    with pytest.raises(Overran, match="the block overran"), limit(0.2, lambda: "the block overran", Overran):
        swallows_exceptions()
    assert time.monotonic() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_no_limit_times_nothing():
    with limit(None, lambda: "unused"):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_outer_timer_survives_an_inner_one():
    with pytest.raises(Overran, match="outer"), limit(0.3, lambda: "outer", Overran):
        with limit(5.0, lambda: "inner", Overran):
            pass
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 0.3
        time.sleep(5)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
