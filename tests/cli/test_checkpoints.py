"""Checkpoints through the command line: Ctrl-C or kill -9, then `runner resume`, gives exactly the losses of
a run never stopped; checkpoints travel between hosts through PostgreSQL; weights come back out."""

from __future__ import annotations

import signal
import subprocess
import time

import numpy
import pytest

from runner.store import open_store
from tests.conftest import empty_pg, runner_command, subprocess_env
from tests.support.gates import gate_env

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "hidden=10", "--set", "d_out=3", "--device", "cpu"]
SLEEPY = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]  # tests.support.fake_plugins' sleepy
# Runs of tests.support.gates' models, which cannot end before the test opens their gate: step AT waits for it,
# and the steps from SLOW on are slow enough that a flush stores rows before it (one flush a second, 10 ms a
# step), so that a signal sent once rows are stored lands mid-run however slow or fast the machine is.
STEPS, SLOW, AT = 2000, 800, 1000
PLUGINS = "tests.support.fake_plugins,tests.support.gates"


def reference(model: str, optimizer: str, steps: int = STEPS) -> list[float]:
    """The losses of the same run, never stopped, trained here with the built-in ``model``: the gated one's,
    bit for bit, as tests.support.gates promises."""
    from runner.config import resolve
    from runner.registry import load_registry
    from runner.training.engine import prepare, train

    sets = [DATA[i + 1] for i in range(0, 8, 2)]
    resolved = resolve(load_registry(), model, optimizer=optimizer, steps=steps, seed=0, device="cpu", sets=sets)
    rows: list = []
    train(prepare(resolved), steps, lambda r, m: rows.extend(r))
    return [loss for _, loss, _ in rows]


def start(url: str, *args: str, host: str | None = None, gate: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**subprocess_env(url), "RUNNER_PLUGINS": PLUGINS, **(gate or {})}
    if host:
        env["RUNNER_HOST"] = host
    return subprocess.Popen(runner_command(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(predicate, process, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def stored(url: str, run_id: int = 1) -> list[float]:
    with open_store(url) as store:
        rows = list(store.iter_steps([run_id]))
    assert [step for _, step, _, _ in rows] == list(range(len(rows))), "a step missing or stored twice"
    return [loss for _, _, loss, _ in rows]


def progress(url: str, run_id: int = 1) -> int:
    with open_store(url) as store:
        runs = store.list_runs()
        return runs[-1].steps_done if runs else 0


def checkpoint_step(url: str, run_id: int = 1) -> int | None:
    with open_store(url) as store:
        kept = [a.step for a in store.artifacts([run_id])[run_id] if a.kind == "checkpoint"] if store.list_runs() else []
    return kept[-1] if kept else None


def past_a_checkpoint(url: str, every: int) -> bool:
    """Whether rows past a kept checkpoint (at step ``every`` or later) are stored: one read, so a poll is quick."""
    with open_store(url) as store:
        runs = store.list_runs()
        if not runs:
            return False
        kept = [a.step for a in store.artifacts([1])[1] if a.kind == "checkpoint"]
        return bool(kept) and kept[-1] >= every and runs[-1].steps_done > kept[-1]


def started_at_the_gate(url: str, folder, *args: str, host: str | None = None) -> subprocess.Popen:
    """A run of STEPS steps that cannot end before ``open_gate(folder)``; stored rows mean it is mid-run."""
    folder.mkdir()
    process = start(url, "run", "--steps", str(STEPS), *args, host=host, gate=gate_env(folder, AT, SLOW))
    wait_until(lambda: progress(url) > 0, process)
    return process


def open_gate(folder) -> None:
    (folder / "open").touch()


def resume(url: str, *args: str, host: str | None = None) -> subprocess.CompletedProcess:
    process = start(url, "resume", *args, host=host)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("model, optimizer", [("dynamic", "adam"), ("numpy", "sgd")])
def test_ctrl_c_then_resume_gives_the_losses_of_a_run_never_stopped(db_url, tmp_path, model, optimizer):
    steps = STEPS
    process = started_at_the_gate(db_url, tmp_path / "gate", "-m", f"gated_{model}", "-o", optimizer, *DATA)
    process.send_signal(signal.SIGINT)
    open_gate(tmp_path / "gate")  # the stop is asked for first: the run ends at the next step at the latest
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    with open_store(db_url) as store:
        record = store.get_run(1)
    assert record.status == "interrupted" and 0 < record.steps_done <= AT + 1
    assert checkpoint_step(db_url) == record.steps_done  # taken as it stopped

    resumed = resume(db_url, "1")
    assert resumed.returncode == 0, resumed.stderr
    assert f"run 1: continuing from its checkpoint at step {record.steps_done}" in resumed.stderr
    assert "run 1 completed" in resumed.stdout
    expected = reference(model, optimizer, steps)
    assert stored(db_url) == expected  # bit for bit
    with open_store(db_url) as store:
        events = [(e.kind, e.detail) for e in store.events(1)]
        final = store.get_run(1)
    assert [kind for kind, _ in events] == ["requeued", "resumed"]
    assert events[1][1].startswith(f"from its checkpoint at step {record.steps_done} on ")
    assert (final.status, final.steps_done, final.started_at) == ("completed", steps, record.started_at)
    assert final.best_loss == min(expected)


def test_kill_9_then_resume_goes_on_from_the_last_periodic_checkpoint(db_url, tmp_path):
    # dynamic: Python's random, drawn every step, must be where it was too. From the first checkpoint on the
    # steps are slow, so that a flush stores rows past it long before the next, and the run waits at its
    # second-to-last step: the kill lands after rows past a checkpoint were stored, before the run could end.
    steps, every = 3000, 1000
    gate = tmp_path / "gate"
    gate.mkdir()
    process = start(db_url, "run", "-m", "gated_dynamic", "-o", "sgd", "--steps", str(steps), "--checkpoint-every",
                    f"{every} steps", *DATA, gate=gate_env(gate, steps - 2, slow=every))
    wait_until(lambda: past_a_checkpoint(db_url, every), process)
    process.kill()
    process.wait()
    kept = checkpoint_step(db_url)
    assert kept is not None and kept % every == 0

    resumed = resume(db_url, "1")  # marks it lost first: its process is gone
    assert resumed.returncode == 0, resumed.stderr
    assert f"continuing from its checkpoint at step {kept}" in resumed.stderr
    assert stored(db_url) == reference("dynamic", "sgd", steps)  # the rows after the checkpoint were trained again


@pytest.mark.postgres
def test_a_checkpoint_taken_on_one_host_is_resumed_on_another(pg_url, tmp_path):
    empty_pg(pg_url)
    gate = tmp_path / "gate"
    process = started_at_the_gate(pg_url, gate, "-m", "gated_module", "-o", "adam", *DATA, host="host-a")
    process.send_signal(signal.SIGTERM)
    open_gate(gate)
    process.communicate(timeout=60)
    assert process.returncode == 130

    resumed = resume(pg_url, "1", host="host-b")
    assert resumed.returncode == 0, resumed.stderr
    with open_store(pg_url) as store:
        record, events = store.get_run(1), store.events(1)
        kept = store.artifacts([1])[1]
    assert record.host == "host-b" and events[-1].detail.endswith("on host-b")
    assert [(a.kind, a.host) for a in kept] == [("weights", "host-b")]  # a completed run keeps no checkpoint
    assert stored(pg_url) == reference("module", "adam")


def test_weights_of_torch_and_numpy_runs(cli, db_url, store, tmp_path):
    import torch

    import runner
    from runner.checkpoints.state import module_of

    cli("run", "-m", "module", "--steps", "5", *DATA)
    cli("run", "-m", "numpy", "--steps", "5", *DATA)
    result = cli("weights", "1", "-o", str(tmp_path / "module.pt"))
    assert "run 1: weights at step 5" in result.stdout and "module.pt" in result.stdout
    saved = torch.load(tmp_path / "module.pt", weights_only=True)
    assert sorted(saved) == ["linear1.bias", "linear1.weight", "linear2.bias", "linear2.weight"]
    model = runner.load_model(1, db=db_url)
    assert all(torch.equal(module_of(model).state_dict()[k], v) for k, v in saved.items())

    cli("weights", "2", "-o", str(tmp_path / "numpy.npz"))
    with numpy.load(tmp_path / "numpy.npz", allow_pickle=False) as npz:
        arrays = [npz[name] for name in ("p0", "p1")]
    assert all(numpy.array_equal(a, b) for a, b in zip(runner.load_model(2, db=db_url).parameters(), arrays))
    assert "keeps       weights at step 5" in cli("show", "2").stdout

    refused = cli("weights", "2", "-o", str(tmp_path / "numpy.npz"), code=2)
    assert "exists; give another -o PATH, or --force to overwrite it" in refused.stderr
    refused = cli("weights", "2", "-o", str(tmp_path), code=2)
    assert "is a directory; give a file path, e.g. -o" in refused.stderr
    cli("run", "-m", "numpy", "--steps", "2", "--no-weights", *DATA)
    refused = cli("weights", "3", code=2)
    assert "run 3 kept no weights" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


def test_artifacts_in_a_directory_go_with_their_run(cli, tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir()
    cli("run", "-m", "numpy", "--steps", "5", "--artifacts", str(folder), *DATA)
    files = list(folder.rglob("*.npz"))
    assert len(files) == 1 and str(files[0]) in cli("show", "1").stdout
    cli("rm", "1")
    assert list(folder.rglob("*.npz")) == []


@pytest.mark.parametrize("args, message", [
    (["--checkpoint-every", "0"], "Invalid value for '--checkpoint-every'"),
    (["--checkpoint-every", "soon"], "Invalid value for '--checkpoint-every'"),
    (["--keep-checkpoints", "0"], "Invalid value for '--keep-checkpoints'"),
    (["--artifacts", "/no/such/folder"], "Invalid value for '--artifacts'"),
])
def test_bad_checkpoint_options_are_usage_errors(cli, store, args, message):
    result = cli("run", "-m", "numpy", "--steps", "2", *args, *DATA, code=2)
    assert message in result.stderr and store.list_runs() == []


def test_a_damaged_checkpoint_is_refused_until_restart(cli, db_url, store, tmp_path, monkeypatch):
    from sqlalchemy import update

    from runner.store.models import artifacts

    monkeypatch.setenv("RUNNER_PLUGINS", PLUGINS)  # cli resumes the gated model in this process
    gate = tmp_path / "gate"
    process = started_at_the_gate(db_url, gate, "-m", "gated_sleepy", "--set", "delay=0.001", *SLEEPY)
    process.send_signal(signal.SIGINT)
    open_gate(gate)
    process.communicate(timeout=60)
    assert process.returncode == 130 and 0 < store.get_run(1).steps_done <= AT + 1
    with store._transaction() as conn:  # as a disk or a hand might
        conn.execute(update(artifacts).values(data=b"RUNNER-CHECKPOINT but not really"))
    before = store.get_run(1)
    result = cli("resume", "1", code=2)
    assert "run 1: the checkpoint of run 1" in result.stderr and "runner resume 1 --restart" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert store.get_run(1) == before  # nothing changed
    result = cli("resume", "1", "--restart")
    assert "run 1: starting over from step 0" in result.stderr
    assert (store.get_run(1).status, len(stored(db_url))) == ("completed", STEPS)
