"""Writing a new plugin package from runner/templates (``runner plugins new``)."""

from __future__ import annotations

import importlib.util
import json
import keyword
import re
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from runner.errors import ConfigError
from runner.kinds import BY_NAME, NAMES

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["NAME_PATTERN", "HOOK_PART", "ROLES", "parse_kinds", "in_words", "run_command", "next_steps",
    "names_for", "check_name", "scaffold"]

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
HOOK_PART = "hook.py.tmpl"  # a kind's part of MODULE/__init__.py, not a file of its own

# What each written file is, for the summary the command prints.
ROLES = {
    "pyproject.toml": "the package, with the `runner` entry point that makes runner find it",
    "README.md": "how to install, test, check and run it",
    "__init__.py": "registers it with runner (its hook functions)",
    "model.py": "the model itself",
    "torch_rule.py": "the update rule for torch models",
    "numpy_rule.py": "the update rule for NumPy models",
}


def parse_kinds(kinds: str | Sequence[str]) -> tuple[str, ...]:
    """``"model,dataset"`` (or a sequence) as kinds in runner's order, each once; a ConfigError for any other word."""
    words = [w.strip() for w in (kinds.split(",") if isinstance(kinds, str) else kinds)]
    if not words or not all(w in NAMES for w in words):
        raise ConfigError(f"the kinds are one or more of {', '.join(NAMES)}, comma-separated, not {kinds!r}")
    return tuple(k for k in NAMES if k in words)


def in_words(kinds: Sequence[str]) -> str:
    """``model``, ``model and dataset``, ``model, optimizer and dataset``."""
    return " and ".join([", ".join(kinds[:-1]), kinds[-1]] if len(kinds) > 1 else kinds)


def run_command(name: str, kinds: Sequence[str]) -> str:
    """A first run that uses every kind the package holds (the built-in ``sequential`` model otherwise)."""
    words = ["runner run --model", name if "model" in kinds else "sequential"]
    words += [f"--{kind} {name}" for kind in ("optimizer", "dataset", "schedule") if kind in kinds]
    return " ".join(words + (["--steps 100"] if "model" in kinds else []))


def next_steps(name: str, kinds: Sequence[str], directory: str | None = None) -> list[str]:
    """Install, test, check and run the new package, from ``directory`` (None: from inside it)."""
    checks = [f"runner plugins check {name}"] if len(kinds) == 1 else [
        f"runner plugins check {name} --kind {kind}" for kind in kinds  # one name, several kinds: say which
    ]
    install, test = f"pip install -e {directory or '.'}", f"pytest {directory or ''}".rstrip()
    return [install, test, *checks, run_command(name, kinds)]


def names_for(name: str) -> dict[str, str]:
    return {"name": name, "module": f"runner_{name}", "dist": "runner-" + name.replace("_", "-")}


def check_name(name: str, taken: set[str]) -> None:
    """A ConfigError unless ``name`` can be a plugin, a Python package suffix and an entry-point name."""
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"a plugin name is lower case letters, digits and underscores, starting with a letter, not {name!r}"
        )
    if name in taken:
        raise ConfigError(f"{name!r} is already registered by an installed plugin; choose another name")
    module = names_for(name)["module"]
    if importlib.util.find_spec(module) is not None:
        raise ConfigError(f"a Python package {module!r} is already installed; choose another name")


def scaffold(name: str, kinds: str | Sequence[str], directory: Path, taken: Iterable[str] = ()) -> list[Path]:
    """Write one package with the plugin ``name`` of each of ``kinds`` into ``directory``; returns the files written."""
    kinds = parse_kinds(kinds)
    check_name(name, set(taken))
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ConfigError(f"{directory} already exists and is not an empty directory; choose another DIR")
    root = resources.files("runner.templates")
    values = {
        **names_for(name),
        "what": in_words(kinds),
        "kinds": json.dumps(list(kinds)),
        "steps": "\n".join("    " + step for step in next_steps(name, kinds)),
    }
    values["hooks"] = "".join(_render(root / kind / HOOK_PART, values) for kind in kinds).rstrip("\n")
    specs = ", ".join(sorted(BY_NAME[kind].spec_type.__name__ for kind in kinds))
    imports = [f"from runner import {specs}, hookimpl"]
    if "lazy(" in values["hooks"]:  # a builder that imports torch only when a run calls it
        imports.append("from runner.specs import lazy")
    values["imports"] = "\n".join(imports)
    written = []
    for part in ("package", *kinds):
        for source, relative in _templates(root / part):
            if relative == HOOK_PART[: -len(".tmpl")]:
                continue
            target = directory / relative.replace("MODULE", values["module"]).replace("NAME", name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_render(source, values), encoding="utf-8")
            written.append(target)
    return sorted(written)


def _render(template: Traversable, values: dict[str, str]) -> str:
    return Template(template.read_text(encoding="utf-8")).substitute(values)


def _templates(folder: Traversable, prefix: str = "") -> Iterator[tuple[Traversable, str]]:
    """(template, relative path without .tmpl) for every template under ``folder``, sorted."""
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _templates(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".tmpl"):
            yield entry, prefix + entry.name[: -len(".tmpl")]
