"""How often a run takes a checkpoint: ``"300s"`` (seconds of training) or ``"500 steps"``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.errors import OptionError

__all__ = ["DEFAULT", "Every", "parse_every"]

DEFAULT = "300s"  # by time, so that a short run takes none until it is stopped
_SECONDS = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:s|sec|seconds?)\s*", re.I)
_STEPS = re.compile(r"\s*(\d+)\s*steps?\s*", re.I)


@dataclass(frozen=True)
class Every:
    """One of the two is set: a checkpoint after each ``steps`` steps, or once ``seconds`` have passed since the last."""

    seconds: float | None = None
    steps: int | None = None


def parse_every(text: object) -> Every:
    """``"300s"`` or ``"500 steps"``; an OptionError saying how to write it otherwise."""
    if isinstance(text, str):
        seconds, steps = _SECONDS.fullmatch(text), _STEPS.fullmatch(text)
        if seconds and float(seconds.group(1)) > 0:
            return Every(seconds=float(seconds.group(1)))
        if steps and int(steps.group(1)) > 0:
            return Every(steps=int(steps.group(1)))
    raise OptionError(f"checkpoint_every must be a positive time such as '300s' or a number of steps such as "
                      f"'500 steps', not {text!r}")
