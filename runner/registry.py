"""Loading plugins and collecting what they register.

``load_registry()`` builds a fresh plugin manager, loads every plugin
(entry points, of the packages ``RUNNER_PLUGIN_PACKAGES`` names when it is
set, then ``RUNNER_PLUGINS``), and asks each one, in turn, to
register its models, optimizers, datasets and schedules. A plugin that fails at any
of these points is skipped and reported in ``Registry.errors``; the others
are unaffected.

Each hook implementation is called on its own, the way pluggy calls one
(with just the arguments it declares), so that every spec is credited to
the plugin that registered it and one plugin's fault is its alone. The
forms of hook that cannot work that way (wrappers, async and generator
functions) are reported as that plugin's fault instead of being dropped.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, overload

import pluggy

from runner import hookspecs, tracing
from runner.errors import ConfigError
from runner.kinds import DATASET, KINDS, MODEL, OPTIMIZER, SCHEDULE, Kind, S, kind_named
from runner.specs import DatasetSpec, ModelSpec, OptimizerSpec, ScheduleSpec

__all__ = ["ENTRY_POINT_GROUP", "PACKAGES_VARIABLE", "Origin", "Entry", "PluginFault", "Registry",
    "unknown_name_message", "closest_name", "make_plugin_manager", "load_plugins", "plugin_entry_points",
    "import_local", "collect", "call_hook", "unsupported", "local_plugin_modules", "load_registry"]

ENTRY_POINT_GROUP = "runner"
PACKAGES_VARIABLE = "RUNNER_PLUGIN_PACKAGES"


@dataclass(frozen=True)
class Origin:
    """Where a plugin came from."""

    plugin: str
    package: str
    version: str


@dataclass(frozen=True)
class Entry(Generic[S]):
    """One registered spec and the plugin that registered it."""

    spec: S
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
    """What the plugins registered, one table per kind (named by ``Kind.plural``), and their faults."""

    models: dict[str, Entry[ModelSpec]] = field(default_factory=dict)
    optimizers: dict[str, Entry[OptimizerSpec]] = field(default_factory=dict)
    datasets: dict[str, Entry[DatasetSpec]] = field(default_factory=dict)
    schedules: dict[str, Entry[ScheduleSpec]] = field(default_factory=dict)
    errors: list[PluginFault] = field(default_factory=list)

    def table(self, kind: str | Kind[Any]) -> dict[str, Entry[Any]]:
        """The table of ``kind`` (a Kind or its name: "model", "optimizer", "dataset", "schedule")."""
        table: dict[str, Entry[Any]] = getattr(self, (kind if isinstance(kind, Kind) else kind_named(kind)).plural)
        return table

    def model(self, name: str) -> ModelSpec:
        """The model ``name``, or a ConfigError listing the models that exist."""
        return self.entry(MODEL, name).spec

    def optimizer(self, name: str) -> OptimizerSpec:
        return self.entry(OPTIMIZER, name).spec

    def dataset(self, name: str) -> DatasetSpec:
        return self.entry(DATASET, name).spec

    def schedule(self, name: str) -> ScheduleSpec:
        return self.entry(SCHEDULE, name).spec

    def entry(self, kind: Kind[S], name: str) -> Entry[S]:
        """The spec ``name`` of ``kind`` and its origin, typed by the kind."""
        return self.get(kind.name, name)

    @overload
    def get(self, kind: Literal["model"], name: str) -> Entry[ModelSpec]: ...
    @overload
    def get(self, kind: Literal["optimizer"], name: str) -> Entry[OptimizerSpec]: ...
    @overload
    def get(self, kind: Literal["dataset"], name: str) -> Entry[DatasetSpec]: ...
    @overload
    def get(self, kind: Literal["schedule"], name: str) -> Entry[ScheduleSpec]: ...
    @overload
    def get(self, kind: str, name: str) -> Entry[Any]: ...

    def get(self, kind: str, name: str) -> Entry[Any]:
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
    close = closest_name(name, known)
    if close:
        message += f" (did you mean {close!r}?)"
    return message + f"; choose from: {', '.join(known) or 'none installed'}"


def closest_name(name: str, known: list[str]) -> str | None:
    """The known name a user most likely meant: a close spelling, else the one name that contains it.

    A plugin's names are often the short name with a prefix (``mlp`` for ``digits_mlp``), which
    difflib's ratio alone misses; a part shared by several names suggests none of them.
    """
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return close[0]
    folded = name.casefold()
    containing = [k for k in known if folded and (folded in k.casefold() or k.casefold() in folded)]
    return containing[0] if len(containing) == 1 else None


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager that knows runner's hooks and no plugins yet."""
    pm = pluggy.PluginManager("runner")
    pm.add_hookspecs(hookspecs)
    tracing.monitor(pm)  # RUNNER_TRACE_PLUGINS=1: hook calls made through pm.hook
    return pm


def load_plugins(
    pm: pluggy.PluginManager, errors: list[PluginFault], extra_modules: Iterable[str] = ()
) -> dict[str, Origin]:
    """Register every entry-point plugin, then the ``extra_modules``.

    Built-in plugins are entry points of the runner package itself, so they
    go through exactly this path.
    """
    origins: dict[str, Origin] = {}
    for ep in plugin_entry_points(errors):
        dist = ep.dist
        origin = Origin(ep.name, dist.name if dist else "?", dist.version if dist else "?")
        _register(pm, ep.name, ep.load, origin, origins, errors)
    for module in extra_modules:
        origin = Origin(module, "(local)", "")
        _register(pm, module, functools.partial(import_local, module), origin, origins, errors)
    return origins


def plugin_entry_points(errors: list[PluginFault]) -> list[importlib.metadata.EntryPoint]:
    """The ``runner`` entry points to load: every installed package's, or, when $RUNNER_PLUGIN_PACKAGES names
    packages (comma-separated, as pip lists them: ``runner,runner-my-model``), only theirs; a named package
    that has none (a typo, or not installed) is a fault in ``errors``.

    A plugin's tests set it so that whatever else is installed beside them cannot change what they see;
    runner's own suite sets it to ``runner`` (tests/conftest.py).
    """
    found = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
    named = [p.strip() for p in os.environ.get(PACKAGES_VARIABLE, "").split(",") if p.strip()]
    if not named:
        return found
    chosen = [ep for ep in found if ep.dist is not None and _normalized(ep.dist.name) in map(_normalized, named)]
    have = {_normalized(ep.dist.name) for ep in chosen if ep.dist is not None}
    for package in named:
        if _normalized(package) not in have:
            errors.append(PluginFault(package, f"${PACKAGES_VARIABLE} names it, but no installed package of that name "
                                               "has runner plugins; check the name against `pip list`"))
    return chosen


def _normalized(package: str) -> str:
    """A package's name as pip compares names (PEP 503): ``Runner_My.Model`` is ``runner-my-model``."""
    return re.sub(r"[-_.]+", "-", package.strip()).lower()


def import_local(name: str) -> Any:
    """A module by dotted name, or by file path (``./my_plugin.py``) for a plugin not yet packaged."""
    if not name.endswith(".py"):
        return importlib.import_module(name)
    path = os.path.abspath(name)
    if not os.path.isfile(path):
        raise ImportError(f"no such file: {name}")
    spec = importlib.util.spec_from_file_location(f"runner_local_{os.path.basename(path)[:-3]}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name} as a module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _register(pm: pluggy.PluginManager, name: str, load: Callable[[], Any], origin: Origin,
              origins: dict[str, Origin], errors: list[PluginFault]) -> None:
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
        errors.append(PluginFault(name, "; ".join(str(exc).splitlines())))  # pluggy's are several lines
        tracing.trace(str(errors[-1]))
        return
    origins[name] = origin
    hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    module = getattr(plugin, "__name__", type(plugin).__name__)
    source = f"{origin.package} {origin.version}".strip()
    tracing.trace(f"loaded plugin {name!r} (module {module}, package {source}): hooks {', '.join(hooks) or 'none'}")


def collect(pm: pluggy.PluginManager, origins: dict[str, Origin], registry: Registry) -> None:
    """Ask each plugin in turn to register its specs into ``registry``."""
    for kind in KINDS:
        # One implementation at a time (first registered first), so that each
        # spec is credited to its plugin and one failing plugin is contained.
        for impl in getattr(pm.hook, kind.hook).get_hookimpls():
            origin = origins.get(impl.plugin_name) or Origin(impl.plugin_name, "?", "?")
            call_hook(kind, impl, origin, registry)


def call_hook(kind: Kind[Any], impl: pluggy.HookImpl, origin: Origin, registry: Registry) -> None:
    """Call one implementation of ``kind``'s hook as pluggy would: with the arguments it declares, by position."""
    offered = {"register": _register_callback(kind, origin, registry)}  # the hookspec's arguments
    fault = unsupported(impl, kind.hook, offered)
    if fault:
        _fault(registry, origin.plugin, fault)
        return
    args = {name: offered[name] for name in impl.argnames}  # pluggy checked, at register(), that it declares no others
    tracing.call(kind.hook, origin.plugin, args)
    try:
        value = impl.function(*args.values())
    except Exception as exc:
        registry.errors.append(PluginFault(origin.plugin, f"{kind.hook} raised {type(exc).__name__}: {exc}"))
        tracing.result(kind.hook, origin.plugin, error=exc)
        return
    tracing.result(kind.hook, origin.plugin, value)
    if value is not None:  # e.g. a list of specs, as datasette-style hooks return: nothing would register them
        _fault(registry, origin.plugin, f"{kind.hook} returned {tracing.short(value)}, which runner ignores: "
                                        "call register(spec) once per spec and return nothing")


def unsupported(impl: pluggy.HookImpl, hook_name: str, argnames: Iterable[str]) -> str | None:
    """Why runner cannot call this implementation, or None.

    runner calls each hook once, directly, and reads nothing back: a
    wrapper has nothing to wrap, and an async or generator function would
    return without its body having run.
    """
    function = impl.function
    if impl.wrapper or impl.hookwrapper:
        option = "wrapper=True" if impl.wrapper else "hookwrapper=True"
        return (f"{hook_name} is a hook wrapper (@hookimpl({option})), which runner does not support: "
                "drop the option and call register(spec) directly")
    if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
        return f"{hook_name} is an async function, which runner never awaits: make it a plain def"
    if inspect.isgeneratorfunction(function):
        return f"{hook_name} is a generator function (it yields), so its body never runs: call register(spec) instead"
    defaulted = sorted(set(impl.kwargnames) & set(argnames))
    if defaulted:
        return (f"{hook_name} gives {defaulted[0]!r} a default, so pluggy never passes it: "
                f"declare it without one ({hook_name}({defaulted[0]}))")
    return None


def _fault(registry: Registry, plugin: str, message: str) -> None:
    registry.errors.append(PluginFault(plugin, message))
    tracing.trace(str(registry.errors[-1]))


def _register_callback(kind: Kind[Any], origin: Origin, registry: Registry) -> Callable[[Any], None]:
    spec_type = kind.spec_type
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
                PluginFault(origin.plugin, f"{kind.name} name {spec.name!r} is already taken by plugin {taken!r}")
            )
            tracing.trace(f"    register({spec_type.__name__}(name={spec.name!r})) -> skipped: name taken by {taken!r}")
            return
        table[spec.name] = Entry(spec, origin)
        tracing.trace(f"    register({spec_type.__name__}(name={spec.name!r})) -> {kind.name} {spec.name!r} registered")

    register.__name__ = f"register {kind.name}"  # how the trace shows the callback
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
