"""runner resume RUN...: interrupted and lost runs continue in the same run; anything else is refused untouched."""

from __future__ import annotations

import signal
import subprocess

from tests.cli.test_processes import DATA, wait_for_steps
from tests.conftest import runner_command, subprocess_env


def interrupted_run(db_path, db_url, model="sleepy", steps="400", *more):
    process = subprocess.Popen(runner_command("run", "--model", model, "--steps", steps, *DATA, *more),
                               env=subprocess_env(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_steps(db_path, process)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err


def test_an_interrupted_run_resumes_in_the_same_run(db_path, db_url, store, cli):
    interrupted_run(db_path, db_url, "sleepy", "300", "--set", "delay=0.005")
    assert store.get_run(1).status == "interrupted"
    result = cli("resume", "1")
    assert "run 1 completed" in result.stdout, result.output
    record = store.get_run(1)
    assert (record.status, record.steps_done) == ("completed", 300)
    assert [s for _, s, _, _ in store.iter_steps([1])] == list(range(300))
    assert len(store.list_runs()) == 1  # no new run


def test_resume_refuses_runs_that_did_not_stop_early(cli, store):
    cli("run", "--model", "numpy", "--steps", "3", *DATA)
    before = [tuple(r) for r in store.iter_steps([1])]
    result = cli("resume", "1", code=2)
    assert "run 1 is completed; only interrupted and lost runs resume" in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert [tuple(r) for r in store.iter_steps([1])] == before and store.get_run(1).status == "completed"
    assert "no run 7" in cli("resume", "7", code=1).stderr
    assert "give one sweep name, or one or more run ids" in cli("resume", "a", "b", code=2).stderr
