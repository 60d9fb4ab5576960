"""The architecture holds: no import circles anywhere in runner, and the layer contracts of pyproject.toml
([tool.importlinter]: cli -> execution -> training -> store -> the plugin API) are kept. Function-local and
type-checking imports count: a circle hidden inside a function is still a circle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

grimp = pytest.importorskip("grimp")


def module_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("runner", include_external_packages=False, cache_dir=None)  # no cache in the checkout
    # Importing the package root (its __version__, the plugin API's names) is not a dependency on a layer.
    return {m: graph.find_modules_directly_imported_by(m) - {"runner"} for m in graph.modules}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph``: its strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_runner_has_no_import_circles():
    assert circles(module_graph()) == []


def test_the_layer_contracts_are_kept():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                           "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_two_modules_share_a_name():
    names: dict[str, list[str]] = {}
    for path in (ROOT / "runner").rglob("*.py"):
        if path.name != "__init__.py" and "migrations" not in path.parts:
            names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in names.items() if len(paths) > 1} == {}
