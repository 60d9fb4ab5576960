"""Until runner is reinstalled, make the installed metadata match pyproject.toml's entry points.

A plugin package added to pyproject.toml (plugins/schedules) is found through the ``runner`` entry-point
group, which the installed metadata lists only once ``pip install -e .`` runs again. Until then, the tests
put a copy of the metadata with pyproject's entry points first on the path, and ``runner_plugins`` pointing
at this checkout's plugins/, for this process and the subprocesses it starts. Once the installed metadata
lists every entry point, this does nothing.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["install"]


_FOLDER: list[str] = []  # the shim's folder, once made: one per process


def install(root: Path) -> str | None:
    """Put the shim first on the path (once per process); returns its folder, or None when none is needed."""
    if _FOLDER:
        return _FOLDER[0]
    tomllib = __import__("tomllib")
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = project["entry-points"]["runner"]
    installed = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="runner")}
    if all(installed.get(name) == value for name, value in wanted.items()):
        return None
    folder = Path(tempfile.mkdtemp(prefix="runner-shim-"))
    (folder / "runner_plugins").symlink_to(root / "plugins", target_is_directory=True)
    version = importlib.metadata.version("runner")
    info = folder / f"runner-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: runner\nVersion: {version}\n")
    (info / "top_level.txt").write_text("runner\nrunner_plugins\n")
    lines = "".join(f"{name} = {value}\n" for name, value in wanted.items())
    (info / "entry_points.txt").write_text(f"[console_scripts]\nrunner = runner.cli:main\n\n[runner]\n{lines}")
    sys.path.insert(0, str(folder))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(folder), str(root), os.environ.get("PYTHONPATH", "")])
    for name in [m for m in sys.modules if m == "runner_plugins" or m.startswith("runner_plugins.")]:
        del sys.modules[name]  # imported from the installed checkout before the shim: import this one's
    importlib.invalidate_caches()
    _FOLDER.append(str(folder))
    return str(folder)
