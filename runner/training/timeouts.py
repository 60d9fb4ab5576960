"""``--step-timeout``: ending a run whose step hangs.

``guard(step, seconds, label)`` wraps a trainer's step so that each call
arms a real-time timer (``signal.setitimer``) and disarms it when the step
returns. If the timer fires first, its SIGALRM handler raises
``StepTimeout`` inside the step, the training loop records the run as
failed, and the error names the plugin and the step.

Limits, all from how POSIX signals reach Python:

* Python runs signal handlers between bytecodes of the main thread. A
  step stuck inside one long C call (a huge matmul, a blocking read that
  retries on EINTR, a deadlock in native code) is only interrupted when
  that call returns to Python. Pure-Python loops and ``time.sleep`` are
  interrupted at once.
* It works only in the main thread, and only where SIGALRM exists (not on
  Windows); elsewhere the guard does nothing and says so once on stderr.
* On a GPU, a step returns once its kernels are queued, so the timer
  measures host time; a hung kernel is seen at the next synchronisation.
* A plugin that catches every exception inside its step can swallow the
  timeout; the next step is timed again.

``limit(seconds, message, error)`` is the same timer around any block;
the conformance suite (runner.testing) uses it to time each check.

With no timeout given nothing is wrapped, so a run pays nothing for this.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

__all__ = ["StepTimeout", "available", "Alarm", "limit", "guard"]


class StepTimeout(Exception):
    """A training step took longer than ``--step-timeout``."""


def available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class Alarm:
    """A one-shot timer: ``with alarm:`` raises ``error(message())`` inside the block after ``seconds``.

    On leaving the block the timer is disarmed and the previous SIGALRM
    handler restored, so one ``Alarm`` can time many blocks in turn. A
    timer that was already running (an outer ``Alarm``, pytest-timeout's)
    is re-armed with what it had left: while the block runs it is paused,
    so it may fire late, never not at all.
    """

    def __init__(self, seconds: float, message: Callable[[], str], error: type[BaseException] = StepTimeout):
        self.seconds, self.message, self.error = seconds, message, error
        self.previous: Any = None
        self.outer: tuple[float, float] = (0.0, 0.0)
        self.started = 0.0

    def _fire(self, signum: int, frame: Any) -> None:
        raise self.error(self.message())

    def __enter__(self) -> Alarm:
        self.previous = signal.signal(signal.SIGALRM, self._fire)
        self.outer = signal.setitimer(signal.ITIMER_REAL, self.seconds)
        if self.outer[0]:
            self.started = time.monotonic()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        left, interval = self.outer
        if left:
            signal.setitimer(signal.ITIMER_REAL, max(left - (time.monotonic() - self.started), 1e-3), interval)


def limit(seconds: float | None, message: Callable[[], str], error: type[BaseException] = StepTimeout,
          option: str = "--step-timeout") -> AbstractContextManager[Any]:
    """An ``Alarm``, or a context that does nothing when ``seconds`` is None or timers are unavailable here.

    Where they are unavailable, says so on stderr, once per process for each ``option``.
    """
    if not seconds:
        return nullcontext()
    if not available():
        if option not in _warned:
            _warned.add(option)
            print(f"warning: {option} needs SIGALRM in the main thread; nothing is timed here", file=sys.stderr)
        return nullcontext()
    return Alarm(seconds, message, error)


_warned: set[str] = set()


def guard(step: Callable[[], Any], seconds: float | None, label: str = "the model") -> Callable[[], Any]:
    """``step`` itself when ``seconds`` is None, else a version that raises StepTimeout after ``seconds``."""
    count = 0
    alarm = limit(seconds, lambda: f"{label}: step {count} did not finish within {seconds:g}s (--step-timeout)")
    if not isinstance(alarm, Alarm):
        return step

    def timed_step() -> Any:
        nonlocal count
        try:
            with alarm:
                return step()
        finally:
            count += 1

    return timed_step
