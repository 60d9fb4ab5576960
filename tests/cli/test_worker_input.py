"""Bad input to `runner worker` and to `--executor dask --address`: one line each, the exit status that says it,
nothing started or stored. Real processes: `runner` subprocesses and, in the full tier, a real `dask scheduler` on
127.0.0.1 that is started late, killed, or already has a worker of the name asked for."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading

import pytest

from tests.conftest import runner_command
from tests.support.dask import env, free_port, start_scheduler, start_worker
from tests.support.in_process import runner_here
from tests.support.processes import DATA, stop, wait_until

pytest.importorskip("distributed")

MALFORMED = [
    ("garbage", "no port number"),
    ("", "it is empty"),
    ("tcp://host:99999", "port 99999 is not in 1-65535"),
    ("tcp://host:http", "its port is not a number"),
    ("tcp://:8786", "no host"),
    ("ftp://host:8786", "unknown scheme ftp://"),
    ("tcp://[::1", "no ] after the IPv6 host"),
    ("tcp://[::1]", "no port number"),
]
UNREACHABLE_EXIT = 75


def runner(*args: str, timeout: float = 60, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(runner_command(*args), env=env(**extra), capture_output=True, text=True, timeout=timeout)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr and "__del__" not in result.stderr, result.stderr
    [line] = result.stderr.splitlines()
    return line


@pytest.mark.parametrize("address,why", MALFORMED)
def test_a_malformed_scheduler_address_is_a_usage_error_naming_the_form(address, why, tmp_path):
    result = runner_here("worker", address, "--cpu-slots", "1", cwd=tmp_path)  # in this process; a real one below
    assert result.returncode == 2
    assert one_line(result) == (f"Error: {address!r} is not a Dask scheduler address ({why}); give it as "
                                "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786 (see 'runner worker --help')")


def test_a_worker_process_refuses_a_malformed_address_in_one_line_and_nothing_at_exit():
    address, why = MALFORMED[0]
    result = runner("worker", address, "--cpu-slots", "1")
    assert result.returncode == 2
    assert one_line(result) == (f"Error: {address!r} is not a Dask scheduler address ({why}); give it as "
                                "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786 (see 'runner worker --help')")


@pytest.mark.parametrize("address,why", MALFORMED[:3])
def test_run_with_a_malformed_address_stores_nothing_and_creates_no_file(address, why, tmp_path):
    db = tmp_path / "runs.db"
    result = runner("run", "-m", "numpy", "--seed", "0-1", *DATA, "--executor", "dask", "--address", address or " ",
                    "--db", f"sqlite:///{db}")
    assert result.returncode == 2
    if address:
        assert one_line(result).startswith(f"Error: --address {address!r} is not a Dask scheduler address ({why}); "
                                           "give it as tcp://HOST:PORT")
    else:
        assert one_line(result).startswith("Error: --executor dask needs --address tcp://HOST:PORT")
    assert not db.exists()


def test_resume_with_a_malformed_address_is_refused_before_the_database_is_opened(tmp_path):
    db = tmp_path / "runs.db"
    result = runner("resume", "s", "--executor", "dask", "--address", "tcp://h:0", "--db", f"sqlite:///{db}")
    assert result.returncode == 2 and "(port 0 is not in 1-65535)" in one_line(result)
    assert not db.exists()


def test_a_client_that_cannot_connect_is_closed_at_once_without_a_traceback_at_exit():
    # Left to Client.__del__, a client whose start failed printed a traceback at exit, after a 10 s wait.
    code = ("import time\nfrom runner.execution.dask_executor import new_client\nstarted = time.monotonic()\n"
            "try:\n    new_client('tcp://127.0.0.1', 1)\nexcept ValueError as exc:\n    print('refused:', exc)\n"
            "print(f'{time.monotonic() - started:.1f}')")
    result = subprocess.run([sys.executable, "-c", code], env=env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    refused, took = result.stdout.splitlines()
    assert refused.startswith("refused: ") and float(took) < 5


def test_worker_help_says_what_the_death_timeout_does_and_the_exit_statuses():
    result = runner("worker", "--help")
    text = " ".join(result.stdout.split())
    assert "How long to wait for the scheduler to answer as the workers start. [default: 30]" in text
    assert "The workers stop as soon as their scheduler goes away" in text
    assert "[default: never]" not in text
    assert "75 no scheduler answered within --death-timeout, or it went away" in text
    assert "2 a malformed address, or a worker name the scheduler already has" in text


@pytest.mark.full
def test_a_worker_with_no_scheduler_at_its_address_says_so_in_one_line_and_exits_75():
    address = f"tcp://127.0.0.1:{free_port()}"
    result = runner("worker", address, "--cpu-slots", "1", "--death-timeout", "1")
    assert result.returncode == UNREACHABLE_EXIT
    assert one_line(result) == (f"Error: no Dask scheduler answered at {address} within 1 s; start one with "
                                f"`dask scheduler --port {address.rpartition(':')[2]}` on 127.0.0.1")


@pytest.mark.full
def test_a_worker_pointed_at_another_kind_of_server_says_so_in_one_line(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:  # takes each connection and closes it: not Dask
        def close_each():
            while True:
                try:
                    server.accept()[0].close()
                except OSError:
                    return

        threading.Thread(target=close_each, daemon=True).start()
        port = server.getsockname()[1]
        result = runner("worker", f"tcp://127.0.0.1:{port}", "--cpu-slots", "1", "--death-timeout", "1")
    assert result.returncode == UNREACHABLE_EXIT
    assert one_line(result) == (f"Error: no Dask scheduler answered at tcp://127.0.0.1:{port} (the connection was closed "
                                "at once: another kind of server may listen there); start one with "
                                f"`dask scheduler --port {port}` on 127.0.0.1")


@pytest.mark.full
def test_run_with_no_scheduler_at_its_address_is_one_line_and_creates_no_file(tmp_path):
    db, address = tmp_path / "runs.db", f"tcp://127.0.0.1:{free_port()}"
    result = runner("run", "-m", "numpy", "--seed", "0-1", *DATA, "--executor", "dask", "--address", address,
                    "--db", f"sqlite:///{db}")
    assert result.returncode == 2
    assert one_line(result).startswith(f"Error: no Dask scheduler answered at {address} within 5 s; start one with "
                                       f"`dask scheduler --port {address.rpartition(':')[2]}` on 127.0.0.1, or give")
    assert not db.exists()


@pytest.mark.full
def test_a_worker_waits_for_a_scheduler_that_starts_late_then_joins_it():
    address = f"tcp://127.0.0.1:{free_port()}"
    worker = start_worker(address, "host-a", "--cpu-slots", "1", "--death-timeout", "60", stderr=subprocess.PIPE,
                          text=True)
    scheduler = None
    try:
        assert worker.stderr.readline() == f"waiting up to 60 s for a Dask scheduler at {address}\n"
        _, scheduler = start_scheduler(address)
        started = f"1 Dask worker for {address}: cpu\n"
        assert started in iter(worker.stderr.readline, "")  # after it, its worker's log
        wait_until(lambda: names(address) == {"host-a-0-cpu"}, what="the worker to join")
    finally:
        stop(worker)
        if scheduler:
            stop(scheduler)
    assert worker.returncode == 0  # stopped by SIGTERM


@pytest.mark.full
def test_a_second_worker_of_a_name_the_scheduler_has_is_refused_in_one_line():
    address, scheduler = start_scheduler()
    first = start_worker(address, "host-a", "--cpu-slots", "1", "--name", "gpu-box")
    try:
        wait_until(lambda: names(address) == {"gpu-box-0"}, what="the first worker")
        again = runner("worker", address, "--cpu-slots", "1", "--name", "gpu-box", RUNNER_HOST="host-b")
        assert again.returncode == 2
        assert one_line(again) == (f"Error: the Dask scheduler at {address} already has a worker named gpu-box-0; "
                                   "give this host's workers their own names with --name NAME "
                                   "(see 'runner worker --help')")
        # the same host twice without --name: the same default names (HOST-I-DEVICE)
        other = start_worker(address, "host-c", "--cpu-slots", "1")
        wait_until(lambda: "host-c-0-cpu" in names(address), what="host-c's worker")
        twice = runner("worker", address, "--cpu-slots", "1", RUNNER_HOST="host-c")
        assert twice.returncode == 2 and "already has a worker named host-c-0-cpu" in one_line(twice)
        stop(other)
        assert first.poll() is None and names(address) == {"gpu-box-0"}  # the first is untouched
    finally:
        stop(first)
        stop(scheduler)


@pytest.mark.full
def test_a_worker_whose_scheduler_is_killed_exits_75_saying_so_in_one_line():
    # What --death-timeout does not cover: Dask ends a worker whose scheduler connection breaks, at once.
    address, scheduler = start_scheduler()
    worker = start_worker(address, "host-a", "--cpu-slots", "1", "--death-timeout", "600", stderr=subprocess.PIPE,
                          text=True)
    try:
        wait_until(lambda: names(address) == {"host-a-0-cpu"}, what="the worker to join")
        scheduler.send_signal(signal.SIGKILL)
        _, err = worker.communicate(timeout=60)  # far within the 600 s of --death-timeout
    finally:
        stop(worker)
        stop(scheduler)
    assert worker.returncode == UNREACHABLE_EXIT
    last = err.strip().splitlines()[-1]
    assert last == (f"Error: the Dask scheduler at {address} went away, and its workers with it; start it again "
                    f"(`dask scheduler --port {address.rpartition(':')[2]}` on 127.0.0.1), then: runner worker {address}")
    # runner's own code raises nothing; distributed may log a broken stream's traceback as its workers go
    assert not re.search(r'File "[^"]*/runner/', err), err


def names(address: str) -> set[str]:
    """The names of the workers the scheduler at ``address`` has (none while it does not answer)."""
    from runner.errors import SchedulerUnreachable
    from runner.execution.dask_executor import scheduler_identity

    try:
        identity = scheduler_identity(address, 2)
    except SchedulerUnreachable:
        return set()
    return {str(w["name"]) for w in identity["workers"].values()}
