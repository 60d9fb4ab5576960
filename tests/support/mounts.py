"""Mounts of a test's own: a tmpfs in its temporary folder, so that full and read-only disks are real."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``folder`` with ``options``, unmounted afterwards; skipped where mounting is not
    permitted (but never in CI). Use with ``yield from`` in a fixture."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs ({mounted.stderr.strip()})")
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()})")
    yield folder
    subprocess.run(["umount", "--lazy", str(folder)], check=False)
