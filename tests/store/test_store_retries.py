"""Claims count attempts, a lost run is retried while it has attempts left, a sweep's stop flag, claims at once."""

from __future__ import annotations

import os
import threading

from runner.status import RunStatus


def lose(store, run_id):
    assert store.mark_process_lost(os.getpid(), None, "its worker died (a test)") == [run_id]


def test_a_lost_run_is_retried_from_its_checkpoint_until_its_attempts_are_spent(store, make_config):
    [run_id, other] = store.enqueue([make_config(steps=10), make_config(seed=1)], "retry")
    assert store.claim_run(run_id, "cpu").attempts == 1
    store.append_steps(run_id, [(i, 1.0, 0.1) for i in range(4)])
    store.save_artifact(run_id, "checkpoint", 2, b"state", "npz")
    lose(store, run_id)
    assert store.retry_lost("retry", retries=2) == {run_id: 2}  # continues from the checkpoint
    assert [s[1] for s in store.iter_steps([run_id])] == [0, 1]  # the dead attempt's rows after it are gone
    assert store.get_run(other).status == RunStatus.QUEUED and store.get_run(other).attempts == 0
    assert store.claim("retry", ["cpu"], "cpu").id == run_id  # the oldest queued: the retried run
    lose(store, run_id)
    assert store.retry_lost("retry", retries=2) == {run_id: 2}
    assert store.claim_run(run_id, "cpu").attempts == 3
    lose(store, run_id)
    assert store.retry_lost("retry", retries=2) == {}  # 3 attempts > 2 retries: it stays lost
    assert store.get_run(run_id).status == RunStatus.LOST
    assert store.retry_lost("retry", retries=3, run_ids=[other]) == {}  # queued, not lost: untouched


def test_a_run_started_at_once_is_its_first_attempt(store, make_config):
    assert store.get_run(store.create_run(make_config(), device="cpu")).attempts == 1


def test_the_stop_flag_of_a_sweep(store):
    assert not store.sweep_stopped("s")
    store.stop_sweep("s", "pid 1 on a")
    store.stop_sweep("s", "pid 2 on b")  # twice is once
    assert store.sweep_stopped("s") and not store.sweep_stopped("t")
    store.clear_stop("s")
    assert not store.sweep_stopped("s")


def test_claimers_at_once_take_every_run_exactly_once(db_url, make_config):
    from runner.store import open_store

    with open_store(db_url) as store:
        store.enqueue([make_config(seed=i) for i in range(40)], "many")
    taken: list[int] = []
    start = threading.Barrier(8)

    def claimer() -> None:
        with open_store(db_url) as own:
            start.wait()
            while (record := own.claim("many", ["auto"], "cpu")) is not None:
                taken.append(record.id)

    threads = [threading.Thread(target=claimer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken) == list(range(1, 41))
    with open_store(db_url) as store:
        assert {r.attempts for r in store.list_runs(sweep="many")} == {1}
