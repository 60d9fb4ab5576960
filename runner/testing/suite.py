"""Running one plugin's checks in turn: each under a time limit, its faults contained, its progress shown.

A check that runs past ``timeout`` seconds is stopped by the
``--step-timeout`` timer (runner.training.timeouts) and fails with a line naming
the plugin; the checks after it are not run, since they would most likely
hang the same way. A check marked ``timed=False`` runs other plugins too
(every optimizer with this model, ...) and times each of them itself, so
that a plugin that hangs is told apart from the one under test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from runner.testing.results import CheckResult, failed, skipped
from runner.training import timeouts

CHECK_TIMEOUT = 60.0  # seconds; a check trains a few tiny steps, so a healthy plugin takes a fraction of this
Progress = Callable[[int, int, str], None]  # (number of this check, number of checks, its name)


class CheckTimeout(BaseException):
    """A check ran past its time limit.

    A BaseException, like KeyboardInterrupt, so that neither runner's
    training loop nor a plugin's ``except Exception`` turns it into an
    ordinary failed run and carries on.
    """


@dataclass(frozen=True)
class Check:
    """One check of the plan: its name, what runs it, and how it sits among the others."""

    name: str
    run: Callable[[], CheckResult]
    needed: bool = False  # the checks after it need it to pass (a model that does not build cannot train)
    timed: bool = True  # False: it times each plugin it runs itself


def time_limit(seconds: float | None, subject: str, hint: bool = True):
    """A context that raises CheckTimeout naming ``subject`` after ``seconds`` (None: no limit)."""
    said = "; does a build or a step hang? (the limit: timeout= in runner.testing, --timeout in runner plugins check)"
    return timeouts.limit(
        seconds,
        lambda: f"{subject} did not finish within {seconds:g}s{said if hint else ''}",
        error=CheckTimeout,
        option="the conformance suite's time limit",
    )


def run_checks(checks: Sequence[Check], subject: str, timeout: float | None,
               progress: Progress | None = None, first: int = 1) -> list[CheckResult]:
    """Run ``checks`` in order; never raises for a fault in a plugin, which is a failed check instead.

    ``subject`` says who is being checked (``plugin 'p' (pkg 1.0), model 'm'``);
    ``progress`` numbers the checks from ``first`` (checks done before these count).
    """
    total = first - 1 + len(checks)
    results: list[CheckResult] = []
    stopped = None
    for number, check in enumerate(checks, first):
        if stopped:
            results.append(skipped(check.name, f"not run: {stopped}"))
            continue
        if progress is not None:
            progress(number, total, check.name)
        try:
            with time_limit(timeout if check.timed else None, f"{subject}: check {check.name!r}"):
                result = check.run()
        except CheckTimeout as exc:
            result, stopped = failed(check.name, str(exc)), f"{check.name!r} timed out"
        except Exception as exc:  # the plugin raised during the check: that is the finding
            result = failed(check.name, f"{type(exc).__name__}: {exc}")
        results.append(result)
        if check.needed and not result.passed and not stopped:
            stopped = f"{check.name!r} failed"
    return results
