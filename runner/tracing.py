"""``RUNNER_TRACE_PLUGINS=1``: every plugin load, hook call and result, on stderr.

For plugin authors who wonder why their plugin is not seen. runner calls
the registration hooks one implementation at a time, itself (so it can
credit each spec to its plugin and contain a failing one), which pluggy's
own hook-call monitoring would not see; ``registry.collect`` therefore
traces those calls here, in the same form, with the arguments each one
declares, and the hooks it refuses to call (wrappers, async functions).
Hooks called through ``pm.hook`` are traced by pluggy's monitoring,
installed by ``monitor``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import pluggy

ENV = "RUNNER_TRACE_PLUGINS"
PREFIX = "runner trace: "


def enabled() -> bool:
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes", "on")


def trace(message: str) -> None:
    """Print one trace line to stderr, if tracing is on."""
    if enabled():
        print(PREFIX + message, file=sys.stderr, flush=True)


def call(hook_name: str, plugin: str, kwargs: Mapping[str, Any]) -> None:
    args = ", ".join(f"{k}={short(v)}" for k, v in kwargs.items())
    trace(f"call {hook_name}({args}) in plugin {plugin!r}")


def result(hook_name: str, plugin: str, value: Any = None, error: BaseException | None = None) -> None:
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
