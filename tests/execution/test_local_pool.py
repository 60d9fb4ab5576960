from runner.execution.slots import Slot, plan_slots


def test_every_slot_has_the_threads_it_is_given():
    assert plan_slots(2, 1, gpus=0, threads=1, requested={"auto"}) == [Slot("cpu", ("auto", "cpu"), 1)] * 2
    assert plan_slots(1, 1, gpus=0, threads=8, requested={"cpu"}) == [Slot("cpu", ("auto", "cpu"), 8)]
    assert {s.threads for s in plan_slots(3, 1, gpus=2, threads=2, requested={"auto", "cpu"})} == {2}


def test_a_worker_has_threads_as_asked_else_omp_num_threads_else_one(monkeypatch):
    # Issue 19 part 5: a sweep ignored OMP_NUM_THREADS, and a one-run sweep on 2 cores took both.
    from runner.execution.slots import slot_environment, worker_threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert worker_threads(None) == 1 and worker_threads(3) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert worker_threads(None) == 4 and worker_threads(2) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "many")  # OpenMP ignores it; so does runner
    assert worker_threads(None) == 1
    env = slot_environment(Slot("cuda:0", ("auto", "cuda", "cuda:0"), 3))
    assert (env["OMP_NUM_THREADS"], env["MKL_NUM_THREADS"], env["OPENBLAS_NUM_THREADS"]) == ("3", "3", "3")


def test_gpus_first_then_the_cpu():
    slots = plan_slots(4, 2, gpus=2, threads=1, requested={"auto"})
    assert [s.device for s in slots] == ["cuda:0", "cuda:0", "cuda:1", "cuda:1"]
    assert slots[0].accepts == ("auto", "cuda", "cuda:0")


def test_explicit_cpu_runs_get_a_slot_beside_the_gpus():
    slots = plan_slots(2, 1, gpus=2, threads=1, requested={"auto", "cpu"})
    assert [s.device for s in slots] == ["cuda:0", "cuda:1", "cpu"]
    assert slots[-1].accepts == ("cpu",)


def test_only_the_gpu_a_run_names():
    slots = plan_slots(4, 1, gpus=4, threads=1, requested={"cuda:2"})
    assert [s.device for s in slots] == ["cuda:2"]


def test_how_a_worker_ended_in_words():
    from runner.execution.local_pool import worker_end

    assert worker_end(7, 3) == "its worker process (pid 7) exited with status 3 without recording an end"
    assert worker_end(7, -15) == "its worker process (pid 7) was killed by SIGTERM without recording an end"
    assert worker_end(7, -9).startswith("its worker process (pid 7) was killed by SIGKILL (kill -9, or the out-of-memory")
    # Issue 17 item 20: a worker that gave up on the database is not taken for one killed
    assert worker_end(7, 75) == ("its worker process (pid 7) gave up on the database, which failed for longer than "
                                 "--db-deadline, without recording an end")


CLAIM_THEN_EXIT = """
import os
from runner.store import open_store
store = open_store(os.environ["RUNNER_DB"])
assert store.claim("exits", ["auto", "cpu"], "cpu") is not None
store.close()
os._exit(3)
"""


def test_a_worker_that_exits_without_ending_its_run_leaves_its_status_in_the_runs_error(tmp_path, monkeypatch):
    # Issue 10 item 19, with a real worker process that claims a run and leaves by os._exit(3).
    import subprocess
    import sys

    from runner.config import RunConfig
    from runner.execution.local_pool import LocalPool, Worker
    from runner.processes import start_time
    from runner.store import open_store
    from tests.conftest import subprocess_env

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    started: list[int] = []

    def spawn(self, slot, name):
        process = subprocess.Popen([sys.executable, "-c", CLAIM_THEN_EXIT], env=subprocess_env(url))
        started.append(process.pid)
        return Worker(slot, name, process, start_time(process.pid))

    monkeypatch.setattr(LocalPool, "_spawn", spawn)
    with open_store(url) as store:
        [run_id] = store.enqueue([RunConfig(model="numpy", optimizer="gd", dataset="random", lr=0.1, steps=5, seed=0)], "exits")
        result = LocalPool(store, url, "exits", [Slot("cpu", ("auto", "cpu"), 1)], max_restarts=0).run()
        run = store.get_run(run_id)
        events = store.events(run_id)
    assert result.counts == {"lost": 1} and run.pid == started[0]
    assert run.error == f"its worker process (pid {started[0]}) exited with status 3 without recording an end"
    assert [(e.kind, e.detail) for e in events] == [("lost", run.error)]
