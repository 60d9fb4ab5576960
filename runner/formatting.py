"""Numbers as people read them, shared by the CLI and the reports (pure functions, no heavy imports)."""

from __future__ import annotations

import math


def format_loss(value: float | None, digits: int = 6) -> str:
    """A loss for people: '-' when there is none, nan/inf as they are, else ``digits`` significant digits."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}"
