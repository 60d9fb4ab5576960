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

With no timeout given nothing is wrapped, so a run pays nothing for this.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any


class StepTimeout(Exception):
    """A training step took longer than ``--step-timeout``."""


def available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def guard(step: Callable[[], Any], seconds: float | None, label: str = "the model") -> Callable[[], Any]:
    """``step`` itself when ``seconds`` is None, else a version that raises StepTimeout after ``seconds``."""
    if not seconds:
        return step
    if not available():
        print("warning: --step-timeout needs SIGALRM in the main thread; steps are not timed here", file=sys.stderr)
        return step
    count = 0

    def on_alarm(signum, frame):
        raise StepTimeout(f"{label}: step {count} did not finish within {seconds:g}s (--step-timeout)")

    def timed_step() -> Any:
        nonlocal count
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return step()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            count += 1

    return timed_step
