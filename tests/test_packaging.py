"""Installing runner puts runner and runner_plugins into site-packages, never a bare `plugins`.

The built-ins live in plugins/ in the repository; pyproject.toml maps that
folder to the package runner_plugins, so that another project's `plugins`
package cannot clash with ours.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def installed_top_level_names(dist: importlib.metadata.Distribution) -> set[str]:
    """The top-level packages a distribution installs (setuptools records them, editable or not)."""
    text = dist.read_text("top_level.txt")
    if text is not None:
        return set(text.split())
    return {Path(str(f)).parts[0] for f in dist.files or () if str(f).endswith(".py") and "/" in str(f)}


def test_the_installed_runner_has_no_bare_plugins_package():
    names = installed_top_level_names(importlib.metadata.distribution("runner"))
    assert "plugins" not in names, "pyproject.toml must map plugins/ to runner_plugins (then reinstall)"
    assert {"runner", "runner_plugins"} <= names


def test_the_entry_points_name_runner_plugins():
    dist = importlib.metadata.distribution("runner")
    values = [ep.value for ep in dist.entry_points if ep.group == "runner"]
    assert values and all(v.startswith("runner_plugins.") for v in values), values


def test_the_listed_packages_are_exactly_the_package_folders():
    """setuptools cannot rename packages it finds, so pyproject.toml lists them: the list must not go stale."""
    tomllib = pytest.importorskip("tomllib")
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folder_of = {name: folder for name, folder in setuptools["package-dir"].items()}
    assert folder_of == {"runner_plugins": "plugins"}
    on_disk = set()
    for package, folder in (("runner", "runner"), *folder_of.items()):
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            on_disk.add(".".join((package, *relative)))
    assert set(setuptools["packages"]) == on_disk
