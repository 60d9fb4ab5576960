"""`runner ARGS` run in this process (Click's CliRunner) the way a `runner` subprocess would run it in a
working folder: the same exit status, standard output and standard error, for a fraction of the time a new
interpreter takes to start and import runner. For the many tests of what one command says and leaves behind;
what only a real process shows (a traceback at exit, a signal, an import it must not make) stays a subprocess."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PLUGINS = "tests.support.fake_plugins"  # what tests.conftest.subprocess_env gives a subprocess


def runner_here(*args: str, cwd: Path, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """``runner ARGS`` with ``cwd`` the current folder for the call; ``env`` set on top of this process's
    (None unsets), with $RUNNER_DB unset and the test plugins loaded unless it says otherwise."""
    from click.testing import CliRunner

    from runner.cli import main

    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), env={"RUNNER_DB": None, "RUNNER_PLUGINS": PLUGINS, **(env or {})},
                                    catch_exceptions=False, prog_name="runner")
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)
