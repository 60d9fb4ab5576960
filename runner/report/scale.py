"""A figure's value axis (the loss, or a metric): log or linear, and where it stops when one run blew up.

A log axis shows losses that fall over decades; over less than a decade its
ticks read badly ("8 7 6 … 10⁻¹ 9 8") and a linear axis shows the same
differences better. So each figure decides from the values it draws: linear
when some are zero or negative or when they span less than a decade, log
otherwise, unless the user chose one. A metric's figure decides the same way.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Scale"]

DECADE = 10.0


@dataclass(frozen=True)
class Scale:
    log: bool
    why_linear: str = ""  # for the page: why an axis that would usually be log is not ("" if asked for)
    cap: float | None = None  # the top of the axis, when a run went far above the rest
    low: float | None = None  # the lowest loss drawn, with ``cap``

    @classmethod
    def choose(cls, values: np.ndarray, forced: bool | None = None, what: str = "losses") -> Scale:
        """The scale for these values (any, non-finite ones ignored), or the one the user forced.

        ``what`` names the values for the page: "losses", "val_accuracy values".
        """
        if forced is not None:
            return cls(forced)
        values = np.asarray(values, dtype=np.float64)
        finite = values[np.isfinite(values)]
        if np.any(finite <= 0):
            return cls(False, f"some {what} are zero or negative")
        if len(finite) and finite.max() < DECADE * finite.min():
            return cls(False, f"the {what} span less than a decade")
        return cls(True)

    def with_cap(self, losses: Iterable[np.ndarray]) -> Scale:
        """This scale, stopped at ten times (log) or three times (linear) the highest first loss
        when some run went above that, so that one exploding run does not flatten every other line.

        ``losses`` are the drawn lines' values (finite). What goes higher runs off
        the top, and the marks of such runs sit at the top edge.
        """
        lines = [line for line in losses if len(line)]
        if not lines:
            return self
        cap = max(line[0] for line in lines) * (10 if self.log else 3)
        top = max(line.max() for line in lines)
        if cap <= 0 or top <= cap:
            return self
        return dataclasses.replace(self, cap=float(cap), low=float(min(line.min() for line in lines)))

    def drawable(self, values: np.ndarray) -> np.ndarray:
        """A mask of the values this axis can show: finite, and positive on a log axis."""
        keep = np.isfinite(values)
        return keep & (values > 0) if self.log else keep

    def clip(self, y: float) -> float:
        return min(y, self.cap) if self.cap is not None else y

    def axis(self, title: str) -> dict[str, Any]:
        """Plotly's axis settings: its type, its title, and its range when capped."""
        axis: dict[str, Any] = {
            "title": {"text": title + (" (log scale)" if self.log else "")},
            "type": "log" if self.log else "linear",
            "exponentformat": "power" if self.log else "B",
        }
        if self.cap is not None and self.low is not None:
            if self.log:
                low, high = math.log10(self.low), math.log10(self.cap)
            else:
                low, high = min(self.low, 0.0), self.cap
            pad = 0.03 * (high - low)
            axis["range"] = [low - pad, high + pad]
        return axis
