"""Numbers as people read them, shared by the CLI and the reports (pure functions, no heavy imports)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["format_loss", "format_ids", "format_metrics", "canonical", "format_settings", "printable",
    "format_bytes", "format_status", "format_early_stop", "format_schedule"]


def format_loss(value: float | None, digits: int = 6) -> str:
    """A loss for people: '-' when there is none, nan/inf as they are, else ``digits`` significant digits."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}"


def format_ids(ids: Sequence[int], limit: int = 12) -> str:
    """Run ids as '#3, #4, #9', the ones past ``limit`` counted: '#1, #2 and 5 more'."""
    shown = ", ".join(f"#{i}" for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def format_metrics(metrics: Mapping[str, float], separator: str = " · ") -> str:
    """``' · accuracy 0.984 · val_loss 0.0671'``: metric values briefly (3 significant digits), '' when none."""
    return "".join(f"{separator}{name} {format_loss(value, 3)}" for name, value in metrics.items())


def canonical(value: Any) -> str:
    """One text per value, equal exactly when the values are: how settings are compared, grouped and coloured."""
    return json.dumps(value, sort_keys=True, default=str)


def format_settings(values: Mapping[str, Any]) -> str:
    """``hidden=64 momentum=0.9``: settings as name=value, one space apart; '' for none."""
    return " ".join(f"{name}={value}" for name, value in values.items())


def printable(text: str) -> str:
    """``text`` with its control characters escaped (``\\x1b``, ``\\r``, ``\\x07``), so that a stored name
    cannot move the cursor, recolour or rewrite the terminal it is shown on."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def format_bytes(size: int) -> str:
    """``1.5 MB``: a size in bytes, in the largest unit that keeps it at least 1 (decimal units, as disks count)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def format_status(status: str, early_stop: Any = None) -> str:
    """A run's status as ls shows it: ``completed (early @ 519)`` for a run that stopped early after step 519."""
    step = early_stop.get("step") if isinstance(early_stop, dict) else None
    return f"{status} (early @ {step})" if step is not None else str(status)


def format_early_stop(early_stop: Any) -> str | None:
    """How a run stopped early, in words (``runs.early_stop``): None for one that did not."""
    if not isinstance(early_stop, dict):
        return None
    return f"stopped early after step {early_stop.get('step')}: {early_stop.get('reason')}"
def format_schedule(config: Mapping[str, Any], settings: bool = True) -> str | None:
    """A stored run's lr schedule as ls and show say it ("cosine min_factor=0.1 · warmup 50"); None for a run
    whose lr never changed (its config holds neither a schedule nor a warm-up: runner.config.RunConfig)."""
    name, warmup = config.get("schedule"), config.get("warmup")
    if not (name or warmup):
        return None
    text = str(name or "constant")
    if settings and config.get("schedule_params"):
        text += " " + format_settings(config["schedule_params"])
    return text + (f" · warmup {warmup}" if warmup else "")
