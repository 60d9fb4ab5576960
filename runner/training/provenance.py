"""Which packages a run trained with: the distribution, version and commit of each plugin package it used.

A run records them (runs.packages) as ``{distribution: {"version": ..., "commit": ...}}``: runner's own and
those of its model, optimizer, dataset (and any further kind of plugin its config names), found through the
registry's origins (runner.config.Resolved.origins). The commit is known for a package installed from a git
checkout: pip's PEP 610 record (``direct_url.json``) holds it for ``pip install git+URL``, and for an editable
install (``pip install -e DIR``) it is DIR's HEAD, read from the files of its ``.git`` (``git rev-parse`` only
where they cannot be read). Finding none is no fault: the commit is then None, and the run goes on.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

__all__ = ["packages", "distribution_entry", "git_head", "recorded_with", "trained_with", "changes", "describe"]

SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")  # SHA-1, or SHA-256 for a repository that uses it
RUNNER_SOURCE = Path(__file__).resolve().parents[1]  # the runner package this module is part of
GIT_TIMEOUT = 5.0  # seconds `git rev-parse` may take before the commit is left unknown


def packages(origins: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """``{distribution: {"version", "commit"}}`` for runner and every plugin in ``origins`` (by kind: its
    runner.registry.Origin); a local plugin ($RUNNER_PLUGINS) as ``local:MODULE``, with the commit of the
    checkout its file is in."""
    found = {"runner": distribution_entry("runner")}
    for origin in origins.values():
        if origin.package == "(local)":
            found[f"local:{origin.plugin}"] = {"version": None, "commit": _local_commit(origin.plugin)}
        elif origin.package not in found and origin.package != "?":
            found[origin.package] = distribution_entry(origin.package)
    return dict(sorted(found.items()))


def distribution_entry(name: str) -> dict[str, str | None]:
    """``{"version", "commit"}`` of the installed distribution ``name`` (version None if it is not installed)."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return {"version": None, "commit": None}
    commit = _commit(dist)
    if name == "runner" and commit is not None and _editable(dist):
        commit = git_head(RUNNER_SOURCE)  # the source that runs, which $PYTHONPATH may have put before the install
    return {"version": dist.version, "commit": commit}


def _direct_url(dist: importlib.metadata.Distribution) -> dict[str, Any]:
    """pip's PEP 610 record of where ``dist`` was installed from; empty for an install from an index."""
    try:
        record = json.loads(dist.read_text("direct_url.json") or "null")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _editable(dist: importlib.metadata.Distribution) -> bool:
    directory = _direct_url(dist).get("dir_info")
    return isinstance(directory, dict) and bool(directory.get("editable"))


def _commit(dist: importlib.metadata.Distribution) -> str | None:
    record = _direct_url(dist)
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and isinstance(vcs.get("commit_id"), str):
        return vcs["commit_id"]
    url = urlparse(str(record.get("url", "")))
    if _editable(dist) and url.scheme == "file":
        return git_head(Path(unquote(url.path)))
    return None  # a wheel, or a copy of a folder: what it was built from is not known


def _local_commit(module: str) -> str | None:
    import importlib.util
    import sys

    if module.endswith(".py"):
        return git_head(Path(module).resolve().parent)
    loaded = sys.modules.get(module)
    file = getattr(loaded, "__file__", None)
    if file is None:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return None
        file = spec.origin if spec else None
    return git_head(Path(file).parent) if file else None


def git_head(directory: Path) -> str | None:
    """The commit checked out in the git repository holding ``directory``, or None where there is none."""
    try:
        return _read_head(directory) or _rev_parse(directory)
    except OSError:
        return None


def _read_head(directory: Path) -> str | None:
    """HEAD from the repository's files: a detached SHA, or the ref it names (loose, or in packed-refs)."""
    for folder in (directory, *directory.parents):
        dot = folder / ".git"
        if dot.exists():
            break
    else:
        return None
    git_dir = dot
    if dot.is_file():  # a worktree or a submodule: "gitdir: PATH"
        git_dir = (folder / dot.read_text().strip().removeprefix("gitdir:").strip()).resolve()
    head = (git_dir / "HEAD").read_text().strip()
    if SHA.match(head):
        return head
    ref = head.removeprefix("ref:").strip()
    common = git_dir / "commondir"
    common_dir = (git_dir / common.read_text().strip()).resolve() if common.is_file() else git_dir
    for base in (git_dir, common_dir):
        loose = base / ref
        if loose.is_file():
            sha = loose.read_text().strip()
            return sha if SHA.match(sha) else None
    packed = common_dir / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and SHA.match(sha):
                return sha
    return None


def _rev_parse(directory: Path) -> str | None:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True,
                                timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and SHA.match(sha) else None


def recorded_with(record: Any) -> dict[str, Any]:
    """What a stored run (a RunRecord) trained with: Python, torch and NumPy (its version columns) and, since
    0010, its packages, each as ``{"version", "commit"}``."""
    found: dict[str, Any] = {name: {"version": getattr(record, f"{name}_version"), "commit": None}
                             for name in ("python", "torch", "numpy")}
    if isinstance(record.packages, Mapping):
        found.update(record.packages)
    return found


def trained_with(origins: Mapping[str, Any]) -> dict[str, Any]:
    """What a run of plugins ``origins`` would train with in this process, as ``recorded_with`` has it."""
    from runner.store.rows import environment

    versions = environment()
    return {**{name: {"version": versions[f"{name}_version"], "commit": None} for name in ("python", "torch", "numpy")},
            **packages(origins)}


def changes(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """What differs between ``recorded`` and ``now`` (as ``recorded_with`` gives them), each as
    ``NAME OLD -> NEW``; only the names ``recorded`` holds where it holds no packages (a run from before 0010)."""
    names = set(recorded) | set(now) if "runner" in recorded else set(recorded)
    return [f"{name} {describe(recorded.get(name))} -> {describe(now.get(name))}"
            for name in sorted(names) if recorded.get(name) != now.get(name)]


def describe(entry: Any) -> str:
    """``1.2.0 (abc1234)``, ``1.2.0``, or ``none`` for a package that is not there."""
    if not isinstance(entry, Mapping):
        return "none"
    version = entry.get("version") or "?"
    commit = entry.get("commit")
    return f"{version} ({commit[:7]})" if isinstance(commit, str) else str(version)
