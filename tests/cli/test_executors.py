"""--executor, --retries and runner stop with the local pool (real processes, real signals); the Dask side is in
tests/execution/test_dask_executor.py, SLURM's in tests/execution/test_slurm_executor.py."""

import os
import signal
import subprocess
import sys

import pytest

from tests.cli.test_sweeps import DATA, finish, gated, start, statuses, wait_until
from tests.conftest import subprocess_env
from tests.support.gates import gate_env


def test_with_retries_a_sigkilled_worker_s_run_is_queued_again_and_completes_from_its_checkpoint(db_url, store,
                                                                                                 tmp_path):
    gate = tmp_path / "gate"  # each run waits at step 50 (tests.support.gates) until the victim is killed
    process = start(db_url, "run", "--model", "gated_sleepy", "--seed", "0-1", "--steps", "60", "--set", "delay=0.02",
                    "--jobs", "2", "--sweep", "retry", "--retries", "1", "--checkpoint-every", "5 steps", *DATA,
                    env=gated(db_url, gate, 50))
    wait_until(lambda: any(r.steps_done >= 10 for r in store.list_runs(status="running")), process=process)
    victim = next(r for r in store.list_runs(status="running") if r.steps_done >= 10)
    os.kill(victim.pid, signal.SIGKILL)
    (gate / "open").touch()
    code, out, err = finish(process)
    assert code == 0, err
    assert statuses(store, "retry") == ["completed", "completed"]
    again = store.get_run(victim.id)
    assert again.attempts == 2 and again.steps_done == 60
    assert [s[1] for s in store.iter_steps([victim.id])] == list(range(60))
    kinds = [e.kind for e in store.events(victim.id)]
    assert kinds[:2] == ["lost", "requeued"] and "resumed" in kinds  # continued from its checkpoint


def test_runner_stop_stops_a_local_sweep_and_resume_goes_on(cli, db_url, store, tmp_path, monkeypatch):
    gate = tmp_path / "gate"  # run 0 waits at its step 10 until its worker has seen the stop (tests.support.gates)
    env = {**gated(db_url, gate, 10), **gate_env(gate, 10, stopped=True)}
    process = start(db_url, "run", "--model", "gated_sleepy", "--seed", "0-1", "--steps", "20", "-j", "1",
                    "--sweep", "halt", *DATA, env=env)
    wait_until((gate / "reached").exists, process=process)
    assert "sweep halt: asked to stop" in cli("stop", "halt").stderr
    code, out, err = finish(process)
    assert code == 130 and "1 still queued. Resume with: runner resume halt" in err, err  # issue 17 item 15
    assert statuses(store, "halt") == ["interrupted", "queued"]
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.fake_plugins,tests.support.gates")  # ungated here
    cli("resume", "halt")
    assert statuses(store, "halt") == ["completed"] * 2  # resume cleared the flag
    assert not store.sweep_stopped("halt")


def test_executor_usage_errors_store_nothing(cli, store):
    assert "--executor dask needs --address" in cli("run", "--model", "numpy", "--seed", "0-1", "--executor", "dask",
                                                    *DATA, code=2).stderr
    assert "'dusk' is not one of 'local', 'dask', 'slurm'" in cli("run", "--model", "numpy", "--executor", "dusk",
                                                                  code=2).stderr
    assert "--address and --detach go with --executor dask" in cli("run", "--model", "numpy", "--seed", "0-1",
                                                                    "--detach", *DATA, code=2).stderr
    assert "no sweep 'nope'" in cli("stop", "nope", code=1).stderr
    assert store.list_runs() == []


def test_slurm_usage_errors_are_one_line_exit_2_and_store_nothing(cli, store):
    run = ("run", "--model", "numpy", "--seed", "0-1", *DATA)
    for args, message in [
        (("--partition", "gpu"), "Error: --partition, --account, --walltime, --gpus-per-job and --cpu-slots go with --executor slurm"),
        (("--executor", "dask", "--address", "tcp://h:8786", "--gpus-per-job", "1"), "go with --executor slurm"),
        (("--executor", "slurm", "--detach"), "Error: --address and --detach go with --executor dask (with slurm, the scheduler lives in this command)"),
        (("--executor", "slurm", "--cpu-slots", "0"), "Error: each SLURM job would start no worker: give --gpus-per-job N or --cpu-slots N"),
        (("--executor", "slurm", "--walltime", "2h"), "Error: Invalid value for '--walltime': must be SLURM's time limit, MINUTES, "
                                                      "HOURS:MINUTES:SECONDS or DAYS-HOURS[:MINUTES], e.g. 2:00:00 or 1-12 (not '2h')"),
    ]:
        err = cli(*run, *args, code=2).stderr
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert "--walltime" in cli("resume", "--executor", "slurm", "--walltime", "1:2:3:4", code=2).stderr
    err = cli("run", "--model", "sequential", "--device", "cpu,cuda:1", "--executor", "slurm", *DATA, code=2).stderr
    assert err.strip().startswith("Error: runs on cuda:1 need GPUs: give --gpus-per-job N") and len(err.splitlines()) == 1, err
    assert store.list_runs() == []


@pytest.mark.parametrize("walltime", ["30", "30:00", "4:00:00", "2-0", "2-12:30", "1-00:00:00"])
def test_slurm_s_time_formats_are_taken(walltime):
    from runner.execution.slurm_options import check_walltime

    assert check_walltime(walltime) == walltime


def test_without_dask_jobqueue_slurm_says_what_to_install(db_url, store):
    code = ("import sys; sys.modules['dask_jobqueue'] = None\nfrom runner.cli import main\n"
            "main(['run', '--model', 'numpy', '--seed', '0-1', '--executor', 'slurm'], prog_name='runner')")
    result = subprocess.run([sys.executable, "-c", code], env=subprocess_env(db_url), capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == 'Error: --executor slurm needs dask-jobqueue: pip install -e ".[slurm]"'
    assert store.list_runs() == []


def test_without_slurm_s_commands_slurm_says_where_to_run(cli, store, tmp_path, monkeypatch):
    pytest.importorskip("dask_jobqueue")
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch on it
    err = cli("run", "--model", "numpy", "--seed", "0-1", *DATA, "--executor", "slurm", code=2).stderr
    assert err.strip() == ("Error: --executor slurm needs SLURM's commands, and sbatch is not on PATH: run runner where you "
                           "submit SLURM jobs (a login node)")
    assert store.list_runs() == []


def test_the_resume_hint_names_the_executor_the_sweep_ran_on():
    from runner.cli.sweep import resume_command
    from runner.execution.executor import PoolOptions
    from runner.execution.slurm_options import SlurmJobs

    assert resume_command("grid", PoolOptions()) == "runner resume grid"
    assert resume_command("grid", PoolOptions(executor="dask", address="tcp://h:8786")) == (
        "runner resume grid --executor dask --address tcp://h:8786")
    jobs = SlurmJobs(partition="gpu", walltime="4:00:00", gpus=2)
    assert resume_command("my grid", PoolOptions(executor="slurm", jobs=3, per_device=2, slurm=jobs)) == (
        "runner resume 'my grid' --executor slurm --jobs 3 --per-device 2 --partition gpu --walltime 4:00:00 "
        "--gpus-per-job 2")
