"""The outcome of one conformance check, and the table both pytest and the CLI print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, whether it passed, and a line saying what was found.

    A check that does not apply to this plugin (gradcheck for a model with
    no custom autograd Function) is ``skipped``; it counts as passed.
    """

    name: str
    passed: bool
    detail: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skip" if self.skipped else ("pass" if self.passed else "FAIL")


def passed(name: str, detail: str = "") -> CheckResult:
    return CheckResult(name, True, detail)


def failed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, False, detail)


def skipped(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail, skipped=True)


def format_results(results: Sequence[CheckResult]) -> str:
    """An aligned CHECK / RESULT / DETAIL table."""
    rows = [("CHECK", "RESULT", "DETAIL")] + [(r.name, r.status, r.detail) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}".rstrip() for a, b, c in rows)
