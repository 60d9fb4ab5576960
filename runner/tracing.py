"""Every plugin load, hook call and result, logged at DEBUG on the ``runner.plugins`` logger.

For plugin authors who wonder why their plugin is not seen.
``RUNNER_TRACE_PLUGINS=1`` turns it on and, where logging is not configured,
prints it on stderr (``runner trace: ...``); a program that embeds runner gets
the same with ``logging.getLogger("runner.plugins").setLevel(logging.DEBUG)``
and its own handlers. runner calls the registration hooks one implementation
at a time, itself (so it can credit each spec to its plugin and contain a
failing one), which pluggy's own hook-call monitoring would not see;
``registry.collect`` therefore traces those calls here, in the same form,
with the arguments each one declares, and the hooks it refuses to call
(wrappers, async functions). Hooks called through ``pm.hook`` are traced by
pluggy's monitoring, installed by ``monitor``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import pluggy

ENV = "RUNNER_TRACE_PLUGINS"
PREFIX = "runner trace: "
LOGGER = logging.getLogger("runner.plugins")


class _Stderr(logging.StreamHandler):
    """Whatever sys.stderr is when a line is written (as logging's own last resort does), not at creation."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter(PREFIX + "%(message)s"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _follow_variable() -> None:
    """While RUNNER_TRACE_PLUGINS says so, the logger logs at DEBUG, with a stderr handler where none would print
    it (logging not configured: a plain ``runner`` command). The variable is read at each use, not at import."""
    if os.environ.get(ENV, "").strip().lower() not in ("1", "true", "yes", "on"):
        return
    if not LOGGER.isEnabledFor(logging.DEBUG):
        LOGGER.setLevel(logging.DEBUG)
    if not LOGGER.hasHandlers():
        LOGGER.addHandler(_Stderr())


def enabled() -> bool:
    _follow_variable()
    return LOGGER.isEnabledFor(logging.DEBUG)


def trace(message: str) -> None:
    """Log one trace line, if tracing is on."""
    if enabled():
        LOGGER.debug(message)


def call(hook_name: str, plugin: str, kwargs: Mapping[str, Any]) -> None:
    if not enabled():
        return
    args = ", ".join(f"{k}={short(v)}" for k, v in kwargs.items())
    trace(f"call {hook_name}({args}) in plugin {plugin!r}")


def result(hook_name: str, plugin: str, value: Any = None, error: BaseException | None = None) -> None:
    if not enabled():
        return
    if error is not None:
        trace(f"  {hook_name} in plugin {plugin!r} raised {type(error).__name__}: {error}")
    else:
        trace(f"  {hook_name} in plugin {plugin!r} returned {short(value)}")


def monitor(pm: pluggy.PluginManager) -> Callable[[], None] | None:
    """Trace hook calls made through ``pm.hook`` with pluggy's monitoring; returns the undo function."""
    if not enabled():
        return None

    def before(hook_name, hook_impls, kwargs):
        for impl in hook_impls:
            call(hook_name, impl.plugin_name, kwargs)

    def after(outcome, hook_name, hook_impls, kwargs):
        exc = outcome.exception
        names = ", ".join(impl.plugin_name for impl in hook_impls) or "no plugin"
        if exc is not None:
            trace(f"  {hook_name} [{names}] raised {type(exc).__name__}: {exc}")
        else:
            trace(f"  {hook_name} [{names}] returned {short(outcome.get_result())}")

    return pm.add_hookcall_monitoring(before, after)


def short(value: Any, limit: int = 120) -> str:
    """``value`` for a trace line: a callable by its name (``<register model>``), anything else by repr, cut short."""
    text = getattr(value, "__name__", None) if callable(value) and not hasattr(value, "__dataclass_fields__") else None
    text = f"<{text}>" if text else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
