"""docs/plugins.md covers every hook, and every hook has tests of its own.

A hook added to runner/hookspecs.py fails this test until docs/plugins.md
has its section (a heading naming it) with its signature, the same as the
hookspec's (datasette's check), and a runnable example (the block after
``<!-- example: HOOK -->``), and tests/hooks/test_HOOK.py exists with at
least one test.
"""

import ast
import re
from pathlib import Path

import pytest

from runner import hookspecs
from runner.kinds import KINDS
from runner.registry import make_plugin_manager
from tests.support.docs import doc_text, examples

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name, value in vars(hookspecs).items() if callable(value) and hasattr(value, "runner_spec"))


def test_the_hooks_are_found_and_each_kind_has_one():
    assert HOOKS == sorted(kind.hook for kind in KINDS)
    assert HOOKS == ["register_datasets", "register_models", "register_optimizers", "register_schedules"]


def documented_signature(hook: str) -> ast.FunctionDef:
    """The function in the first python block of the hook's section: how the docs say to write it."""
    section = doc_text().split(f"### `{hook}`", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block, f"the {hook} section of docs/plugins.md shows no signature"
    functions = [node for node in ast.parse(block.group(1)).body if isinstance(node, ast.FunctionDef)]
    assert len(functions) == 1, f"the first python block of the {hook} section should be its signature alone"
    return functions[0]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hooks_documented_signature_is_its_hookspecs(hook):
    documented = documented_signature(hook)
    spec = getattr(make_plugin_manager().hook, hook).spec
    kind = next(k for k in KINDS if k.hook == hook)
    assert documented.name == hook
    assert [ast.unparse(d) for d in documented.decorator_list] == ["runner.hookimpl"]
    assert tuple(a.arg for a in documented.args.args) == spec.argnames, "the arguments differ from the hookspec's"
    assert not (documented.args.defaults or documented.args.kwonlyargs or documented.args.vararg), "pluggy passes none"
    assert [ast.unparse(a.annotation) for a in documented.args.args if a.annotation] == [
        f"Callable[[{kind.spec_type.__name__}], None]"  # register takes this kind's spec
    ]
    assert documented.returns is not None and ast.unparse(documented.returns) == "None"
    assert not spec.opts["firstresult"] and not spec.opts["historic"]  # what the docs say of calls and results


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_a_runnable_example(hook):
    text = doc_text()
    assert f"### `{hook}`" in text, f"docs/plugins.md has no section '### `{hook}`'"
    assert hook in examples(), f"docs/plugins.md has no example for {hook} (<!-- example: {hook} --> before a python block)"
    tree = ast.parse(examples()[hook])
    hooked = [f.name for f in tree.body if isinstance(f, ast.FunctionDef)
              and any(getattr(d, "attr", getattr(d, "id", "")) == "hookimpl" for d in f.decorator_list)]
    assert hooked == [hook], f"the {hook} example should implement exactly that hook, not {hooked}"
    section = text.split(f"### `{hook}`", 1)[1].split("\n### ", 1)[0]
    for part in ("**When it is called:**", "**What it registers:**"):
        assert part in section, f"the {hook} section lacks {part}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_tests_of_its_own(hook):
    path = ROOT / "tests" / "hooks" / f"test_{hook}.py"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: every hook has a test module of its own"
    tests = [f.name for f in ast.parse(path.read_text()).body if isinstance(f, ast.FunctionDef) and f.name.startswith("test_")]
    assert tests, f"{path.relative_to(ROOT)} has no tests"


def test_the_readme_points_to_the_plugin_guide():
    readme = (ROOT / "README.md").read_text()
    assert "docs/plugins.md" in readme
