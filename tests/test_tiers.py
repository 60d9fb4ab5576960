"""The tier lists name tests that exist: a renamed module or test would otherwise fall into the fast tier unseen."""

from __future__ import annotations

import ast

from tests.conftest import ROOT
from tests.tiers import FULL_MODULES, FULL_TESTS


def test_every_full_tier_module_exists():
    assert [path for path in sorted(FULL_MODULES) if not (ROOT / path).is_file()] == []


def test_every_full_tier_test_exists():
    missing = []
    for test in sorted(FULL_TESTS):
        path, _, name = test.partition("::")
        functions = {node.name for node in ast.walk(ast.parse((ROOT / path).read_text())) if isinstance(node, ast.FunctionDef)}
        if name not in functions:
            missing.append(test)
    assert missing == []
