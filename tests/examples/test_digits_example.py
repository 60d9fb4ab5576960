"""The digits example's own tests (examples/digits/tests), collected as part of runner's suite.

The example is a separate, installable package (CI installs it with
``pip install -e examples/digits``); its tests stay in its own tree so that
it can be copied out as a template for a real plugin. Its test functions
are imported here, where pytest collects them.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLE_TESTS = Path(__file__).resolve().parents[2] / "examples" / "digits" / "tests"

if importlib.util.find_spec("runner_digits") is None:
    pytest.skip("the digits example is not installed: pip install -e examples/digits", allow_module_level=True)

sys.path.insert(0, str(EXAMPLE_TESTS))  # as pytest does for a test directory without __init__.py
for _path in sorted(EXAMPLE_TESTS.glob("test_*.py")):
    _module = importlib.import_module(_path.stem)
    globals().update({name: value for name, value in vars(_module).items() if name.startswith("test_")})
