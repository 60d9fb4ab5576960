"""Collecting an example package's own tests (examples/NAME/tests) as part of runner's suite.

Each example is a separate, installable package (CI installs it with
``pip install -e examples/NAME``); its tests stay in its own tree so that it
can be copied out as a template for a real plugin. ``collect`` imports its
test functions into the calling module, where pytest collects them.
"""

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def collect(example: str, package: str, namespace: dict[str, Any]) -> None:
    """Put the ``test_*`` functions of examples/EXAMPLE/tests into ``namespace`` (skip if PACKAGE is not installed),
    with the example's installed package (runner-EXAMPLE) among the plugins they load."""
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"the {example} example is not installed: pip install -e examples/{example}", allow_module_level=True)
    tests = EXAMPLES / example / "tests"
    sys.path.insert(0, str(tests))  # as pytest does for a test directory without __init__.py
    for path in sorted(tests.glob("test_*.py")):
        module = importlib.import_module(path.stem)
        namespace.update({name: value for name, value in vars(module).items() if name.startswith("test_")})
    namespace["pytestmark"] = pytest.mark.plugin_packages(f"runner-{example}")
