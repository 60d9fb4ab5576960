"""runner resume RUN...: interrupted and lost runs continue in the same run; anything else is refused untouched."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.cli.test_processes import DATA, wait_for_steps
from tests.conftest import runner_command, subprocess_env
from tests.support.gates import gate_env

GATED = "tests.support.fake_plugins,tests.support.gates"


@pytest.fixture
def gates(plugin_env, monkeypatch):
    """tests.support.gates' models, known to `runner` in this process too (the cli fixture resumes them)."""
    monkeypatch.setenv("RUNNER_PLUGINS", GATED)


def gated_env(db_url, folder, at: int) -> dict[str, str]:
    """A process whose run (tests.support.gates' model) waits at its step ``at`` (counted from where it starts)
    until ``folder/open`` exists, after at least 1.5 s of slow steps: it stores rows before, and ends no sooner."""
    folder.mkdir()
    return {**subprocess_env(db_url), "RUNNER_PLUGINS": GATED, **gate_env(folder, at, slow=max(0, at - 150))}


def interrupted_run(db_path, db_url, folder, model="sleepy", steps="400", *more, at: int | None = None):
    """Run 1 of gated ``model``, stopped with Ctrl-C once it stored steps, by step ``at`` + 1 at the latest
    (default: its second-to-last step, so that it cannot complete)."""
    at = int(steps) - 2 if at is None else at
    process = subprocess.Popen(runner_command("run", "--model", f"gated_{model}", "--steps", steps, *DATA, *more),
                               env=gated_env(db_url, folder, at), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    wait_for_steps(db_path, process)
    process.send_signal(signal.SIGINT)
    (folder / "open").touch()  # after the signal: the run stops at the next step
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err


def test_an_interrupted_run_resumes_in_the_same_run(db_path, db_url, store, cli, gates, tmp_path):
    interrupted_run(db_path, db_url, tmp_path / "gate", "sleepy", "300", "--set", "delay=0.005")
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


# --- a refused resume changes nothing (issue 17: a changed plugin, a forged checkpoint) ---

CHANGING = ["--set", "batch=8", "--set", "d_in=6", "--set", "d_out=2", "--device", "cpu"]


def changing_env(db_url, **variables):
    env = subprocess_env(db_url)
    env["RUNNER_PLUGINS"] = "tests.support.fake_plugins,tests.support.changing_plugins"
    for name in ("CHANGING_LAYERS", "CHANGING_NAMES", "CHANGING_BACKEND", "CHANGING_BROKEN"):
        env.pop(name, None)
    env.update(variables)
    return env


def runner(env, *args, timeout=120):
    return subprocess.run(runner_command(*args), env=env, capture_output=True, text=True, timeout=timeout)


def interrupted_changing(db_path, db_url, folder, *more):
    """Run 1 of ``changing``, stopped with Ctrl-C once it stored steps: interrupted, with a checkpoint. Its
    second-to-last step waits at a gate (tests.support.gates) until the Ctrl-C, so it cannot complete first."""
    folder.mkdir()
    env = {**changing_env(db_url), **gate_env(folder, 298, slow=148)}
    process = subprocess.Popen(runner_command("run", "-m", "changing", "--steps", "300", *CHANGING, *more),
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_steps(db_path, process)
    process.send_signal(signal.SIGINT)
    (folder / "open").touch()  # after the signal: the run stops at the next step
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err


def snapshot(db_url, folder=None):
    """Everything a resume could change: the run's row, its steps, metrics, events and artifacts, and the files."""
    from runner.store import open_store

    with open_store(db_url) as store:
        state = (store.get_run(1), list(store.iter_steps([1])), list(store.iter_metrics([1])), store.events(1),
                 store.artifacts([1]), store.latest_artifact(1, "checkpoint"), store.latest_artifact(1, "weights"))
    files = {} if folder is None else {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return state, files


def refused(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "nothing was changed" in lines[0] and "runner resume 1 --restart" in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.full
@pytest.mark.parametrize("change, says", [
    ({"CHANGING_LAYERS": "3"}, "holds parameters [layer0.weight, layer0.bias, layer1.weight, layer1.bias]"),
    ({"CHANGING_NAMES": "block"}, "has [block0.weight, block0.bias, block1.weight, block1.bias]"),
    ({"CHANGING_BACKEND": "numpy"}, "is of a torch model"),
    ({"CHANGING_BROKEN": "1"}, "the plugin is being rewritten"),
])
def test_a_resume_refused_for_a_changed_plugin_changes_nothing(db_path, db_url, tmp_path, change, says):
    folder = tmp_path / "kept"
    folder.mkdir()
    interrupted_changing(db_path, db_url, tmp_path / "gate", "--artifacts", str(folder))
    before = snapshot(db_url, folder)
    record, artifacts = before[0][0], before[0][4][1]
    assert record.status == "interrupted" and [a.kind for a in artifacts] == ["checkpoint", "weights"]
    assert len(before[1]) == 2  # both kept as files

    refused(runner(changing_env(db_url, **change), "resume", "1"), says)
    assert snapshot(db_url, folder) == before  # the run, its rows, weights, checkpoint and files as they were
    refused(runner(changing_env(db_url, **change), "resume", "1"), says)  # and again, still resumable
    assert snapshot(db_url, folder) == before

    if "CHANGING_BROKEN" in change:  # fixed again: it goes on from its checkpoint
        resumed = runner(changing_env(db_url), "resume", "1", "-q")
        assert f"continuing from its checkpoint at step {record.steps_done}" in resumed.stderr, resumed.stderr
    else:  # or started over as it is now: what the old model kept goes, files too
        resumed = runner(changing_env(db_url, **change), "resume", "1", "--restart", "-q")
        assert "run 1: starting over from step 0" in resumed.stderr, resumed.stderr
        assert not any(path in snapshot(db_url, folder)[1] for path in before[1])
    assert resumed.returncode == 0 and "run 1 completed" in resumed.stdout, resumed.stderr


def forge(store, step, row_step=None):
    """Put back run 1's checkpoint as a real one (through the codec, checksum and all) that claims ``step``."""
    import dataclasses
    import hashlib

    from sqlalchemy import update

    from runner.checkpoints.codec import decode, encode
    from runner.store.models import artifacts

    kept = store.latest_artifact(1, "checkpoint")
    data = encode(dataclasses.replace(decode(kept.data), step=step))
    with store._transaction() as conn:  # as anyone who can write to the database might
        conn.execute(update(artifacts).where(artifacts.c.id == kept.info.id).values(
            data=data, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
            step=kept.info.step if row_step is None else row_step))
    return kept


@pytest.mark.parametrize("step, row_step, says", [
    (18_799, None, "its checkpoint claims step 18,799, its record step "),
    pytest.param(18_799, 18_799, "its checkpoint claims step 18,799, but the run has ", marks=pytest.mark.full),
    pytest.param(100_001, 100_001, "its checkpoint claims step 100,001, beyond the run's 100,000 steps",
                 marks=pytest.mark.full),
])
def test_a_checkpoint_whose_step_does_not_fit_the_run_is_refused(db_path, db_url, store, cli, gates, tmp_path, step,
                                                                 row_step, says):
    interrupted_run(db_path, db_url, tmp_path / "gate", "sleepy", "100000", "--set", "delay=0.001")
    original = forge(store, step, row_step)
    assert 0 < original.info.step < 18_799
    before = snapshot(db_url)
    result = cli("resume", "1", code=2)
    assert says in result.stderr and "nothing was changed" in result.stderr, result.stderr
    assert "runner resume 1 --restart" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(db_url) == before
    assert store.get_run(1).status == "interrupted"


# --- a resumed run goes on with the options it was started with (issue 17, item 19) ---

def test_a_run_records_the_options_it_was_started_with_and_show_says_them(cli, store):
    cli("run", "-m", "numpy", "--steps", "3", "--no-weights", "--checkpoint-every", "2 steps", "--keep-checkpoints", "3",
        "--step-timeout", "30", *DATA)
    options = store.get_run(1).options
    assert {k: options[k] for k in ("checkpoint_every", "keep_checkpoints", "weights", "step_timeout", "artifacts")} == \
        {"checkpoint_every": "2 steps", "keep_checkpoints": 3, "weights": False, "step_timeout": 30.0, "artifacts": None}
    shown = cli("show", "1").stdout
    assert "options     --step-timeout 30.0 --db-deadline 300.0 --checkpoint-every '2 steps' --keep-checkpoints 3 " \
           "--no-weights" in shown, shown


@pytest.mark.full
def test_resume_goes_on_with_the_options_the_run_was_started_with_unless_given_again(db_path, db_url, store, cli,
                                                                                      gates, tmp_path):
    from tests.cli.test_checkpoints import wait_until

    folder = tmp_path / "kept"
    folder.mkdir()
    interrupted_run(db_path, db_url, tmp_path / "gate", "sleepy", "2000", "--set", "delay=0.002", "--artifacts",
                    str(folder), "--no-weights", "--keep-checkpoints", "2", at=1000)
    first = store.get_run(1).steps_done
    assert first <= 1001  # the resumed part has a thousand steps at least
    assert [a.kind for a in store.artifacts([1])[1]] == ["checkpoint"]  # --no-weights

    resumed_gate = tmp_path / "resumed"  # the resumed part, too, cannot end before the Ctrl-C
    process = subprocess.Popen(runner_command("resume", "1", "-q"),
                               env=gated_env(db_url, resumed_gate, 2000 - first - 2), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: len(list(store.iter_steps([1]))) > first + 10, process)
    process.send_signal(signal.SIGINT)
    (resumed_gate / "open").touch()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    kept = store.artifacts([1])[1]
    # --keep-checkpoints 2, --no-weights and --artifacts, as the run was started: two checkpoint files, no weights
    assert [a.kind for a in kept] == ["checkpoint", "checkpoint"] and all(a.path for a in kept)
    assert len(list(folder.rglob("checkpoint-*"))) == 2

    result = cli("resume", "1", "--weights", "-q")  # given again: it counts
    assert "run 1 completed" in result.stdout
    # Completed with --keep-checkpoints 2: its newest two checkpoints stay beside the weights, under --artifacts still
    kept = store.artifacts([1])[1]
    assert sorted((a.kind, bool(a.path)) for a in kept) == [("checkpoint", True), ("checkpoint", True), ("weights", True)]
    assert len(list(folder.rglob("weights-*"))) == 1 and len(list(folder.rglob("checkpoint-*"))) == 2


@pytest.mark.full
def test_resume_sweep_works_it_with_the_jobs_it_was_started_with(db_path, db_url, store):
    process = subprocess.Popen(runner_command("run", "-m", "sleepy", "--seed", "0-3", "--sweep", "s", "-j", "2",
                                              "--steps", "300", "--set", "delay=0.01", "-q", *DATA),
                               env=subprocess_env(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_steps(db_path, process)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert store.sweep_options("s")["jobs"] == 2
    assert {r.status for r in store.list_runs(sweep="s")} <= {"interrupted", "queued"}

    resumed = subprocess.run(runner_command("resume", "s", "-q"), env=subprocess_env(db_url), capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    runs = store.list_runs(sweep="s")
    assert [r.status for r in runs] == ["completed"] * 4
    assert len({r.slot for r in runs}) == 2  # two workers, as -j 2 asked; -j 1 would have taken all four in one


@pytest.mark.full  # torch
def test_a_worker_that_cannot_build_or_restore_a_run_leaves_it_interrupted_with_all_it_kept(monkeypatch, store):
    """Where nothing checked first (a Dask worker, a lost run retried), a run whose checkpoint does not fit the model
    as it is now is not failed: nothing was trained, so it stays interrupted with its checkpoint and weights."""
    from runner.checkpoints.codec import encode
    from runner.checkpoints.state import capture
    from runner.config import resolve
    from runner.registry import load_registry
    from runner.request import RunChoice
    from runner.status import RunStatus
    from runner.training import runs
    from runner.training.engine import prepare
    from tests.conftest import ROOT

    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.changing_plugins")
    sets = ["batch=8", "d_in=6", "d_out=2", "delay=0"]
    resolved = resolve(load_registry(), RunChoice("changing", steps=10, seed=0, device="cpu", sets=sets))
    run_id = store.create_run(resolved.config, device="cpu")
    store.append_steps(run_id, [(0, 2.0, 0.1), (1, 1.5, 0.2)])
    store.save_artifact(run_id, "checkpoint", 2, encode(capture(prepare(resolved), 2)), "pt")
    store.save_artifact(run_id, "weights", 2, b"the weights", "pt")
    store.finish_run(run_id, RunStatus.INTERRUPTED, 1.5, 1.5)
    assert store.requeue([run_id]) == {run_id: 2}

    monkeypatch.setenv("CHANGING_LAYERS", "3")  # the plugin changed meanwhile
    changed = resolve(load_registry(), RunChoice("changing", steps=10, seed=0, device="cpu", sets=sets))
    assert store.claim_run(run_id, "cpu") is not None
    outcome = runs.execute(run_id, changed, store, "cpu")
    record = store.get_run(run_id)
    assert (outcome.status, record.status, record.steps_done, record.final_loss) == ("interrupted",) * 2 + (2, 1.5)
    assert "not resumed (CheckpointError: the checkpoint" in record.error and "--restart" in record.error
    assert [a.kind for a in store.artifacts([run_id])[run_id]] == ["checkpoint", "weights"]
