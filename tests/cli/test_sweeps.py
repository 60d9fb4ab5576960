"""Sweeps with real processes and signals: workers, kills, Ctrl-C, resume, concurrency."""

import os
import signal
import subprocess
import time

import pytest

from runner.store import open_store
from tests.conftest import empty_pg, runner_command, subprocess_env
from tests.support.gates import gate_env

DATA = ["--set", "batch=4", "--set", "d_in=5", "--set", "d_out=2"]


def start(db_url, *args, env=None):
    return subprocess.Popen(runner_command(*args), env=env or subprocess_env(db_url),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_until(predicate, timeout=60.0, process=None):
    deadline = time.monotonic() + timeout
    while not predicate():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process ended early: {process.communicate()}")
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def gated(db_url, folder, at):
    """The environment of a sweep whose runs (tests.support.gates' models) each wait at step ``at`` until
    ``folder/open`` exists: a test signals or kills a worker that cannot have finished its run."""
    folder.mkdir()
    return {**subprocess_env(db_url), "RUNNER_PLUGINS": "tests.support.fake_plugins,tests.support.gates",
            **gate_env(folder, at)}


def statuses(store, sweep):
    return sorted(r.status for r in store.list_runs(sweep=sweep))


def running_with_steps(store, n):
    return lambda: len([r for r in store.list_runs(status="running") if r.steps_done > 0]) >= n


def test_dry_run_prints_the_grid_and_stores_nothing(cli, store):
    result = cli("run", "--model", "numpy,sleepy", "--seed", "0-2", "--dry-run", *DATA)
    assert len(result.stdout.strip().splitlines()) == 1 + 6
    assert "6 runs (dry run: nothing stored)" in result.stderr
    assert store.list_runs() == []


def test_a_grid_runs_as_a_sweep_and_ls_selects_it(cli, store):
    result = cli("run", "--model", "numpy,explode", "--seed", "0-1", "--steps", "6", "--sweep", "first", "-j", "2", *DATA)
    assert "sweep first: 4 runs · 2 completed · 2 diverged" in result.stdout
    assert statuses(store, "first") == ["completed", "completed", "diverged", "diverged"]
    assert "first" in cli("ls", "--sweep", "first").stdout
    exported = cli("export", "--sweep", "first").stdout.strip().splitlines()
    assert len(exported) == 1 + 6 + 6 + 4 + 4
    assert "no sweep 'nope'" in cli("export", "--sweep", "nope", code=1).stderr
    cli("run", "--model", "numpy", "--steps", "2", *DATA)
    assert len(store.list_runs(sweep="first")) == 4 and len(store.list_runs()) == 5


def test_each_run_of_a_sweep_records_its_slot_and_show_says_it(cli, store):
    from runner.processes import host_name

    cli("run", "--model", "numpy", "--seed", "0-3", "--steps", "3", "--sweep", "slots", "-j", "2", *DATA)
    runs = store.list_runs(sweep="slots")
    assert {r.slot for r in runs} <= {f"{host_name()}-0-cpu", f"{host_name()}-1-cpu"} and all(r.slot for r in runs)
    shown = cli("show", str(runs[0].id)).stdout
    assert f", slot {runs[0].slot}" in shown and "attempts    1" in shown, shown
    cli("run", "--model", "numpy", "--steps", "2", *DATA)
    single = store.list_runs()[0]
    assert single.slot is None and ", slot" not in cli("show", str(single.id)).stdout


def test_eight_processes_write_to_one_sqlite_file(db_url, store):
    code, out, err = finish(start(db_url, "run", "--model", "sleepy", "--seed", "0-7", "--steps", "120",
                                  "--set", "delay=0.002", "--jobs", "8", "--sweep", "eight", *DATA))
    assert code == 0, err
    assert "locked" not in err and "Traceback" not in err
    runs = store.list_runs(sweep="eight")
    assert len(runs) == 8 and {r.status for r in runs} == {"completed"}
    assert len({r.pid for r in runs}) > 1  # really several processes
    assert len(list(store.iter_steps([r.id for r in runs]))) == 8 * 120


def test_a_failed_run_does_not_stop_the_grid_unless_fail_fast(cli, store):
    result = cli("run", "--model", "crash,numpy", "--steps", "5", "--sweep", "on", *DATA, code=1)
    assert "1 completed · 1 failed" in result.stdout


def test_fail_fast_stops_claiming_after_the_first_failure(db_url, store):
    code, out, err = finish(start(db_url, "run", "--model", "crash,sleepy", "--seed", "0-3", "--steps", "50",
                                  "--sweep", "ff", "--fail-fast", *DATA))
    assert code == 1, err
    counts = store.sweep_counts("ff")
    assert counts == {"failed": 1, "queued": 7}
    assert "Stopped at the first failure (--fail-fast); 7 runs still queued" in err


def test_sigkill_of_a_worker_loses_its_run_only(db_url, store, tmp_path):
    # each run waits at step 80 (1.6 s of 20 ms steps: past a flush) until the victim is killed
    gate = tmp_path / "gate"
    process = start(db_url, "run", "--model", "gated_sleepy", "--seed", "0-3", "--steps", "100", "--set",
                    "delay=0.02", "--jobs", "2", "--sweep", "kill", *DATA, env=gated(db_url, gate, 80))
    wait_until(running_with_steps(store, 1), process=process)
    victim = next(r for r in store.list_runs(status="running") if r.steps_done > 0)
    os.kill(victim.pid, signal.SIGKILL)
    (gate / "open").touch()
    code, out, err = finish(process)
    assert code == 1, err  # a lost run is reported
    lost = store.get_run(victim.id)
    assert lost.status == "lost" and lost.steps_done > 0 and lost.ended_at is not None
    assert [s[1] for s in store.iter_steps([victim.id])] == list(range(lost.steps_done))
    assert statuses(store, "kill") == ["completed", "completed", "completed", "lost"]
    assert "1 lost" in out
    assert "1 runs lost (`runner show RUN` says why). Resume with: runner resume kill" in err
    # Issue 10 item 19: the scheduler saw how its worker ended, and says so (not a generic "lost")
    how = f"its worker process (pid {victim.pid}) was killed by SIGKILL (kill -9, or the out-of-memory killer)"
    assert lost.error == f"{how} without recording an end"
    assert [(e.kind, e.detail) for e in store.events(victim.id)] == [("lost", lost.error)]


def test_sigterm_of_a_worker_interrupts_its_run_and_the_queue_is_still_worked(db_url, store, tmp_path):
    # Issue 10 item 3: the stopped worker used to exit 0, was not replaced, and the sweep exited 0 with runs queued.
    gate = tmp_path / "gate"  # the first run waits at step 300 until the signal was sent: it cannot have completed
    process = start(db_url, "run", "--model", "gated_sleepy", "--seed", "0-3", "--steps", "400", "--set",
                    "delay=0.005", "-j", "1", "--sweep", "term", *DATA, env=gated(db_url, gate, 300))
    wait_until(running_with_steps(store, 1), process=process)
    victim = store.list_runs(status="running")[0]
    os.kill(victim.pid, signal.SIGTERM)
    (gate / "open").touch()  # after the signal: its handler has run before the step ends
    code, out, err = finish(process)
    assert "Traceback" not in err
    assert statuses(store, "term") == ["completed"] * 3 + ["interrupted"], (out, err)
    assert store.get_run(victim.id).status == "interrupted"
    assert len({r.pid for r in store.list_runs(sweep="term")}) == 2  # the worker was replaced
    # Issue 17 item 15: an interrupted run is no success; the sweep says how to resume it
    assert "queued" not in out and code == 130, (out, err)
    assert err.strip().splitlines()[-1] == ("Interrupted: 1 runs interrupted (their workers were stopped by a signal), "
                                            "0 still queued. Resume with: runner resume term")


def test_a_sweep_left_with_queued_runs_prints_the_resume_hint_and_exits_130(db_url, store, monkeypatch, capsys):
    import threading

    from runner.cli.sweep import run_sweep
    from runner.execution.executor import PoolOptions
    from runner.execution.local_pool import LocalPool

    # runs that never end by themselves (a million 5 ms steps): only the signals below end them
    process = start(db_url, "run", "--model", "sleepy", "--seed", "0-2", "--steps", "1000000", "--set", "delay=0.005",
                    "-j", "1", "--sweep", "left", *DATA)
    wait_until(running_with_steps(store, 1), process=process)
    process.send_signal(signal.SIGINT)
    assert finish(process)[0] == 130
    assert statuses(store, "left") == ["interrupted", "queued", "queued"]

    for name, value in subprocess_env(db_url).items():  # what the workers started from this process need
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(LocalPool, "_queued_for", lambda self, slot: False)  # as when its restarts are used up

    def stop_the_worker() -> None:
        wait_until(running_with_steps(store, 1))
        os.kill(store.list_runs(status="running")[0].pid, signal.SIGTERM)

    killer = threading.Thread(target=stop_the_worker)
    killer.start()
    code = run_sweep(store, db_url, "left", PoolOptions(), show=False)
    killer.join()
    assert statuses(store, "left") == ["interrupted", "interrupted", "queued"]
    assert code == 130  # its runs were interrupted (issue 17 item 15)
    assert ("Interrupted: 2 runs interrupted (their workers were stopped by a signal), 1 still queued. "
            "Resume with: runner resume left") in capsys.readouterr().err


def test_sigint_interrupts_running_runs_keeps_the_rest_queued_and_resume_finishes(db_url, store, tmp_path):
    # each run waits at step 200 (after 2 s of 10 ms steps: past a flush) until its worker gets the stop
    gate = tmp_path / "gate"
    env = gated(db_url, gate, 200)
    process = start(db_url, "run", "--model", "gated_sleepy", "--seed", "0-5", "--steps", "250", "--set",
                    "delay=0.01", "--jobs", "2", "--sweep", "ctrlc", *DATA, env=env)
    wait_until(running_with_steps(store, 2), process=process)
    process.send_signal(signal.SIGINT)
    code, out, err = finish(process)
    assert code == 130, err
    assert "Resume with: runner resume ctrlc" in err and "Traceback" not in err
    assert statuses(store, "ctrlc") == ["interrupted"] * 2 + ["queued"] * 4
    for run in store.list_runs(sweep="ctrlc", status="interrupted"):
        assert run.steps_done > 0 and len(list(store.iter_steps([run.id]))) == run.steps_done

    (gate / "open").touch()  # the resumed runs go through
    code, out, err = finish(start(db_url, "resume", "--jobs", "2", env=env))
    assert code == 0, err
    assert statuses(store, "ctrlc") == ["completed"] * 6  # the interrupted ones too
    for run in store.list_runs(sweep="ctrlc"):
        assert [s for _, s, _, _ in store.iter_steps([run.id])] == list(range(run.steps))


def test_a_second_sigint_stops_the_sweep_at_once(db_url, store, tmp_path):
    # each run waits at step 300 (3 s of 10 ms steps: past a flush) and holds there through the first Ctrl-C,
    # which its worker notes (tests.support.gates): the second is sent once the first was handled, not 50 ms later
    gate = tmp_path / "gate"
    env = {**gated(db_url, gate, 300), **gate_env(gate, 300, hold=True)}
    process = start(db_url, "run", "--model", "gated_sleepy", "--seed", "0-3", "--steps", "5000", "--set",
                    "delay=0.01", "--jobs", "2", "--sweep", "twice", *DATA, env=env)
    wait_until(lambda: len(list(gate.glob("reached-*"))) == 2, process=process)  # both workers at the gate
    wait_until(running_with_steps(store, 2), process=process)
    process.send_signal(signal.SIGINT)
    wait_until(lambda: any(gate.glob("signalled-*")), process=process)  # the parent passed it on to its workers
    process.send_signal(signal.SIGINT)
    code, out, err = finish(process, timeout=20)
    (gate / "open").touch()  # the workers, asked to stop, end their runs
    assert code == 130 and "Stopped at once" in err, err
    wait_until(lambda: not store.list_runs(sweep="twice", status="running"), timeout=20)
    assert statuses(store, "twice") == ["interrupted"] * 2 + ["queued"] * 2


def test_a_killed_single_run_is_marked_lost_by_ls(db_url, db_path, store):
    process = start(db_url, "run", "--model", "sleepy", "--steps", "100000", *DATA)
    wait_until(lambda: store.list_runs() and store.list_runs()[0].steps_done > 0, process=process)
    process.kill()
    process.wait()
    assert store.get_run(1).status == "running"  # nobody has looked yet
    env = subprocess_env(db_url)
    listing = subprocess.run(runner_command("ls"), env=env, capture_output=True, text=True)
    assert " lost " in listing.stdout, listing.stderr
    record = store.get_run(1)
    assert record.status == "lost" and record.steps_done == len(list(store.iter_steps([1]))) > 0


def test_resume_with_nothing_queued_says_so(cli, store):
    assert "Nothing to resume: no sweep has queued, interrupted or lost runs" in cli("resume").stderr
    result = cli("resume", "nosuchsweep", code=1)
    assert "no sweep 'nosuchsweep'" in result.stderr


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_db(request, db_url):
    if request.param == "sqlite":
        return db_url
    url = request.getfixturevalue("pg_url")
    empty_pg(url)
    return url


def test_two_resumes_of_one_sweep_never_run_a_run_twice(shared_db, registry):
    from runner.grid import expand

    store = open_store(shared_db)
    grid = expand(registry, ["sleepy"], seeds=list(range(12)), steps=[30], sets=["batch=4", "d_in=5", "d_out=2"])
    store.enqueue([r.config for r in grid], "twice")
    resumers = [start(shared_db, "resume", "twice", "--jobs", "2") for _ in range(2)]
    for process in resumers:
        code, out, err = finish(process)
        assert code == 0, err
    runs = store.list_runs(sweep="twice")
    assert {r.status for r in runs} == {"completed"} and len(runs) == 12
    assert all(r.steps_done == 30 for r in runs)
    assert len(list(store.iter_steps([r.id for r in runs]))) == 12 * 30
    assert len({r.pid for r in runs}) >= 2
    store.close()
