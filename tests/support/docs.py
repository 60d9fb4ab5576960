"""The examples in docs/plugins.md, as modules a test can load.

Each example is the ```python block right after an
``<!-- example: HOOK -->`` marker.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
MARKER = re.compile(r"<!-- example: (\w+) -->\n```python\n(.*?)\n```", re.S)


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def examples() -> dict[str, str]:
    """hook name -> the example's source."""
    return {hook: source for hook, source in MARKER.findall(doc_text())}


def load_example(hook: str, tmp_path: Path, monkeypatch):
    """Save the example for ``hook`` as a module, load it as RUNNER_PLUGINS does, and return the registry."""
    from runner.registry import load_registry

    module = f"doc_example_{hook}"
    (tmp_path / f"{module}.py").write_text(examples()[hook], encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    registry = load_registry(extra_modules=[module])
    assert not registry.errors, [str(e) for e in registry.errors]
    return registry, module
