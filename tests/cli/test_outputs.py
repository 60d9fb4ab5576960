"""Outputs (issue 17, items 3, 13 and 16): commands write only regular files, whole or not at all, or standard
output with '-'; every output is checked before any is written; a full or closed standard output is one line.

The device nodes are the test's own (made with mknod as root), never the system's."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import numpy
import pytest

from tests.conftest import runner_command, subprocess_env
from tests.support.mounts import tmpfs

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3", "--set", "hidden=5"]
NULL, FULL = os.makedev(1, 3), os.makedev(1, 7)  # the numbers of /dev/null and /dev/full

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database with two numpy runs and their weights, made once by a real process."""
    path = tmp_path_factory.mktemp("template") / "experiments.db"
    subprocess.run(runner_command("run", "--model", "numpy", "--steps", "3", *DATA, "--seed", "0-1", "-q"),
                   env=subprocess_env(f"sqlite:///{path}"), check=True, capture_output=True, timeout=300)
    return path


@pytest.fixture
def runs(cli, template, db_path):
    """The template's two runs, in this test's database."""
    for source in template.parent.glob(template.name + "*"):  # with any -wal file
        shutil.copy(source, db_path.parent / source.name)


@pytest.fixture
def out(tmp_path):
    """An empty folder for the outputs; the database lives beside it, not in it."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def small_disk(tmp_path):
    yield from tmpfs(tmp_path / "disk", "size=1m")


@pytest.fixture
def read_only(tmp_path):
    yield from tmpfs(tmp_path / "read-only", "ro,size=1m")


def device(path, numbers):
    os.mknod(path, stat.S_IFCHR | 0o666, numbers)
    return path


def special(kind, folder):
    """A path in ``folder`` that is not a regular file, of ``kind``."""
    path = folder / kind
    if kind in ("null", "full"):
        device(path, NULL if kind == "null" else FULL)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "link-to-device":
        device(folder / "null", NULL)
        path.symlink_to(folder / "null")
    return path


def unchanged(folder, before):
    """Nothing in ``folder`` changed kind or appeared (no temporary file, no page), and the nodes are devices."""
    assert listing(folder) == before


def listing(folder):
    return {p.name: (stat.S_IFMT(p.lstat().st_mode), p.lstat().st_rdev) for p in folder.iterdir()}


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


COMMANDS = {
    "report -o": lambda path, page: ["report", "-o", path],
    "report --verdicts": lambda path, page: ["report", "-o", page, "--verdicts", path],
    "weights -o --force": lambda path, page: ["weights", "1", "-o", path, "--force"],
    "export -o": lambda path, page: ["export", "-o", path],
}
WHAT = {"null": "is a character device", "full": "is a character device", "folder": "is a directory",
        "link-to-device": "is a symbolic link to character device"}


@needs_root
@pytest.mark.parametrize("kind", ["null", "full", "folder", "link-to-device"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_writes_over_what_is_not_a_regular_file(cli, runs, out, command, kind):
    target = special(kind, out)
    before = listing(out)
    page = out.parent / "r.html"
    line = one_line(cli(*COMMANDS[command](str(target), str(page)), code=2))
    assert f"{target} {WHAT[kind]}" in line
    assert "runner writes only regular files" in line or "give a file path, e.g." in line
    unchanged(out, before)
    assert not page.exists()  # the page is not written when the verdicts' path is refused
    assert kind != "folder" or not any(target.iterdir())


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_fifo_is_refused_without_opening_it(cli, runs, out, db_url, command):
    """Opening a FIFO to write would wait for a reader for ever: a real process, which must end."""
    fifo = special("fifo", out)
    result = subprocess.run(runner_command(*COMMANDS[command](str(fifo), str(out.parent / "r.html"))),
                            env=subprocess_env(db_url), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and f"{fifo} is a FIFO; runner writes only regular files" in one_line(result)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and sorted(p.name for p in out.iterdir()) == ["fifo"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_empty_output_path_is_a_usage_error(cli, runs, out, command, monkeypatch):
    monkeypatch.chdir(out)
    line = one_line(cli(*COMMANDS[command]("", str(out / "r.html")), code=2))
    assert "'' is empty; give a file path, or '-' for standard output" in line
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_folder_is_refused_before_anything_is_written(cli, runs, out, command):
    target = out / "missing" / "x"
    line = one_line(cli(*COMMANDS[command](str(target), str(out / "r.html")), code=2))
    assert line.startswith(f"Error: cannot write {target}: the folder {out / 'missing'} does not exist")
    assert list(out.iterdir()) == []


def test_a_path_ending_with_a_slash_is_refused(cli, runs, out):
    assert "ends with '/'; give a file path" in one_line(cli("export", "-o", f"{out}/new/", code=2))
    assert list(out.iterdir()) == []


def test_a_full_disk_leaves_the_old_file_and_no_temporary_file(cli, runs, small_disk):
    """The page (megabytes, plotly.js inside) does not fit a 1 MB disk: one line, exit 1, the old page kept."""
    old = small_disk / "r.html"
    old.write_text("the old page")
    line = one_line(cli("report", "-o", str(old), code=1))
    assert line == f"Error: cannot write {old}: No space left on device"
    assert old.read_text() == "the old page" and sorted(p.name for p in small_disk.iterdir()) == ["r.html"]


def test_a_read_only_folder_is_refused_before_anything_is_written(cli, runs, read_only, out):
    page = out / "r.html"
    line = one_line(cli("report", "-o", str(page), "--verdicts", str(read_only / "v.json"), code=2))
    assert line == f"Error: cannot write {read_only / 'v.json'}: the folder {read_only} takes no new files " \
                   "(read-only, or not yours)"
    assert not page.exists()


def test_a_link_to_a_regular_file_is_followed_and_stays_a_link(cli, runs, out):
    real = out / "real.csv"
    real.write_text("old\n")
    (out / "link.csv").symlink_to(real)
    cli("export", "-o", str(out / "link.csv"))
    assert (out / "link.csv").is_symlink() and real.read_text().startswith("run_id,step,loss,elapsed")
    assert sorted(p.name for p in out.iterdir()) == ["link.csv", "real.csv"]  # no temporary file left


def test_a_link_to_nothing_is_refused(cli, runs, out):
    (out / "dangling.csv").symlink_to(out / "nowhere.csv")
    line = one_line(cli("export", "-o", str(out / "dangling.csv"), code=2))
    assert "is a symbolic link to a missing file" in line and not (out / "nowhere.csv").exists()


def test_an_existing_file_is_replaced_whole_with_the_permissions_of_a_new_file(cli, runs, out):
    target = out / "steps.csv"
    target.write_text("x" * 100_000)
    cli("export", "1", "-o", str(target))
    assert target.read_text().splitlines()[0] == "run_id,step,loss,elapsed" and len(target.read_text()) < 100_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_page_and_the_verdicts_may_not_share_a_path(cli, runs, out):
    assert "are the same file" in one_line(cli("report", "-o", str(out / "r"), "--verdicts", str(out / "r"), code=2))
    assert "are standard output" in one_line(cli("report", "-o", "-", "--verdicts", "-", code=2))
    assert list(out.iterdir()) == []


def test_dash_is_standard_output(cli, runs, out):
    page = cli("report", "-o", "-", "--verdicts", str(out / "v.json"))
    assert page.stdout.startswith("<!DOCTYPE html>") and page.stderr.startswith("Wrote the page to standard output: 2 runs")
    assert json.loads((out / "v.json").read_text())["metric"] == "loss"
    exported = cli("export", "1", "-o", "-", "--format", "json")
    assert [row["step"] for row in json.loads(exported.stdout)] == [0, 1, 2] and "Wrote" not in exported.stderr


def test_weights_to_a_pipe_and_not_to_a_terminal(runs, db_url, tmp_path):
    result = subprocess.run(runner_command("weights", "1", "-o", "-"), env=subprocess_env(db_url), capture_output=True,
                            timeout=120)
    assert result.returncode == 0 and b"written to standard output" in result.stderr
    (tmp_path / "w.npz").write_bytes(result.stdout)
    import runner

    with numpy.load(tmp_path / "w.npz", allow_pickle=False) as npz:
        arrays = [npz[name] for name in sorted(npz.files)]
    assert arrays and all(numpy.array_equal(a, b) for a, b in zip(runner.load_model(1, db=db_url).parameters(), arrays))
    terminal, other = os.openpty()
    try:
        refused = subprocess.run(runner_command("weights", "1", "-o", "-"), env=subprocess_env(db_url), stdout=other,
                                 stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(other)
        os.close(terminal)
    assert refused.returncode == 2 and "standard output is a terminal" in one_line(refused)


# Item 13: a standard output that cannot be written.

@needs_root
@pytest.mark.parametrize("command", [["ls"], ["show", "1"], ["export"], ["export", "--format", "json"]])
def test_a_full_standard_output_is_one_line(runs, db_url, tmp_path, command):
    full = device(tmp_path / "full", FULL)
    with open(full, "w") as stdout:
        result = subprocess.run(runner_command(*command), env=subprocess_env(db_url), stdout=stdout,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1
    assert one_line(result) == "Error: cannot write standard output: No space left on device"
    assert stat.S_ISCHR(full.lstat().st_mode)


@needs_root
@pytest.mark.full  # a report in a real process: plotly's import takes seconds
def test_verdicts_to_a_full_standard_output_leave_no_page(runs, db_url, tmp_path):
    full = device(tmp_path / "full", FULL)
    page = tmp_path / "r.html"
    with open(full, "w") as stdout:
        result = subprocess.run(runner_command("report", "-o", str(page), "--verdicts", "-"),
                                env=subprocess_env(db_url), stdout=stdout, stderr=subprocess.PIPE, text=True,
                                timeout=300)
    assert result.returncode == 1 and one_line(result).endswith("No space left on device")
    assert not page.exists() and not list(tmp_path.glob(".r.html.*"))  # the page waits for standard output


@pytest.mark.parametrize("command", [["ls"], ["export"], ["weights", "1", "-o", "-"]])
def test_a_closed_pipe_ends_the_command_quietly(runs, db_url, command):
    reader, writer = os.pipe()
    os.close(reader)  # as `| head -1` does once it has its line
    try:
        result = subprocess.run(runner_command(*command), env=subprocess_env(db_url), stdout=writer,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(writer)
    assert result.returncode == 1 and result.stderr == ""


# Item 13: a grid limit that would let a grid exhaust memory.

def test_the_grid_limit_has_a_ceiling(db_path, db_url):
    env = {**subprocess_env(db_url), "RUNNER_MAX_GRID": "99999999999"}
    command = runner_command("run", "-m", "numpy", "--seed", "0-4294967295", "--lr", "1e-3,1e-4", "--dry-run")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "$RUNNER_MAX_GRID=99999999999 is above the most runs a grid may have, 1,000,000" in one_line(result)
    assert not db_path.exists()


def test_the_ceiling_itself_is_allowed(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_MAX_GRID", "1000000")
    result = cli("run", "-m", "numpy", "--seed", "0-2", "--lr", "1e-3,1e-4", "--steps", "2", *DATA, "--dry-run")
    assert "6 runs (dry run: nothing stored)" in result.stderr


def test_python_sees_the_same_refusal(tmp_path):
    """The library's write_html refuses a device as the command line does (an OSError, as it documents)."""
    from runner.report.html import write_atomically

    (tmp_path / "f").mkdir()
    with pytest.raises(OSError, match="is a directory"):
        write_atomically(tmp_path / "f", "page")
