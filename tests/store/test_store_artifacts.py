"""Checkpoints and weights kept with a run: in the database or under a directory, checked on every read."""

from __future__ import annotations

import os

import pytest

from runner.errors import CheckpointError, RunNotFound
from runner.store import open_store


def test_round_trip_in_the_database(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    assert store.latest_artifact(run_id, "checkpoint") is None
    data = bytes(range(256)) * 40
    info = store.save_artifact(run_id, "checkpoint", 7, data, "npz")
    assert (info.run_id, info.kind, info.step, info.size, info.path) == (run_id, "checkpoint", 7, len(data), None)
    got = store.latest_artifact(run_id, "checkpoint")
    assert got is not None and got.data == data and got.info == info
    assert store.latest_artifact(run_id, "weights") is None


def test_only_the_newest_checkpoints_are_kept(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    for step in (10, 20, 30):
        store.save_artifact(run_id, "checkpoint", step, b"step %d" % step, "pt")
    store.save_artifact(run_id, "weights", 30, b"weights", "pt")
    kept = store.artifacts([run_id])[run_id]
    assert [(a.kind, a.step) for a in kept] == [("checkpoint", 30), ("weights", 30)]
    store.save_artifact(run_id, "checkpoint", 40, b"step 40", "pt", keep=2)
    assert [a.step for a in store.artifacts([run_id])[run_id] if a.kind == "checkpoint"] == [30, 40]
    latest = store.latest_artifact(run_id, "checkpoint")
    assert latest is not None and latest.data == b"step 40"


def test_files_under_a_directory(store, make_config, tmp_path):
    run_id = store.create_run(make_config(), device="cpu")
    folder = tmp_path / "kept"
    folder.mkdir()
    first = store.save_artifact(run_id, "checkpoint", 1, b"one", "npz", directory=str(folder))
    second = store.save_artifact(run_id, "checkpoint", 1, b"two", "npz", directory=str(folder))  # same step
    assert first.file is not None and second.file is not None
    assert second.path == f"run-{run_id}/{os.path.basename(second.file)}"  # relative to the run's root
    assert store.get_run(run_id).options == {"artifacts": str(folder)}
    assert not os.path.exists(first.file)  # pruned with its row
    assert open(second.file, "rb").read() == b"two"
    got = store.latest_artifact(run_id, "checkpoint")
    assert got is not None and got.data == b"two"
    store.delete_runs([run_id])
    assert not os.path.exists(second.file)
    assert list(folder.iterdir()) == []  # the run's folder went too


def test_a_changed_file_is_refused(store, make_config, tmp_path):
    run_id = store.create_run(make_config(), device="cpu")
    info = store.save_artifact(run_id, "checkpoint", 3, b"original bytes", "pt", directory=str(tmp_path))
    with open(info.file, "r+b") as f:
        f.write(b"X")  # same size, other bytes
    with pytest.raises(CheckpointError, match=r"checkpoint of run \d+ \(step 3\) is damaged.*--restart"):
        store.latest_artifact(run_id, "checkpoint")
    with open(info.file, "wb") as f:
        f.write(b"orig")  # truncated
    with pytest.raises(CheckpointError, match="4 bytes, expected 14"):
        store.latest_artifact(run_id, "checkpoint")
    os.remove(info.file)
    with pytest.raises(CheckpointError, match="cannot be read.*restore the --artifacts directory"):
        store.latest_artifact(run_id, "checkpoint")


def test_changed_bytes_in_the_database_are_refused(store, make_config):
    from sqlalchemy import update

    from runner.store.models import artifacts

    run_id = store.create_run(make_config(), device="cpu")
    store.save_artifact(run_id, "weights", 5, b"good weights", "pt")
    with store._transaction() as conn:
        conn.execute(update(artifacts).values(data=b"evil weights"))
    with pytest.raises(CheckpointError, match="weights of run .* is damaged"):
        store.latest_artifact(run_id, "weights")


def test_a_missing_directory_is_refused_and_nothing_is_kept(store, make_config, tmp_path):
    run_id = store.create_run(make_config(), device="cpu")
    with pytest.raises(CheckpointError, match="directory .*nowhere does not exist"):
        store.save_artifact(run_id, "checkpoint", 1, b"x", "pt", directory=str(tmp_path / "nowhere"))
    assert store.artifacts([run_id]) == {run_id: []}


def test_a_missing_run_keeps_no_file(store, make_config, tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir()
    with pytest.raises(RunNotFound):
        store.save_artifact(999, "checkpoint", 1, b"x", "pt", directory=str(folder))
    assert list(folder.rglob("*")) == []
    with pytest.raises(RunNotFound):
        store.latest_artifact(999, "checkpoint")


def test_artifacts_travel_between_stores(store, make_config, db_url):
    """What one process saves another reads through the same database (another host, through PostgreSQL)."""
    run_id = store.create_run(make_config(), device="cpu")
    store.save_artifact(run_id, "checkpoint", 9, b"\x00\xff" * 1000, "pt")
    with open_store(db_url) as other:
        got = other.latest_artifact(run_id, "checkpoint")
    assert got is not None and got.data == b"\x00\xff" * 1000


def test_unknown_kind_is_a_programming_error(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    with pytest.raises(ValueError, match="unknown artifact kind 'model'"):
        store.save_artifact(run_id, "model", 1, b"x", "pt")


def add_steps(store, run_id, count):
    store.append_steps(run_id, [(s, 10.0 - s, 0.1 * s) for s in range(count)], metrics=[("acc", s, s / 10) for s in range(count)])


def test_requeue_keeps_the_rows_up_to_the_latest_checkpoint(store, make_config):
    from runner.status import RunStatus

    run_id = store.create_run(make_config(steps=10), device="cpu")
    add_steps(store, run_id, 7)
    store.save_artifact(run_id, "checkpoint", 5, b"ckpt", "pt")
    store.finish_run(run_id, RunStatus.INTERRUPTED, 4.0, 4.0)
    assert store.requeue([run_id]) == {run_id: 5}
    run = store.get_run(run_id)
    assert (run.status, run.steps_done, run.final_loss, run.best_loss, run.ended_at) == (RunStatus.QUEUED, 5, 6.0, 6.0, None)
    assert [s for _, s, _, _ in store.iter_steps([run_id])] == [0, 1, 2, 3, 4]
    assert [s for _, _, s, _ in store.iter_metrics([run_id])] == [0, 1, 2, 3, 4]
    taken = store.claim_run(run_id, "cpu")
    assert taken is not None and taken.status == RunStatus.RUNNING and taken.started_at == run.started_at
    assert store.claim_run(run_id, "cpu") is None  # claimed once only


def test_requeue_without_a_checkpoint_or_with_restart_starts_over(store, make_config):
    from runner.status import RunStatus

    run_id = store.create_run(make_config(steps=10), device="cpu")
    add_steps(store, run_id, 4)
    store.save_artifact(run_id, "checkpoint", 3, b"ckpt", "pt")
    store.finish_run(run_id, RunStatus.INTERRUPTED, 7.0, 7.0)
    assert store.requeue([run_id], restart=True) == {run_id: 0}
    assert list(store.iter_steps([run_id])) == [] and store.artifacts([run_id])[run_id] == []
    assert store.get_run(run_id).started_at is None
    store.claim_run(run_id, "cpu")
    store.finish_run(run_id, RunStatus.INTERRUPTED, None, None)
    assert store.requeue([run_id]) == {run_id: 0}  # no checkpoint now


def test_requeue_refuses_runs_that_did_not_stop_early_and_changes_nothing(store, make_config):
    from runner.errors import RunStateError
    from runner.status import RunStatus

    stopped = store.create_run(make_config(), device="cpu")
    store.finish_run(stopped, RunStatus.INTERRUPTED, None, None)
    done = store.create_run(make_config(), device="cpu")
    add_steps(store, done, 3)
    store.finish_run(done, RunStatus.COMPLETED, 8.0, 8.0)
    running = store.create_run(make_config(), device="cpu")
    with pytest.raises(RunStateError, match=f"run {done} is completed; only interrupted and lost runs resume"):
        store.requeue([stopped, done])
    assert store.get_run(stopped).status == RunStatus.INTERRUPTED  # all or none
    assert len(list(store.iter_steps([done]))) == 3
    with pytest.raises(RunStateError, match=f"run {running} is running; stop it first"):
        store.requeue([running])


def test_requeue_sweep_takes_its_interrupted_and_lost_runs_only(store, make_config):
    from runner.status import RunStatus

    ids = [store.create_run(make_config(), device="cpu", sweep="s") for _ in range(4)]
    other = store.create_run(make_config(), device="cpu", sweep="t")
    for run_id, status in zip([*ids, other], ["interrupted", "completed", "lost", "failed", "interrupted"]):
        store.finish_run(run_id, RunStatus(status), None, None)
    assert store.requeue_sweep("s") == {ids[0]: 0, ids[2]: 0}
    assert store.requeue_sweep("s") == {}  # a second resume finds nothing left to take
    assert [store.get_run(i).status for i in ids] == ["queued", "completed", "queued", "failed"]
    assert store.get_run(other).status == "interrupted"


def _set_path(store, path):
    from sqlalchemy import update

    from runner.store.models import artifacts

    with store._transaction() as conn:
        conn.execute(update(artifacts).values(path=path))


def _victim(tmp_path, data):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "secret.txt").write_bytes(data)
    return victim / "secret.txt"


@pytest.mark.parametrize("named", ["absolute", "dot-dot", "run folder"])
def test_a_row_naming_another_file_deletes_nothing(store, make_config, tmp_path, capsys, named):
    """A row changed by anyone who can write to the database: its file, even with the same bytes, stays."""
    run_id = store.create_run(make_config(), device="cpu")
    (tmp_path / "kept").mkdir()
    info = store.save_artifact(run_id, "checkpoint", 1, b"secret", "pt", directory=str(tmp_path / "kept"))
    secret = _victim(tmp_path, b"secret")
    if named == "run folder":  # a name runner would give, in another run's folder
        secret = tmp_path / "kept" / "run-999" / os.path.basename(info.file)
        secret.parent.mkdir()
        secret.write_bytes(b"secret")
    path = {"absolute": str(secret), "dot-dot": f"run-{run_id}/../../victim/secret.txt",
            "run folder": f"run-999/{secret.name}"}[named]
    _set_path(store, path)
    store.delete_runs([run_id])
    assert secret.read_bytes() == b"secret" and secret.parent.is_dir()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: left ") and "not a file runner saved" in lines[0]


def test_a_symlink_is_neither_followed_nor_removed(store, make_config, tmp_path, capsys):
    run_id = store.create_run(make_config(), device="cpu")
    (tmp_path / "kept").mkdir()
    info = store.save_artifact(run_id, "checkpoint", 1, b"secret", "pt", directory=str(tmp_path / "kept"))
    secret = _victim(tmp_path, b"secret")  # the very bytes the row records
    os.remove(info.file)
    os.symlink(secret, info.file)
    with pytest.raises(CheckpointError, match="cannot be read .*symbolic link"):
        store.latest_artifact(run_id, "checkpoint")
    folder = os.path.dirname(info.file)
    os.remove(info.file)
    os.rename(folder, tmp_path / "elsewhere")
    os.symlink(secret.parent, folder)  # the run's folder a link to the victim's
    os.rename(secret, secret.parent / os.path.basename(info.file))
    with pytest.raises(CheckpointError, match="symbolic link"):
        store.latest_artifact(run_id, "checkpoint")
    store.delete_runs([run_id])
    assert (secret.parent / os.path.basename(info.file)).read_bytes() == b"secret"
    assert os.path.islink(folder)
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_a_file_with_other_bytes_is_not_deleted(store, make_config, tmp_path, capsys):
    run_id = store.create_run(make_config(), device="cpu")
    info = store.save_artifact(run_id, "weights", 1, b"weights", "pt", directory=str(tmp_path))
    with open(info.file, "wb") as f:
        f.write(b"someone else's")
    store.delete_runs([run_id])
    assert open(info.file, "rb").read() == b"someone else's"
    assert "does not hold the bytes its row records" in capsys.readouterr().err


def _fifo(path):
    os.mkfifo(path)


def _zero(path):
    import stat

    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))  # /dev/zero's numbers, our own node


@pytest.mark.parametrize("make", [_fifo, _zero], ids=["fifo", "zero device"])
@pytest.mark.parametrize("through_link", [False, True], ids=["in place", "through a link"])
def test_only_a_regular_file_is_read(store, make_config, tmp_path, make, through_link):
    """A FIFO would hang the read and /dev/zero fill the memory: neither is opened as a file."""
    run_id = store.create_run(make_config(), device="cpu")
    info = store.save_artifact(run_id, "checkpoint", 1, b"state", "pt", directory=str(tmp_path))
    os.remove(info.file)
    special = tmp_path / "special"
    make(str(special) if through_link else info.file)
    if through_link:
        os.symlink(special, info.file)
    why = "a symbolic link" if through_link else "not a regular file"
    with pytest.raises(CheckpointError, match=f"cannot be read \\(it is {why}"):
        store.latest_artifact(run_id, "checkpoint")
    store.delete_runs([run_id])
    assert os.path.lexists(info.file)


def test_a_longer_file_is_read_no_further_than_its_size(store, make_config, tmp_path):
    run_id = store.create_run(make_config(), device="cpu")
    info = store.save_artifact(run_id, "checkpoint", 1, b"state", "pt", directory=str(tmp_path))
    with open(info.file, "r+b") as f:
        f.truncate(64 * 2**30)  # sparse: reading it whole would take 64 GiB
    with pytest.raises(CheckpointError, match="6 or more bytes, expected 5"):
        store.latest_artifact(run_id, "checkpoint")


def test_a_run_keeps_its_files_under_one_root(store, make_config, tmp_path):
    """Rows are relative to the run's root: a file under another directory is refused while the run keeps
    files under the first; once it keeps none, the new directory becomes its root."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    run_id = store.create_run(make_config(), device="cpu")
    store.save_artifact(run_id, "checkpoint", 1, b"one", "pt", directory=str(first))
    with pytest.raises(CheckpointError, match=f"keeps its artifacts under {first}, not {second}; give --artifacts"):
        store.save_artifact(run_id, "checkpoint", 2, b"two", "pt", directory=str(second))
    assert list(second.rglob("*")) == []
    store.drop_artifacts(run_id, "checkpoint")
    info = store.save_artifact(run_id, "weights", 2, b"weights", "pt", directory=str(second))
    assert info.root == str(second) and store.get_run(run_id).options == {"artifacts": str(second)}
    assert store.latest_artifact(run_id, "weights").data == b"weights"


def test_requeue_keeps_what_a_run_kept_until_it_starts_over_then_removes_the_files_too(store, make_config, tmp_path):
    from runner.status import RunStatus

    folder = tmp_path / "kept"
    folder.mkdir()
    run_id = store.create_run(make_config(steps=10), device="cpu")
    add_steps(store, run_id, 4)
    store.save_artifact(run_id, "checkpoint", 3, b"ckpt", "pt", directory=str(folder))
    store.save_artifact(run_id, "weights", 4, b"weights", "pt", directory=str(folder))
    store.finish_run(run_id, RunStatus.INTERRUPTED, 7.0, 7.0)
    files = sorted(folder.rglob("*.pt"))
    assert len(files) == 2
    assert store.requeue([run_id]) == {run_id: 3}  # to continue: the weights stay until the checkpoint is restored
    assert [a.kind for a in store.artifacts([run_id])[run_id]] == ["checkpoint", "weights"]
    assert sorted(folder.rglob("*.pt")) == files
    store.claim_run(run_id, "cpu")
    store.finish_run(run_id, RunStatus.INTERRUPTED, 7.0, 7.0)
    assert store.requeue([run_id], restart=True) == {run_id: 0}
    assert store.artifacts([run_id])[run_id] == []
    assert list(folder.iterdir()) == []  # the files and the run's folder, not only the rows


def test_a_run_and_a_sweep_keep_how_they_were_started(store, make_config):
    from runner.training.options import ExecOptions

    options = ExecOptions(checkpoint_every="5 steps", keep_checkpoints=3, weights=False, step_timeout=9.5).recorded()
    run_id = store.create_run(make_config(), device="cpu", options=options)
    queued = store.enqueue([make_config(seed=1), make_config(seed=2)], "grid", options=options)
    assert [store.get_run(i).options for i in (run_id, *queued)] == [options] * 3
    assert store.sweep_options("grid") == {}  # none recorded yet
    store.record_sweep_options("grid", {"jobs": 3})
    store.record_sweep_options("grid", {"jobs": 4, "executor": "local"})  # the newest start's
    assert store.sweep_options("grid") == {"jobs": 4, "executor": "local"}
