"""The outcome of one conformance check, and the table both pytest and the CLI print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CheckResult", "passed", "failed", "skipped", "format_results"]


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, whether it passed, and a line saying what was found.

    A check that does not apply to this plugin (gradcheck for a model with
    no custom autograd Function) is ``skipped``; it counts as passed.
    ``warnings`` name other installed plugins that failed alongside this
    one but are broken on their own; they do not fail this check.
    """

    name: str
    passed: bool
    detail: str = ""
    skipped: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        if not self.passed:
            return "FAIL"
        return "skip" if self.skipped else ("warn" if self.warnings else "pass")


def passed(name: str, detail: str = "") -> CheckResult:
    return CheckResult(name, True, detail)


def failed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, False, detail)


def skipped(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail, skipped=True)


def format_results(results: Sequence[CheckResult]) -> str:
    """An aligned CHECK / RESULT / DETAIL table; each warning is a row of its own under its check."""
    rows = [("CHECK", "RESULT", "DETAIL")]
    for r in results:
        rows.append((r.name, r.status, r.detail))
        rows.extend(("", "", f"warning: {w}") for w in r.warnings)
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}".rstrip() for a, b, c in rows)
