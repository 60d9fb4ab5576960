"""runner watch: bad input in one line with nothing stored changed; the address printed; Ctrl-C stops it."""

from __future__ import annotations

import hashlib
import signal
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.report.conftest import add_run, decay
from tests.watch.conftest import start_watch, stop


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sweep(store, db_path):
    """A finished sweep "s" of two runs, one with a metric; and the database file's digest."""
    add_run(store, decay(20), sweep="s", metrics={"val_loss": decay(20, seed=1)})
    add_run(store, decay(20), sweep="s", lr=1e-2)
    return digest(db_path)


def one_line_error(result, *fragments: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_a_port_in_use_exits_2_naming_the_port(cli, sweep, db_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("watch", "s", "--port", str(port), code=2)
    one_line_error(result, f"port {port} on 127.0.0.1 is in use", "--port")
    assert digest(db_path) == sweep


@pytest.mark.parametrize("args, code, fragments", [
    (["nope"], 1, ["no sweep 'nope' in", "runner ls"]),
    (["99"], 1, ["no run 99 in"]),
    (["s", "--metric", "val_los"], 2, ["val_los", "val_loss"]),  # what no run recorded, and what they did
    (["s", "--best", "accuracy"], 2, ["accuracy"]),
    (["s", "x"], 2, ["give one sweep name, or one or more run ids"]),
    (["s", "--interval", "0"], 2, ["--interval"]),
])
def test_bad_input_is_one_line_and_changes_nothing(cli, sweep, db_path, args, code, fragments):
    result = cli("watch", *args, code=code)
    one_line_error(result, *fragments)
    assert digest(db_path) == sweep


def test_a_database_with_no_sweep(cli, store, db_path):
    add_run(store, decay(5))  # a run, in no sweep
    one_line_error(cli("watch", code=1), "no sweep in", "to watch")


def test_the_newest_sweep_is_watched_on_the_port_given_until_ctrl_c(store, db_url):
    add_run(store, decay(5), sweep="old")
    add_run(store, decay(5), sweep="new")
    with socket.socket() as probe:  # a free port, given back for the watch to take
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process, url = start_watch(db_url, "--port", str(port))
    try:
        assert url == f"http://127.0.0.1:{port}/"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
        assert process.returncode == 0, err
        assert "Watching sweep new (1 run) from sqlite:///" in err and "Stopped watching." in err
        assert "Traceback" not in err
    finally:
        stop(process)


def test_help_does_not_import_plotly():
    code = (
        "import sys\n"
        "from runner.cli import main\n"
        "try:\n"
        "    main(['watch', '--help'], prog_name='runner')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('plotly', 'numpy', 'torch')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "--port" in result.stdout and "127.0.0.1" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
