"""Loading plugins and collecting what they register.

``load_registry()`` builds a fresh plugin manager, loads every plugin
(entry points, then ``RUNNER_PLUGINS``), and asks each one, in turn, to
register its models, optimizers and datasets. A plugin that fails at any
of these points is skipped and reported in ``Registry.errors``; the others
are unaffected.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from runner import hookspecs, tracing
from runner.errors import ConfigError
from runner.specs import DatasetSpec, ModelSpec, OptimizerSpec

ENTRY_POINT_GROUP = "runner"
KINDS = {"model": ModelSpec, "optimizer": OptimizerSpec, "dataset": DatasetSpec}
HOOKS = {"model": "register_models", "optimizer": "register_optimizers", "dataset": "register_datasets"}


@dataclass(frozen=True)
class Origin:
    """Where a plugin came from."""

    plugin: str
    package: str
    version: str


@dataclass(frozen=True)
class Entry:
    """One registered spec and the plugin that registered it."""

    spec: Any
    origin: Origin


@dataclass(frozen=True)
class PluginFault:
    """A plugin, or one thing it registered, that was skipped."""

    plugin: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} skipped: {self.message}"


@dataclass
class Registry:
    models: dict[str, Entry] = field(default_factory=dict)
    optimizers: dict[str, Entry] = field(default_factory=dict)
    datasets: dict[str, Entry] = field(default_factory=dict)
    errors: list[PluginFault] = field(default_factory=list)

    def table(self, kind: str) -> dict[str, Entry]:
        return {"model": self.models, "optimizer": self.optimizers, "dataset": self.datasets}[kind]

    def get(self, kind: str, name: str) -> Entry:
        """The entry for ``name``, or a ConfigError listing the names that exist."""
        table = self.table(kind)
        if name in table:
            return table[name]
        message = unknown_name_message(kind, name, table)
        if self.errors:  # the name may belong to a plugin that failed to load: point at why
            skipped = ", ".join(sorted({repr(f.plugin) for f in self.errors}))
            message += f" (skipped plugin{'s' if len(self.errors) > 1 else ''}: {skipped}; see the warnings above)"
        raise ConfigError(message)


def unknown_name_message(kind: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    message = f"unknown {kind} {name!r}"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return message + f"; choose from: {', '.join(known) or 'none installed'}"


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager that knows runner's hooks and no plugins yet."""
    pm = pluggy.PluginManager("runner")
    pm.add_hookspecs(hookspecs)
    tracing.monitor(pm)  # RUNNER_TRACE_PLUGINS=1: hook calls made through pm.hook
    return pm


def load_plugins(pm: pluggy.PluginManager, errors: list[PluginFault], extra_modules: Iterable[str] = ()) -> dict[str, Origin]:
    """Register every entry-point plugin, then the ``extra_modules``.

    Built-in plugins are entry points of the runner package itself, so they
    go through exactly this path.
    """
    origins: dict[str, Origin] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        origin = Origin(ep.name, dist.name if dist else "?", dist.version if dist else "?")
        _register(pm, ep.name, ep.load, origin, origins, errors)
    for module in extra_modules:
        origin = Origin(module, "(local)", "")
        _register(pm, module, lambda m=module: import_local(m), origin, origins, errors)
    return origins


def import_local(name: str) -> Any:
    """A module by dotted name, or by file path (``./my_plugin.py``) for a plugin not yet packaged."""
    if not name.endswith(".py"):
        return importlib.import_module(name)
    path = os.path.abspath(name)
    if not os.path.isfile(path):
        raise ImportError(f"no such file: {name}")
    spec = importlib.util.spec_from_file_location(f"runner_local_{os.path.basename(path)[:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _register(pm, name, load, origin, origins, errors) -> None:
    if pm.has_plugin(name):
        errors.append(PluginFault(name, f"the plugin name {name!r} is already taken by {origins[name].package}"))
        return
    try:
        plugin = load()
    except Exception as exc:  # a broken plugin must not take the CLI down
        errors.append(PluginFault(name, f"failed to import: {type(exc).__name__}: {exc}"))
        tracing.trace(str(errors[-1]))
        return
    try:
        pm.register(plugin, name=name)
        pm.check_pending()  # a misspelled hook name fails here, loudly
    except (pluggy.PluginValidationError, ValueError) as exc:
        if pm.has_plugin(name):
            pm.unregister(name=name)
        errors.append(PluginFault(name, str(exc)))
        tracing.trace(str(errors[-1]))
        return
    origins[name] = origin
    hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    module = getattr(plugin, "__name__", type(plugin).__name__)
    source = f"{origin.package} {origin.version}".strip()
    tracing.trace(f"loaded plugin {name!r} (module {module}, package {source}): hooks {', '.join(hooks) or 'none'}")


def collect(pm: pluggy.PluginManager, origins: dict[str, Origin], registry: Registry) -> None:
    """Ask each plugin in turn to register its specs into ``registry``."""
    for kind, hook_name in HOOKS.items():
        hook = getattr(pm.hook, hook_name)
        # Called one plugin at a time (first registered first), so that each
        # spec is credited to its plugin and one failing plugin is contained.
        for impl in hook.get_hookimpls():
            origin = origins.get(impl.plugin_name) or Origin(impl.plugin_name, "?", "?")
            register = _register_callback(kind, origin, registry)
            tracing.call(hook_name, origin.plugin, {"register": register})
            try:
                value = impl.function(register=register)
            except Exception as exc:
                registry.errors.append(PluginFault(origin.plugin, f"{hook_name} raised {type(exc).__name__}: {exc}"))
                tracing.result(hook_name, origin.plugin, error=exc)
            else:
                tracing.result(hook_name, origin.plugin, value)


def _register_callback(kind: str, origin: Origin, registry: Registry):
    spec_type = KINDS[kind]
    table = registry.table(kind)

    def register(spec: Any) -> None:
        if not isinstance(spec, spec_type):
            registry.errors.append(
                PluginFault(origin.plugin, f"registered {spec!r}, which is not a {spec_type.__name__}")
            )
            tracing.trace(f"    register({spec!r}) -> skipped: not a {spec_type.__name__}")
            return
        if spec.name in table:
            taken = table[spec.name].origin.plugin
            registry.errors.append(
                PluginFault(origin.plugin, f"{kind} name {spec.name!r} is already taken by plugin {taken!r}")
            )
            tracing.trace(f"    register({spec_type.__name__}(name={spec.name!r})) -> skipped: name taken by {taken!r}")
            return
        table[spec.name] = Entry(spec, origin)
        tracing.trace(f"    register({spec_type.__name__}(name={spec.name!r})) -> {kind} {spec.name!r} registered")

    register.__name__ = f"register {kind}"  # how the trace shows the callback
    return register


def local_plugin_modules() -> list[str]:
    """Module names or ``.py`` file paths from ``RUNNER_PLUGINS`` (comma-separated)."""
    return [m.strip() for m in os.environ.get("RUNNER_PLUGINS", "").split(",") if m.strip()]


def load_registry(pm: pluggy.PluginManager | None = None, extra_modules: Iterable[str] | None = None) -> Registry:
    """Load all plugins into a fresh manager and return what they registered."""
    pm = pm or make_plugin_manager()
    registry = Registry()
    modules = local_plugin_modules() if extra_modules is None else list(extra_modules)
    origins = load_plugins(pm, registry.errors, modules)
    collect(pm, origins, registry)
    return registry
