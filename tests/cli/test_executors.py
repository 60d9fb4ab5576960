"""--executor, --retries and runner stop with the local pool (real processes, real signals); the Dask side is in
tests/test_dask_executor.py."""

import os
import signal

from tests.cli.test_sweeps import DATA, finish, running_with_steps, start, statuses, wait_until


def test_with_retries_a_sigkilled_worker_s_run_is_queued_again_and_completes_from_its_checkpoint(db_url, store):
    process = start(db_url, "run", "--model", "sleepy", "--seed", "0-1", "--steps", "60", "--set", "delay=0.02",
                    "--jobs", "2", "--sweep", "retry", "--retries", "1", "--checkpoint-every", "5 steps", *DATA)
    wait_until(lambda: any(r.steps_done >= 10 for r in store.list_runs(status="running")), process=process)
    victim = next(r for r in store.list_runs(status="running") if r.steps_done >= 10)
    os.kill(victim.pid, signal.SIGKILL)
    code, out, err = finish(process)
    assert code == 0, err
    assert statuses(store, "retry") == ["completed", "completed"]
    again = store.get_run(victim.id)
    assert again.attempts == 2 and again.steps_done == 60
    assert [s[1] for s in store.iter_steps([victim.id])] == list(range(60))
    kinds = [e.kind for e in store.events(victim.id)]
    assert kinds[:2] == ["lost", "requeued"] and "resumed" in kinds  # continued from its checkpoint


def test_runner_stop_stops_a_local_sweep_and_resume_goes_on(cli, db_url, store):
    process = start(db_url, "run", "--model", "sleepy", "--seed", "0-1", "--steps", "200", "--set", "delay=0.01",
                    "-j", "1", "--sweep", "halt", *DATA)
    wait_until(running_with_steps(store, 1), process=process)
    assert "sweep halt: asked to stop" in cli("stop", "halt").stderr
    code, out, err = finish(process)
    assert code == 1 and "still queued" in err, err
    assert statuses(store, "halt") == ["interrupted", "queued"]
    cli("resume", "halt")
    assert statuses(store, "halt") == ["completed"] * 2  # resume cleared the flag
    assert not store.sweep_stopped("halt")


def test_executor_usage_errors_store_nothing(cli, store):
    assert "--executor dask needs --address" in cli("run", "--model", "numpy", "--seed", "0-1", "--executor", "dask",
                                                    *DATA, code=2).stderr
    assert "'dusk' is not one of 'local', 'dask'" in cli("run", "--model", "numpy", "--executor", "dusk", code=2).stderr
    assert "--address and --detach go with --executor dask" in cli("run", "--model", "numpy", "--seed", "0-1",
                                                                    "--detach", *DATA, code=2).stderr
    assert "no sweep 'nope'" in cli("stop", "nope", code=1).stderr
    assert store.list_runs() == []
