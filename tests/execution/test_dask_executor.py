"""Sweeps on Dask with real processes on 127.0.0.1: a `dask scheduler`, two `runner worker` hosts (host-a and
host-b, through RUNNER_HOST), real PostgreSQL, real SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from runner.status import RunStatus
from runner.store import open_store
from tests.conftest import empty_pg, runner_command
from tests.support.dask import env, free_port, start_scheduler, start_worker
from tests.support.processes import DATA, running_past, stop, wait_until

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    address, process = start_scheduler()
    try:
        yield address
    finally:
        stop(process)


@pytest.fixture(scope="module")
def cluster(scheduler):
    """Two hosts, each a `runner worker` with one CPU slot; yields (address, client)."""
    from distributed import Client

    workers = [start_worker(scheduler, host, "--cpu-slots", "1") for host in ("host-a", "host-b")]
    client = Client(scheduler, timeout=10, set_as_default=False)
    try:
        client.wait_for_workers(2, timeout=60)
        yield scheduler, client
    finally:
        client.close()
        for worker in workers:
            stop(worker)


@pytest.fixture
def pg(pg_url):
    empty_pg(pg_url)
    return pg_url


def dask_sweep(db_url, address, *args) -> subprocess.Popen:
    """`runner run ARGS --executor dask`, started: the caller reads its output with communicate()."""
    return subprocess.Popen(runner_command("run", *args, *DATA, "--executor", "dask", "--address", address, "--db", db_url),
                            env=env(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def dask_run(db_url, address, *args, timeout=60):
    result = subprocess.run(runner_command("run", *args, "--executor", "dask", "--address", address, "--db", db_url),
                            env=env(db_url), capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def test_a_12_run_sweep_completes_on_two_hosts_one_run_at_a_time_per_slot(cluster, pg):
    address, _ = cluster
    code, out, err = dask_run(pg, address, "--model", "sleepy", "--seed", "0-11", "--steps", "10", "--sweep", "twelve",
                              "--set", "delay=0.02", *DATA)
    assert code == 0, err
    assert "sweep twelve: 12 runs · 12 completed" in out
    with open_store(pg) as store:
        runs = store.list_runs(sweep="twelve")
        assert all(r.steps_done == 10 and r.attempts == 1 and r.device == "cpu" for r in runs)
        assert {(r.host, r.slot) for r in runs} == {("host-a", "host-a-0-cpu"), ("host-b", "host-b-0-cpu")}
        assert_one_run_at_a_time_per_slot(runs)


def assert_one_run_at_a_time_per_slot(runs):
    for slot in {r.slot for r in runs}:
        spans = sorted((r.started_at, r.ended_at) for r in runs if r.slot == slot)
        assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:])), spans


def test_gpu_requests_land_on_gpu_slots(pg, monkeypatch):
    # Fake GPUs: two slots that offer Dask's GPU resources (cuda:0 on host-a, cuda:1 on host-b) but train on the
    # CPU, as this machine has no GPU; and a CPU slot on host-a. Runs asking for cuda:1 must go to host-b's GPU
    # slot, for any GPU to either GPU slot, for the CPU to the CPU slot.
    from runner.execution.dask_executor import slot_command, slot_environment
    from runner.execution.slots import Slot

    address, scheduler = start_scheduler()
    workers = []
    try:
        for host, index, device in (("host-a", 0, "cuda:0"), ("host-b", 0, "cuda:1"), ("host-a", 1, "cpu")):
            monkeypatch.setenv("RUNNER_HOST", host)
            slot = Slot(device, (), 1)
            fake = {**slot_environment(slot), **env(RUNNER_HOST=host), "RUNNER_SLOT_DEVICE": "cpu"}
            fake.pop("CUDA_VISIBLE_DEVICES", None)
            workers.append(subprocess.Popen(slot_command(address, slot, index), env=fake,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        monkeypatch.delenv("RUNNER_HOST")
        grid = ["--model", "sleepy", "--device", "cuda:1,cuda,cpu", "--seed", "0-3", "--steps", "5", "--set", "delay=0.01",
                *DATA]
        code, out, err = dask_run(pg, address, *grid, "--sweep", "gpus", "--worker-wait", "60")
        assert code == 0, err
        assert "sweep gpus: 12 runs · 12 completed" in out
    finally:
        stop(scheduler)
        for worker in workers:
            stop(worker)
    # A run records the device it ran on (these fakes train on the CPU); what each asked for is in the grid,
    # whose order the run ids follow.
    listed = subprocess.run(runner_command("run", *grid, "--dry-run"), env=env(pg), capture_output=True, text=True)
    asked = [next(t for t in line.split() if t.startswith(("cuda", "cpu"))) for line in listed.stdout.splitlines()[1:13]]
    with open_store(pg) as store:
        runs = sorted(store.list_runs(sweep="gpus"), key=lambda r: r.id)
    landed = {(request, r.slot) for request, r in zip(asked, runs)}
    assert {slot for request, slot in landed if request == "cuda:1"} == {"host-b-0-cuda:1"}
    assert {slot for request, slot in landed if request == "cuda"} <= {"host-a-0-cuda:0", "host-b-0-cuda:1"}
    assert {slot for request, slot in landed if request == "cpu"} == {"host-a-1-cpu"}
    assert sorted(asked) == ["cpu"] * 4 + ["cuda"] * 4 + ["cuda:1"] * 4
    assert all(r.status == RunStatus.COMPLETED and r.attempts == 1 for r in runs)
    assert_one_run_at_a_time_per_slot(runs)


def test_a_sigkilled_worker_s_run_is_retried_and_stores_exactly_its_steps(cluster, pg):
    address, _ = cluster
    sweep = dask_sweep(pg, address, "--model", "sleepy", "--seed", "0-1", "--steps", "40", "--set", "delay=0.05",
                       "--sweep", "kill", "--checkpoint-every", "10 steps")
    with open_store(pg) as store:
        wait_until(lambda: running_past(store, "kill") is not None, what="a run past its first checkpoint")
        killed = running_past(store, "kill")
        os.kill(killed.pid, signal.SIGKILL)  # the Dask worker process itself; its nanny starts another
        out, err = sweep.communicate(timeout=60)
        assert sweep.returncode == 0, err
        assert "sweep kill: 2 runs · 2 completed" in out
        again = store.get_run(killed.id)
        assert (again.status, again.attempts, again.steps_done) == (RunStatus.COMPLETED, 2, 40)
        assert [s[1] for s in store.iter_steps([killed.id])] == list(range(40))  # each step exactly once
        assert [e.kind for e in store.events(killed.id)][:2] == ["lost", "requeued"]
        [other] = [r for r in store.list_runs(sweep="kill") if r.id != killed.id]
        assert (other.status, other.attempts, other.steps_done) == (RunStatus.COMPLETED, 1, 40)


def test_a_silent_host_s_run_is_taken_over_only_once_its_heartbeat_is_stale(cluster, pg):
    # host-b's worker is stopped (SIGSTOP: a host cut off, its process alive); the submitter, on this host,
    # can judge it only by its heartbeat. When it comes back, the run is no longer its own.
    address, _ = cluster
    sweep = dask_sweep(pg, address, "--model", "sleepy", "--seed", "0-1", "--steps", "150", "--set", "delay=0.04",
                       "--sweep", "silent", "--checkpoint-every", "10 steps")
    with open_store(pg) as store:
        wait_until(lambda: running_past(store, "silent", host="host-b") is not None,
                   what="a run on host-b past its first checkpoint")
        silent = running_past(store, "silent", host="host-b")
        os.kill(silent.pid, signal.SIGSTOP)
        try:
            held = store.get_run(silent.id)  # its last heartbeat (one already sent may still land: later, if at all)
            assert (held.status, held.host, held.attempts) == (RunStatus.RUNNING, "host-b", 1)
            wait_until(lambda: store.get_run(silent.id).attempts == 2, timeout=30, what="the takeover")
        finally:
            os.kill(silent.pid, signal.SIGCONT)  # back: its next write finds the run another's, and it stops
        out, err = sweep.communicate(timeout=90)
        assert sweep.returncode == 0, err
        again = store.get_run(silent.id)
        assert (again.status, again.attempts, again.host) == (RunStatus.COMPLETED, 2, "host-a")
        assert [s[1] for s in store.iter_steps([silent.id])] == list(range(150))  # each step exactly once
        lost = [e for e in store.events(silent.id) if e.kind == "lost"]
        assert lost and lost[0].detail.startswith("no heartbeat from host-b for ")
        # taken over only once stale: at least RUNNER_LOST_AFTER_SECONDS (2) after the heartbeat it had when it
        # fell silent, by the store's own times, whatever the load made of the test's
        assert (lost[0].at - held.heartbeat_at).total_seconds() >= 2, (lost[0].at, held.heartbeat_at)


def test_the_same_run_submitted_twice_trains_once(cluster, pg):
    from runner.config import RunConfig
    from runner.execution.local_worker import train_by_id

    _, client = cluster
    with open_store(pg) as store:
        [run_id] = store.enqueue([RunConfig(model="numpy", optimizer="gd", dataset="random", lr=1e-6, steps=5, seed=0,
                                            model_params={"hidden": 4}, dataset_params={"batch": 4, "d_in": 5, "d_out": 2})], "twice")
    # Two keys, so that Dask itself does not merge them: the database's claim is the only guard.
    futures = [client.submit(train_by_id, pg, run_id, "twice", 2, [], key=f"twice-{i}", resources={"CPU": 1},
                             pure=False) for i in range(2)]
    outcomes = sorted(f.result(timeout=60) for f in futures)
    assert outcomes[0] == "completed" and outcomes[1].startswith("skipped: run 1 is")
    assert client.submit(train_by_id, pg, run_id, "twice", 2, [], key="twice-later", pure=False
                         ).result(timeout=60) == "skipped: run 1 is completed"
    with open_store(pg) as store:
        assert store.get_run(run_id).attempts == 1 and len(list(store.iter_steps([run_id]))) == 5


def test_runner_stop_stops_a_dask_sweep_on_every_host_and_resume_finishes_it(cluster, pg):
    address, _ = cluster
    sweep = dask_sweep(pg, address, "--model", "sleepy", "--seed", "0-3", "--steps", "200", "--set", "delay=0.01",
                       "--sweep", "halt")
    with open_store(pg) as store:
        wait_until(lambda: len(store.list_runs(sweep="halt", status=RunStatus.RUNNING)) == 2, what="two running runs")
        stopped = subprocess.run(runner_command("stop", "halt", "--db", pg), env=env(pg), capture_output=True, text=True)
        assert stopped.returncode == 0, stopped.stderr
        out, err = sweep.communicate(timeout=60)
        assert sweep.returncode == 130 and "Stopped: the sweep was asked to stop (runner stop); " in err, err
        counts = store.sweep_counts("halt")
        assert counts.get(RunStatus.INTERRUPTED) == 2 and counts.get(RunStatus.QUEUED, 0) + counts.get(
            RunStatus.COMPLETED, 0) == 2, counts
    resumed = subprocess.run(runner_command("resume", "halt", "--executor", "dask", "--address", address, "--db", pg),
                             env=env(pg), capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    with open_store(pg) as store:
        assert store.sweep_counts("halt") == {RunStatus.COMPLETED: 4}
        assert all(len(list(store.iter_steps([r.id]))) == 200 for r in store.list_runs(sweep="halt"))


def test_bad_input_is_one_line_exit_2_and_stores_nothing(scheduler, pg):
    # a scheduler with no workers: a visible wait, then a one-line error (the cluster fixture is not used here,
    # but an earlier test's may still be up: a scheduler of our own)
    lonely, process = start_scheduler()
    try:
        code, _, err = dask_run(pg, lonely, "--model", "numpy", "--seed", "0-1", "--worker-wait", "1", *DATA)
        assert code == 2 and "waiting up to 1 s for Dask workers" in err
        assert err.strip().splitlines()[-1].startswith(f"Error: no Dask worker joined {lonely} within 1 s")
    finally:
        stop(process)
    code, _, err = dask_run(pg, f"tcp://127.0.0.1:{free_port()}", "--model", "numpy", "--seed", "0-1", *DATA)
    assert code == 2 and "Error: no Dask scheduler answered at tcp://127.0.0.1:" in err and len(err.splitlines()) == 1
    without_dask = ("import sys; sys.modules['distributed'] = None\nfrom runner.cli import main\n"
                    f"main(['run', '--model', 'numpy', '--seed', '0-1', '--executor', 'dask', '--address', "
                    f"{scheduler!r}, '--db', {pg!r}], prog_name='runner')")
    result = subprocess.run([sys.executable, "-c", without_dask], env=env(pg), capture_output=True, text=True)
    assert result.returncode == 2 and 'pip install -e ".[dask]"' in result.stderr
    with open_store(pg) as store:
        assert store.list_runs() == []


def test_device_requests_map_to_dask_resources():
    from runner.execution.dask_executor import resources_for

    assert resources_for("cuda:1", gpu_cluster=True) == {"cuda:1": 1}
    assert resources_for("cuda", gpu_cluster=True) == resources_for("auto", gpu_cluster=True) == {"GPU": 1}
    assert resources_for("auto", gpu_cluster=False) == resources_for("cpu", gpu_cluster=True) == {"CPU": 1}


def test_a_slot_s_worker_command_and_environment(monkeypatch):
    from runner.execution.dask_executor import slot_command, slot_environment
    from runner.execution.slots import Slot

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5")
    gpu = Slot("cuda:1", ("auto", "cuda", "cuda:1"), 1)
    assert slot_command("tcp://h:8786", gpu, 3)[-5:-2] == ["--resources", "GPU=1,cuda:1=1", "--name"]
    assert slot_environment(gpu)["CUDA_VISIBLE_DEVICES"] == "5" and slot_environment(gpu)["RUNNER_SLOT_DEVICE"] == "cuda:1"
    cpu = slot_environment(Slot("cpu", ("auto", "cpu"), 4))
    assert cpu["OMP_NUM_THREADS"] == "4" and cpu["RUNNER_SLOT_DEVICE"] == "cpu"


def test_which_worker_addresses_are_this_host():
    import socket

    from runner.execution.dask_executor import host_of, local_addresses, loopback

    assert host_of("tcp://10.0.0.7:40123") == "10.0.0.7" and host_of("tcp://[::1]:40123") == "::1"
    assert loopback("127.0.0.2") and not loopback("10.0.0.7") and not loopback("host-a")
    assert {"127.0.0.1", socket.gethostname()} <= local_addresses() and "10.255.255.254" not in local_addresses()


def test_sqlite_with_workers_on_this_host_is_allowed_and_other_hosts_refused(cluster, tmp_path, monkeypatch):
    from runner.errors import ConfigError
    from runner.execution import dask_executor

    address, client = cluster
    dask_executor.check_database(client, f"sqlite:///{tmp_path / 'x.db'}", address)  # 127.0.0.1: this host
    monkeypatch.setattr(dask_executor, "local_addresses", lambda: {"localhost"})
    monkeypatch.setattr(dask_executor, "loopback", lambda host: False)  # as if the workers were elsewhere
    with pytest.raises(ConfigError, match=r"include other hosts \(127\.0\.0\.1\).*give --db postgresql://"):
        dask_executor.check_database(client, f"sqlite:///{tmp_path / 'x.db'}", address)
    dask_executor.check_database(client, "postgresql://u@db/runs", address)  # PostgreSQL: any host


def test_the_scheduler_killed_mid_sweep_then_resume_on_a_new_scheduler_finishes_the_sweep(pg):
    first, process = start_scheduler()
    worker = start_worker(first, "host-a", "--cpu-slots", "2")
    try:
        sweep = dask_sweep(pg, first, "--model", "sleepy", "--seed", "0-3", "--steps", "60", "--set", "delay=0.02",
                           "--sweep", "orphan")
        with open_store(pg) as store:
            wait_until(lambda: any(r.steps_done for r in store.list_runs(sweep="orphan", status=RunStatus.RUNNING)),
                       what="a running run")
        process.kill()
        out, err = sweep.communicate(timeout=30)
        assert sweep.returncode == 1 and f"Error: the Dask scheduler at {first} went away" in err, err
        port = first.rpartition(":")[2]  # the hint says where to start it again, and how: no placeholder
        assert f"(`dask scheduler --port {port}` on 127.0.0.1) and its workers (`runner worker {first}` on each host), " \
               "then: runner resume orphan" in err, err
        assert "Traceback" not in err and "HOST:PORT" not in err.partition("(with --address")[0]
    finally:
        stop(process)
        stop(worker)
    second, process = start_scheduler()
    worker = start_worker(second, "host-b", "--cpu-slots", "2")
    try:
        resumed = subprocess.run(runner_command("resume", "orphan", "--executor", "dask", "--address", second,
                                                "--db", pg), env=env(pg), capture_output=True, text=True, timeout=60)
        assert resumed.returncode == 0, resumed.stderr
    finally:
        stop(process)
        stop(worker)
    with open_store(pg) as store:
        assert store.sweep_counts("orphan") == {RunStatus.COMPLETED: 4}
        assert all([s[1] for s in store.iter_steps([r.id])] == list(range(60)) for r in store.list_runs(sweep="orphan"))


def test_a_device_no_worker_offers_waits_then_is_one_line_exit_2(cluster, pg):
    address, _ = cluster  # two CPU slots, no GPU
    code, _, err = dask_run(pg, address, "--model", "numpy", "--device", "cuda", "--worker-wait", "1", *DATA)
    assert code == 2 and "waiting up to 1 s for a Dask worker that offers GPU" in err, err
    assert err.strip().splitlines()[-1] == ("Error: no Dask worker offers GPU for runs on cuda (workers offer: CPU); "
                                            f"start one with `runner worker {address}` on a host that has it (see 'runner run --help')")
    with open_store(pg) as store:
        assert store.list_runs() == []


def test_a_worker_without_the_run_s_plugin_fails_it_naming_the_plugin_and_the_host(pg):
    # host-c's worker lacks the test plugins (tests.support.fake_plugins) that the submitter has.
    address, scheduler = start_scheduler()
    bare = {k: v for k, v in env(RUNNER_HOST="host-c").items() if k != "RUNNER_PLUGINS"}
    worker = subprocess.Popen(runner_command("worker", address, "--cpu-slots", "1"), env=bare,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        code, out, err = dask_run(pg, address, "--model", "sleepy,numpy", "--steps", "3", "--sweep", "bare", *DATA,
                                  "--worker-wait", "60")
    finally:
        stop(scheduler)
        stop(worker)
    assert code == 1 and "sweep bare: 2 runs · 1 completed · 1 failed" in out, (out, err)
    with open_store(pg) as store:
        [failed] = store.list_runs(sweep="bare", status=RunStatus.FAILED)
    assert failed.model == "sleepy" and failed.host == "host-c"
    assert failed.error.startswith("on host host-c: unknown model 'sleepy'; choose from: ")
    assert failed.error.endswith("(install there the plugins the submitting host has: `runner plugins` lists them)")
