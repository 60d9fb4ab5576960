"""When the store calls a running run lost, and takes it back (issue 10, item 1), on SQLite and PostgreSQL.

On this host a run is lost only when its process is gone (pid and start time); on another host, when its
heartbeat is older than the grace period. Every verdict, and every revival, is recorded as an event.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from runner.errors import RunTakenOver
from runner.processes import start_time
from runner.status import RunStatus
from runner.store import RunEvent
from runner.store.models import run_events, runs, utcnow

HOST = socket.gethostname()


def pretend(store, run_id: int, **values) -> None:
    """Change a run's row as another process, another host, or time would have."""
    with store._engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(**values))


def kinds(store, run_id: int) -> list[str]:
    return [event.kind for event in store.events(run_id)]


def test_a_run_of_this_process_records_its_start_time(store, make_config):
    run = store.get_run(store.create_run(make_config(), device="cpu"))
    assert (run.host, run.pid, run.pid_start) == (HOST, os.getpid(), start_time(os.getpid()))
    claimed_id = store.create_run(make_config(), device="cpu", status=RunStatus.QUEUED, sweep="s")
    assert store.get_run(claimed_id).pid_start is None  # queued: no process yet
    claimed = store.claim("s", ["cpu"], "cpu")
    assert claimed is not None and (claimed.pid, claimed.pid_start) == (os.getpid(), start_time(os.getpid()))


def test_a_run_on_this_host_is_never_judged_by_its_heartbeat(store, make_config):
    # A stopped (SIGSTOP) or busy process beats no more, yet it lives: its run is running.
    run_id = store.create_run(make_config(), device="cpu")
    pretend(store, run_id, heartbeat_at=utcnow() - timedelta(hours=1))
    assert store.mark_lost(lost_after=1) == []
    assert store.get_run(run_id).status == "running" and store.events(run_id) == []


def test_a_live_pid_with_another_start_time_is_another_process(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    pretend(store, run_id, pid_start=store.get_run(run_id).pid_start - 1)  # our pid, reused by us: not its process
    assert store.mark_lost() == [run_id]
    run = store.get_run(run_id)
    assert run.status == "lost" and run.ended_at is not None
    assert run.error.startswith(f"its process (pid {os.getpid()} on {HOST}) is gone (its pid is now another process's)")
    assert [(e.kind, e.detail) for e in store.events(run_id)] == [("lost", run.error)]


def test_a_gone_process_loses_its_run_with_the_reason_recorded(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, [(0, 2.0, 0.1), (1, 1.0, 0.2)])
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pretend(store, run_id, pid=int(gone.stdout))
    assert store.mark_lost() == [run_id] and store.mark_lost() == []
    run = store.get_run(run_id)
    assert (run.status, run.steps_done, run.final_loss, run.best_loss) == ("lost", 2, 1.0, 1.0)
    assert run.error == (f"its process (pid {int(gone.stdout)} on {HOST}) is gone without recording an end "
                         "(killed, out of memory, a power loss, or it gave up on a failing database)")
    [event] = store.events(run_id)
    assert isinstance(event, RunEvent) and event.kind == "lost" and event.detail == run.error
    assert utcnow() - timedelta(minutes=1) < event.at <= utcnow()


def test_another_hosts_run_is_lost_once_its_heartbeat_is_older_than_the_grace_period(store, make_config):
    fresh, stale, never = (store.create_run(make_config(), device="cpu") for _ in range(3))
    pretend(store, fresh, host="elsewhere", heartbeat_at=utcnow() - timedelta(seconds=30))
    pretend(store, stale, host="elsewhere", heartbeat_at=utcnow() - timedelta(seconds=90))
    pretend(store, never, host="elsewhere", heartbeat_at=None)
    assert store.mark_lost(lost_after=60) == [stale, never]
    assert {r.id: r.status for r in store.list_runs()} == {fresh: "running", stale: "lost", never: "lost"}
    error = store.get_run(stale).error
    assert error.startswith("no heartbeat from elsewhere for 90 s (over RUNNER_LOST_AFTER_SECONDS=60): its process")
    assert "no heartbeat from elsewhere at all" in store.get_run(never).error
    assert [(e.kind, e.detail) for e in store.events(stale)] == [("lost", error)]
    assert store.events(fresh) == []


def as_host(monkeypatch, name: str) -> None:
    """From here on this process is on host ``name`` (runner.processes.host_name), as the runs it pretends."""
    monkeypatch.setenv("RUNNER_HOST", name)


def test_a_lost_run_whose_process_lives_takes_its_status_back_when_it_writes(store, make_config, monkeypatch):
    # Marked lost from another host's point of view (its heartbeats stopped); this process is its own.
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, [(0, 2.0, 0.1)])
    pretend(store, run_id, host="elsewhere", heartbeat_at=utcnow() - timedelta(seconds=600))
    assert store.mark_lost(lost_after=60) == [run_id]
    as_host(monkeypatch, "elsewhere")
    store.append_steps(run_id, [(1, 1.0, 0.2)])
    run = store.get_run(run_id)
    assert (run.status, run.ended_at, run.error, run.best_loss) == ("running", None, None, None)
    assert (run.steps_done, run.final_loss) == (2, 1.0)
    assert kinds(store, run_id) == ["lost", "revived"]
    assert store.events(run_id)[1].detail == f"its process (pid {os.getpid()} on elsewhere) was alive after all: it stored steps"
    store.append_steps(run_id, [(2, 0.5, 0.3)])
    assert kinds(store, run_id) == ["lost", "revived"]  # once: it was running again


def test_a_heartbeat_or_an_end_revives_a_lost_run_too(store, make_config, monkeypatch):
    beating, ending = (store.create_run(make_config(), device="cpu") for _ in range(2))
    for run_id in (beating, ending):
        pretend(store, run_id, host="elsewhere", heartbeat_at=utcnow() - timedelta(seconds=600))
    assert store.mark_lost(lost_after=60) == [beating, ending]
    as_host(monkeypatch, "elsewhere")
    store.heartbeat(beating)
    assert store.get_run(beating).status == "running" and kinds(store, beating) == ["lost", "revived"]
    store.finish_run(ending, RunStatus.COMPLETED, final_loss=0.5, best_loss=0.5)
    run = store.get_run(ending)
    assert (run.status, run.error, run.best_loss) == ("completed", None, 0.5)  # its real end
    assert store.events(ending)[-1].detail.endswith("it recorded its end (completed)")


def test_a_heartbeat_between_the_look_and_the_verdict_keeps_the_run(store, make_config, monkeypatch):
    run_id = store.create_run(make_config(), device="cpu")
    pretend(store, run_id, host="elsewhere", heartbeat_at=utcnow() - timedelta(seconds=600))
    cutoff = utcnow() - timedelta(seconds=60)
    as_host(monkeypatch, "elsewhere")
    store.heartbeat(run_id)  # it beat after mark_lost read the rows: the verdict's own condition sees it
    monkeypatch.delenv("RUNNER_HOST")
    assert not store._lose(run_id, "stale", runs.c.heartbeat_at < cutoff)
    assert store.get_run(run_id).status == "running" and store.events(run_id) == []


def test_a_parent_records_how_its_childs_runs_ended(store, make_config):
    mine, other = (store.create_run(make_config(), device="cpu") for _ in range(2))
    pretend(store, other, pid=os.getpid() + 1)
    pid_start = start_time(os.getpid())
    if pid_start is not None:  # another process that had our pid: not ours
        assert store.mark_process_lost(os.getpid(), pid_start + 1, "no") == []
    assert store.mark_process_lost(os.getpid(), pid_start, "its worker process was killed by SIGKILL") == [mine]
    assert store.get_run(mine).error == "its worker process was killed by SIGKILL"
    assert store.get_run(other).status == "running" and kinds(store, mine) == ["lost"]


def test_events_go_with_their_run(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    pretend(store, run_id, host="elsewhere", heartbeat_at=None)
    store.mark_lost()
    assert kinds(store, run_id) == ["lost"]
    store.delete_runs([run_id])
    with store._engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(run_events)) == 0


@pytest.mark.parametrize("seed", [2**31, 2**32 - 1])
def test_every_seed_the_cli_takes_is_stored_as_given(store, make_config, seed):
    # runs.seed was a 32-bit INTEGER: PostgreSQL refused 2**31 and above ("integer out of range").
    run_id = store.create_run(make_config(seed=seed, steps=2**31 - 1), device="cpu")
    run = store.get_run(run_id)
    assert (run.seed, run.steps) == (seed, 2**31 - 1)
    assert [r.seed for r in store.list_runs()] == [seed]


def test_a_run_given_to_another_process_is_no_longer_written_by_its_old_one(store, make_config):
    # Lost (its host was cut off), resumed elsewhere; then its old process comes back and writes.
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, [(0, 2.0, 0.1)])
    store.finish_run(run_id, RunStatus.INTERRUPTED, 2.0, 2.0)
    store.requeue([run_id])
    pretend(store, run_id, status=RunStatus.RUNNING, host="other-host", pid=4242)  # claimed there
    for write in (lambda: store.append_steps(run_id, [(0, 9.0, 0.1)]), lambda: store.heartbeat(run_id),
                  lambda: store.finish_run(run_id, RunStatus.FAILED, None, None, "old process")):
        with pytest.raises(RunTakenOver, match=f"run {run_id} is no longer this process's .*pid 4242 on other-host"):
            write()
    run = store.get_run(run_id)
    assert (run.status, run.host, run.error) == ("running", "other-host", None)
    assert list(store.iter_steps([run_id])) == []  # requeue (no checkpoint) cleared them; the old process added none


STOPPED_IN_A_TRANSACTION = """
import os, signal, sys
from sqlalchemy import update
from runner.store import open_store
from runner.store.models import runs, utcnow
with open_store(sys.argv[1]) as store, store._engine.begin() as conn:  # a writer that stops mid-transaction
    conn.execute(update(runs).where(runs.c.id == int(sys.argv[2])).values(heartbeat_at=utcnow()))
    print("locked", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
"""


@pytest.mark.postgres
def test_a_process_stopped_inside_a_transaction_does_not_hold_its_run_from_being_lost(pg_url, make_config,
                                                                                      python_env):
    # A host cut off mid-write keeps its row locks until the server ends its idle transaction, after as long
    # as its run takes to be lost (RUNNER_LOST_AFTER_SECONDS), not when TCP gives up, hours later.
    from runner.store import open_store
    from tests.conftest import empty_pg

    empty_pg(pg_url)
    env = {**python_env, "RUNNER_LOST_AFTER_SECONDS": "2", "RUNNER_HEARTBEAT_SECONDS": "0.2"}
    with open_store(pg_url) as store:
        run_id = store.create_run(make_config(), device="cpu")
        pretend(store, run_id, host="elsewhere", heartbeat_at=utcnow() - timedelta(seconds=10))
        writer = subprocess.Popen([sys.executable, "-c", STOPPED_IN_A_TRANSACTION, pg_url, str(run_id)], env=env,
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline().strip() == "locked"
            checker = subprocess.run([sys.executable, "-c", f"from runner.store import open_store\n"
                                      f"with open_store({pg_url!r}) as s: print(s.mark_lost())"],
                                     env=env, capture_output=True, text=True, timeout=30)
            assert checker.returncode == 0 and checker.stdout.strip() == f"[{run_id}]", checker.stderr
        finally:
            writer.kill()
            writer.wait()
        assert store.get_run(run_id).status == RunStatus.LOST


SLOW_READER = """
import sys, time
from runner.store import open_store, STREAM_BATCH
from runner.config import RunConfig
with open_store(sys.argv[1]) as store:
    run_id = store.create_run(RunConfig(model="m", optimizer="o", dataset="d", lr=0.1, steps=1, seed=0), "cpu")
    n = STREAM_BATCH + 5
    store.append_steps(run_id, [(i, 1.0, 0.0) for i in range(n)])
    read = 0
    for row in store.iter_steps([run_id]):
        if read == 0:
            time.sleep(2.5)  # a pager waiting on its user, inside the read transaction
        read += 1
    print(read == n)
"""


@pytest.mark.postgres
def test_a_slow_reader_of_many_steps_is_not_cut_off_by_the_idle_transaction_limit(pg_url, python_env):
    from tests.conftest import empty_pg

    empty_pg(pg_url)
    env = {**python_env, "RUNNER_LOST_AFTER_SECONDS": "1", "RUNNER_HEARTBEAT_SECONDS": "0.1"}  # idle limit: 1 s
    reader = subprocess.run([sys.executable, "-c", SLOW_READER, pg_url], env=env, capture_output=True, text=True,
                            timeout=60)
    assert reader.returncode == 0 and reader.stdout.strip() == "True", reader.stderr
