"""Artifacts under --artifacts through the command line (issue 17, items 2, 6 and 10): a row changed in the
database deletes no file outside the run's root; a checkpoint that cannot be written or pruned is a warning
and a run event, and the run goes on; `runner rm` on a read-only disk deletes nothing and says so in a line."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
from sqlalchemy import update

from runner.store.models import artifacts
from tests.conftest import runner_command, subprocess_env
from tests.support.gates import gate_env
from tests.support.mounts import tmpfs

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "hidden=10", "--set", "d_out=3", "--device", "cpu"]
SLEEPY = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]  # tests.support.fake_plugins' sleepy


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


@pytest.fixture
def disk(tmp_path):
    """A mount of its own (a tmpfs), unmounted afterwards; skipped where mounting is not permitted (not in CI)."""
    yield from tmpfs(tmp_path / "disk", "size=1200k")


def fill(folder) -> None:
    filler = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(filler, b"\0" * 4096)
    except OSError:
        pass  # ENOSPC: the disk is full
    finally:
        os.close(filler)


def test_a_row_naming_a_file_elsewhere_removes_nothing_there(cli, store, tmp_path):
    """`update artifacts set path='/…/victim/secret.txt'`, then `runner rm`: the file and its folder stay."""
    folder = tmp_path / "kept"
    folder.mkdir()
    cli("run", "-m", "numpy", "--steps", "5", "--artifacts", str(folder), *DATA)
    (saved,) = folder.rglob("*.npz")
    victim = tmp_path / "victim"
    victim.mkdir()
    shutil.copy(saved, victim / "secret.txt")  # the very bytes the row records
    for path in (str(victim / "secret.txt"), "../victim/secret.txt", f"run-1/../../victim/{saved.name}"):
        with store._transaction() as conn:
            conn.execute(update(artifacts).values(path=path))
        assert "cannot be read" in cli("weights", "1", "-o", str(tmp_path / "out.npz"), code=1).stderr
    result = cli("rm", "1")
    assert (victim / "secret.txt").read_bytes() == saved.read_bytes()
    (line,) = warnings_of(result.stderr)
    assert "left " in line and "not a file runner saved" in line
    assert store.list_runs() == []


def test_a_checkpoint_on_a_full_disk_is_a_warning_and_the_run_goes_on(cli, store, disk):
    fill(disk)
    result = cli("run", "-m", "numpy", "--steps", "200", "--checkpoint-every", "50 steps", "--artifacts",
                 str(disk), "--no-weights", *DATA)
    record = store.get_run(1)
    assert (record.status, record.steps_done) == ("completed", 200)
    lines = warnings_of(result.stderr)
    assert lines and all("checkpoint at step" in line and "training goes on" in line for line in lines)
    assert "No space left on device" in lines[0]
    assert sorted(p.name for p in disk.iterdir()) == ["filler"]  # no .partial, no empty run folder
    events = store.events(1)
    assert len(events) == len(lines) and all(e.kind == "checkpoint failed" for e in events)
    assert "checkpoint failed" in cli("show", "1").stdout


@pytest.fixture
def immutable(tmp_path):
    """Files made immutable (chattr +i) by the test, made mutable again afterwards."""
    made: list[str] = []
    yield made
    for path in made:
        subprocess.run(["chattr", "-i", path], check=False)


def test_an_old_checkpoint_that_cannot_be_deleted_is_a_warning(db_url, store, tmp_path, immutable):
    folder, gate = tmp_path / "kept", tmp_path / "gate"
    folder.mkdir()
    gate.mkdir()  # tests.support.gates' sleepy waits at step 590 until a checkpoint file was made immutable
    env = {**subprocess_env(db_url), "RUNNER_PLUGINS": "tests.support.fake_plugins,tests.support.gates",
           **gate_env(gate, 590)}
    process = subprocess.Popen(
        runner_command("run", "-m", "gated_sleepy", "--steps", "600", "--set", "delay=0.005", "--checkpoint-every",
                       "200 steps", "--artifacts", str(folder), *SLEEPY),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not immutable:  # the first checkpoint file to appear is made immutable
            assert process.poll() is None, process.communicate()
            for path in folder.rglob("checkpoint-*.npz"):
                if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
                    immutable.append(str(path))
                    break
            time.sleep(0.01)
        (gate / "open").touch()
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert store.get_run(1).status == "completed"
    lines = warnings_of(err)
    assert lines and all("left " in line and "Operation not permitted" in line for line in lines), err
    assert os.path.exists(immutable[0]) and "Traceback" not in err


def test_rm_on_a_read_only_disk_deletes_nothing(cli, store, disk):
    cli("run", "-m", "numpy", "--steps", "5", "--artifacts", str(disk), *DATA)
    (saved,) = disk.rglob("*.npz")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    result = cli("rm", "1", code=1)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: cannot remove ") and "read-only file system" in line
    assert "nothing was deleted" in line
    assert [r.id for r in store.list_runs()] == [1] and saved.exists()
    assert store.latest_artifact(1, "weights") is not None
    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    cli("rm", "1")
    assert store.list_runs() == [] and list(disk.iterdir()) == []
