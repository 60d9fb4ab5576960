"""--executor slurm on a real SLURM cluster of one node on this machine (tests/support/slurm.py: munged,
slurmctld, slurmd), with real PostgreSQL: the workers are SLURM jobs, gone when the sweep ends, and a
scancelled job's run is retried. Skipped, with the reason, where SLURM or dask-jobqueue is not installed."""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest

from runner.status import RunStatus
from runner.store import open_store
from tests.conftest import empty_pg, runner_command, subprocess_env
from tests.support.processes import DATA, QUICK, running_past, wait_until
from tests.support.slurm import SlurmCluster, missing

pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is not installed: pip install -e \".[slurm]\"")



@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = missing()
    if reason:
        pytest.skip(reason)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg(pg_url):
    empty_pg(pg_url)
    return pg_url


def start_sweep(slurm, db_url, tmp_path, *args) -> subprocess.Popen:
    """`runner run ... --executor slurm` from tmp_path (where the jobs' slurm-JOBID.out go)."""
    return subprocess.Popen(runner_command("run", *args, *DATA, "--executor", "slurm", "--db", db_url),
                            env={**subprocess_env(db_url), **QUICK, "SLURM_CONF": str(slurm.conf)}, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout=90) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


@pytest.mark.slurm
def test_a_sweep_runs_on_slurm_jobs_which_are_gone_at_its_end(slurm, pg, tmp_path):
    # two jobs, each with one of the node's two (fake) GPUs and one CPU slot
    sweep = start_sweep(slurm, pg, tmp_path, "--model", "sleepy", "--seed", "0-3", "--steps", "40", "--set", "delay=0.05",
                        "--sweep", "jobs", "--jobs", "2", "--gpus-per-job", "1", "--cpu-slots", "1")
    with open_store(pg) as store:
        running = []

        def two_running():
            running[:] = store.list_runs(sweep="jobs", status=RunStatus.RUNNING)
            return len(running) == 2

        wait_until(two_running, what="two running runs")
        jobs = slurm.jobs()
        assert sorted(jobs.values()) == ["R", "R"], jobs
        assert {slurm.job_of(r.pid) for r in running} == set(jobs)  # each job trains one of the runs (its worker process)
        assert sorted(gpu for job in jobs for gpu in slurm.gpus_of(job)) == ["0", "1"]  # SLURM gave each job a GPU
        code, out, err = finish(sweep)
        assert code == 0, err
        assert "sweep jobs: 4 runs · 4 completed" in out
        assert "submitted to the workers of 2 SLURM jobs" in err
        runs = store.list_runs(sweep="jobs")
        assert all(r.steps_done == 40 and r.attempts == 1 for r in runs)
    wait_until(lambda: not slurm.jobs(), timeout=15, what="the jobs to end")  # cancelled, not left to their walltime
    assert sorted(p.name for p in tmp_path.glob("slurm-*.out")) == sorted(f"slurm-{job}.out" for job in jobs)


@pytest.mark.slurm
def test_a_scancelled_job_s_run_is_retried_on_the_job_submitted_in_its_place(slurm, pg, tmp_path):
    sweep = start_sweep(slurm, pg, tmp_path, "--model", "sleepy", "--seed", "0-1", "--steps", "40", "--set", "delay=0.05",
                        "--sweep", "cancel", "--checkpoint-every", "10 steps", "--jobs", "1")
    with open_store(pg) as store:
        wait_until(lambda: running_past(store, "cancel") is not None, what="a run past its first checkpoint")
        killed = running_past(store, "cancel")
        job = slurm.job_of(killed.pid)
        assert subprocess.run(["scancel", job], env=slurm.env).returncode == 0
        wait_until(lambda: set(slurm.jobs()) - {job}, timeout=30, what="a job in place of the cancelled one")
        code, out, err = finish(sweep)
        assert code == 0, err
        assert "sweep cancel: 2 runs · 2 completed" in out
        again = store.get_run(killed.id)
        assert (again.status, again.attempts, again.steps_done) == (RunStatus.COMPLETED, 2, 40)
        assert again.pid != killed.pid
        assert [s[1] for s in store.iter_steps([killed.id])] == list(range(40))  # each step exactly once
        assert [e.kind for e in store.events(killed.id)][:2] == ["lost", "requeued"]
        [other] = [r for r in store.list_runs(sweep="cancel") if r.id != killed.id]
        assert (other.status, other.steps_done) == (RunStatus.COMPLETED, 40)
    wait_until(lambda: not slurm.jobs(), timeout=15, what="the jobs to end")


@pytest.mark.slurm
def test_ctrl_c_cancels_the_jobs(slurm, pg, tmp_path):
    sweep = start_sweep(slurm, pg, tmp_path, "--model", "sleepy", "--seed", "0-2", "--steps", "100", "--set", "delay=0.02",
                        "--sweep", "halt", "--jobs", "2")
    with open_store(pg) as store:
        wait_until(lambda: len(store.list_runs(sweep="halt", status=RunStatus.RUNNING)) == 2, what="two running runs")
        sweep.send_signal(signal.SIGINT)
        code, out, err = finish(sweep)
        assert code == 130 and "Interrupted: " in err, err
        counts = store.sweep_counts("halt")
        assert counts.get(RunStatus.INTERRUPTED) and not counts.get(RunStatus.RUNNING), counts
    wait_until(lambda: not slurm.jobs(), timeout=15, what="the jobs to end")


@pytest.mark.slurm
def test_a_job_that_ends_before_its_workers_join_is_not_replaced_and_resume_goes_on(slurm, pg, tmp_path):
    sweep = start_sweep(slurm, pg, tmp_path, "--model", "sleepy", "--seed", "0", "--steps", "60", "--set", "delay=0.05",
                        "--sweep", "left", "--checkpoint-every", "10 steps", "--jobs", "1")
    try:
        with open_store(pg) as store:
            wait_until(lambda: any(r.steps_done >= 12 for r in store.list_runs(sweep="left")), what="a checkpoint")
            [run] = store.list_runs(sweep="left")
            slurm.run("scontrol", "update", "PartitionName=test", "State=DOWN")  # new jobs wait
            job = slurm.job_of(run.pid)
            slurm.run("scancel", job)
            wait_until(lambda: list(slurm.jobs().values()) == ["PD"], what="a job, pending, in place of the cancelled one")
            time.sleep(1)
            assert sweep.poll() is None  # a pending job is waited for
            [pending] = slurm.jobs()
            slurm.run("scancel", pending)  # ended before its workers joined: not submitted again
            code, out, err = finish(sweep)
            assert code == 1 and "sweep left: 1 runs · 1 queued" in out, err
            assert err.strip().splitlines()[-2] == ("Error: no SLURM job is left: the last ended before its workers joined "
                                                    "(see its slurm-JOBID.out); then: runner resume left --executor slurm")
            assert not slurm.jobs()
    finally:
        slurm.run("scontrol", "update", "PartitionName=test", "State=UP")
        if sweep.poll() is None:
            sweep.kill()
    resumed = subprocess.run(runner_command("resume", "left", "--executor", "slurm", "--db", pg),
                             env={**subprocess_env(pg), **QUICK, "SLURM_CONF": str(slurm.conf)}, cwd=tmp_path,
                             capture_output=True, text=True, timeout=90)
    assert resumed.returncode == 0, resumed.stderr
    assert "sweep left: 1 runs · 1 completed" in resumed.stdout
    with open_store(pg) as store:
        [run] = store.list_runs(sweep="left")
        assert (run.attempts, run.steps_done) == (2, 60)
        assert [s[1] for s in store.iter_steps([run.id])] == list(range(60))
    wait_until(lambda: not slurm.jobs(), timeout=15, what="the jobs to end")


@pytest.mark.slurm
def test_what_slurm_refuses_is_one_line_exit_2_with_no_job_and_nothing_stored(slurm, cli, store, monkeypatch):
    monkeypatch.setenv("SLURM_CONF", str(slurm.conf))
    run = ("run", "--model", "numpy", "--seed", "0-1", *DATA, "--executor", "slurm")
    err = cli(*run, "--partition", "nope", code=2).stderr
    assert err.strip() == "Error: SLURM refuses the worker job: invalid partition specified: nope"
    err = cli(*run, "--gpus-per-job", "3", code=2).stderr  # the node has two
    assert err.strip() == "Error: SLURM refuses the worker job: allocation failure: Requested node configuration is not available"
    assert not slurm.jobs() and store.list_runs() == []
    slurm.run("scontrol", "update", "PartitionName=test", "State=DOWN")  # the jobs are taken, and wait
    try:
        err = cli(*run, "--jobs", "5", "--worker-wait", "2", code=2).stderr
    finally:
        slurm.run("scontrol", "update", "PartitionName=test", "State=UP")
    waiting, error = err.strip().splitlines()
    assert waiting == "waiting up to 2 s for the first of 2 SLURM jobs to start its workers (squeue --me lists them)"
    assert re.fullmatch(r"Error: no SLURM job started a worker within 2 s \(pending, or failed: see squeue --me and "
                        r"the jobs' slurm-JOBID.out; their workers join the scheduler at tcp://[0-9.]+:\d+, "
                        r"which the nodes must reach\); raise --worker-wait", error), error  # 2 of 5: no more needed
    wait_until(lambda: not slurm.jobs(), timeout=15, what="the pending job to be cancelled")
    assert store.list_runs() == []


@pytest.mark.slurm
def test_a_sqlite_file_only_where_every_node_is_this_host(slurm, cli, store, monkeypatch):
    from runner import dask_executor, slurm_executor
    from runner.errors import ConfigError

    monkeypatch.setenv("SLURM_CONF", str(slurm.conf))
    slurm_executor.check_database(store.url, None)  # runnernode is 127.0.0.1: this host
    slurm_executor.check_database(store.url, "test")
    monkeypatch.setattr(slurm_executor, "local_addresses", lambda: {"elsewhere"})
    monkeypatch.setattr(slurm_executor, "loopback", lambda host: False)  # as if the node were another machine
    with pytest.raises(ConfigError, match=r"other nodes \(runnernode\).*give --db postgresql://"):
        slurm_executor.check_database(store.url, None)
    slurm_executor.check_database("postgresql://u@db/runs", None)  # PostgreSQL: any node
    err = cli("run", "--model", "numpy", "--seed", "0-1", *DATA, "--executor", "slurm", code=2).stderr
    assert err.strip() == ("Error: SLURM may start the workers on other nodes (runnernode), which cannot reach this SQLite "
                           "file; give --db postgresql://... (a database every node reaches)")
    assert not slurm.jobs() and store.list_runs() == []
    assert dask_executor.local_addresses() != {"elsewhere"}  # only this module's view was changed


def test_a_job_s_script_asks_slurm_for_the_options_and_runs_runner_worker(monkeypatch):
    import sys

    from runner.execution.slurm_executor import job_options
    from runner.execution.slurm_job import SlotsJob
    from runner.execution.slurm_options import SlurmJobs

    monkeypatch.delenv("DASK_JOBQUEUE__SLURM__MEMORY", raising=False)
    chosen = job_options(SlurmJobs("gpu", "lab", "4:00:00", gpus=2), per_device=2)
    script = SlotsJob("tcp://10.0.0.1:8786", name="runner-3", **chosen).job_script()
    directives = [line for line in script.splitlines() if line.startswith("#SBATCH")]
    assert directives == ["#SBATCH -J runner-worker", "#SBATCH -p gpu", "#SBATCH -A lab", "#SBATCH -n 1",
                          "#SBATCH --cpus-per-task=4", "#SBATCH -t 4:00:00", "#SBATCH --gres=gpu:2"]  # 4 slots; no --mem
    assert script.splitlines()[-1] == (f"{sys.executable} -m runner worker tcp://10.0.0.1:8786 --name runner-3-\"$SLURM_JOB_ID\" "
                                       "--per-device 2 --cpu-slots 0 --death-timeout 60")
    plain = SlotsJob("tcp://h:1", name="runner-0", **job_options(SlurmJobs(), per_device=1)).job_script()
    assert "#SBATCH -t" not in plain and "--gres" not in plain and "#SBATCH -p" not in plain  # the partition's defaults
    assert "--cpus-per-task=1" in plain and plain.endswith("--per-device 1 --cpu-slots 1 --death-timeout 60\n")


def test_runner_worker_names_a_job_s_workers_after_it():
    from runner.cli.worker import worker_commands
    from runner.execution.slots import Slot
    from runner.execution.slurm_executor import job_of

    slots = [Slot("cuda:0", ("auto", "cuda", "cuda:0"), 1), Slot("cpu", ("cpu",), 2)]
    named = worker_commands("tcp://h:8786", slots, "runner-3-1234", 60.0)
    assert [c[c.index("--name") + 1] for c in named] == ["runner-3-1234-0", "runner-3-1234-1"]
    assert job_of("runner-3-1234-1") == "1234" and job_of("host-a-0-cpu") == "0" and job_of("x") == ""
    assert all(c[-2:] == ["--death-timeout", "60"] for c in named)
    plain = worker_commands("tcp://h:8786", slots, None, None)
    assert "--death-timeout" not in plain[0] and plain[0][plain[0].index("--name") + 1].endswith("-0-cuda:0")


@pytest.mark.slurm
def test_the_command_killed_leaves_no_job_behind_and_resume_finishes_its_sweep(slurm, pg, tmp_path):
    # kill -9 of `runner run`: its Dask scheduler dies with it. The job finishes the run it trains (nothing is
    # lost), takes no other, and ends once its workers have lost the scheduler, not at its walltime.
    sweep = start_sweep(slurm, pg, tmp_path, "--model", "sleepy", "--seed", "0-1", "--steps", "100", "--set",
                        "delay=0.02", "--sweep", "orphan", "--jobs", "1")
    with open_store(pg) as store:
        wait_until(lambda: running_past(store, "orphan", 1) is not None, what="a run training")
        sweep.kill()
        sweep.communicate()
        wait_until(lambda: not slurm.jobs(), timeout=90, what="the orphaned job to end")
        store.mark_lost()
        counts = store.sweep_counts("orphan")  # the second run, if Dask had already handed it to the worker, is done too
        assert counts.get(RunStatus.COMPLETED) and set(counts) <= {RunStatus.COMPLETED, RunStatus.QUEUED}, counts
    resumed = subprocess.run(runner_command("resume", "orphan", "--executor", "slurm", "--db", pg),
                             env={**subprocess_env(pg), **QUICK, "SLURM_CONF": str(slurm.conf)}, cwd=tmp_path,
                             capture_output=True, text=True, timeout=90)
    assert resumed.returncode == 0, resumed.stderr
    with open_store(pg) as store:
        assert store.sweep_counts("orphan") == {RunStatus.COMPLETED: 2}
        for run in store.list_runs(sweep="orphan"):
            assert run.attempts == 1 and [s[1] for s in store.iter_steps([run.id])] == list(range(100))
    wait_until(lambda: not slurm.jobs(), timeout=15, what="the resumed sweep's jobs to end")
