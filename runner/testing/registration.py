"""The first check of every kind: the plugin is found and registers ``name`` without faults."""

from __future__ import annotations

from typing import Any

from runner.kinds import KINDS
from runner.registry import unknown_name_message
from runner.testing.results import CheckResult, failed, passed

__all__ = ["REGISTERS", "check_registers"]

REGISTERS = "registers"


def check_registers(registry: Any, kind: str | None, name: str) -> CheckResult:
    """``kind`` None: ``name`` was not found as any kind; say so, with the close names of every kind."""
    table: dict[str, Any] = (
        {n: None for k in KINDS for n in registry.table(k)} if kind is None else registry.table(kind)
    )
    if name not in table:
        detail = unknown_name_message(kind or "plugin", name, table)
        if registry.errors:
            detail += "; skipped: " + "; ".join(str(f) for f in registry.errors)
        detail += (
            "; is the package installed (pip install -e .), with the module under "
            "[project.entry-points.runner] in its pyproject.toml? RUNNER_TRACE_PLUGINS=1 shows what runner loads"
        )
        return failed(REGISTERS, detail)
    origin = table[name].origin
    faults = [f.message for f in registry.errors if f.plugin == origin.plugin]
    if faults:
        return failed(REGISTERS, f"plugin {origin.plugin!r} registered {kind} {name!r}, but: " + "; ".join(faults))
    source = f"{origin.package} {origin.version}".strip()
    source = source if source.startswith("(") else f"({source})"  # "(local)": a RUNNER_PLUGINS module
    return passed(REGISTERS, f"{kind} {name!r} from plugin {origin.plugin!r} {source}")
