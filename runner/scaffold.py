"""Writing a new plugin package from runner/templates (``runner plugins new``)."""

from __future__ import annotations

import importlib.util
import keyword
import re
from importlib import resources
from pathlib import Path
from string import Template

from runner.errors import ConfigError

KINDS = ("model", "optimizer", "dataset")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# How to use each kind once installed (the README and the command's summary say it).
RUN_COMMAND = {
    "model": "runner run --model {name} --steps 100",
    "optimizer": "runner run --model sequential --optimizer {name} --lr 1e-3",
    "dataset": "runner run --model sequential --dataset {name}",
}
# What each written file is, for the summary the command prints.
ROLES = {
    "pyproject.toml": "the package, with the `runner` entry point that makes runner find it",
    "README.md": "how to install, test, check and run it",
    "__init__.py": "registers it with runner (the hook function)",
    "model.py": "the model itself",
    "torch_rule.py": "the update rule for torch models",
    "numpy_rule.py": "the update rule for NumPy models",
}


def names_for(name: str) -> dict[str, str]:
    return {"name": name, "module": f"runner_{name}", "dist": "runner-" + name.replace("_", "-")}


def check_name(name: str, taken: set[str]) -> None:
    """A ConfigError unless ``name`` can be a plugin, a Python package suffix and an entry-point name."""
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise ConfigError(f"a plugin name is lower case letters, digits and underscores, starting with a letter, not {name!r}")
    if name in taken:
        raise ConfigError(f"{name!r} is already registered by an installed plugin; choose another name")
    module = names_for(name)["module"]
    if importlib.util.find_spec(module) is not None:
        raise ConfigError(f"a Python package {module!r} is already installed; choose another name")


def scaffold(name: str, kind: str, directory: Path, taken: set[str] = frozenset()) -> list[Path]:
    """Write the package for the ``kind`` plugin ``name`` into ``directory``; returns the files written."""
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    check_name(name, set(taken))
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ConfigError(f"{directory} already exists and is not an empty directory; choose another DIR")
    values = {**names_for(name), "kind": kind, "run": RUN_COMMAND[kind].format(name=name)}
    root = resources.files("runner.templates")
    written = []
    for part in ("common", kind):
        for source, relative in _templates(root / part):
            target = directory / relative.replace("MODULE", values["module"]).replace("NAME", name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
            written.append(target)
    return written


def _templates(folder, prefix: str = ""):
    """(template, relative path without .tmpl) for every template under ``folder``, sorted."""
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _templates(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".tmpl"):
            yield entry, prefix + entry.name[: -len(".tmpl")]
