"""Telling a live process from a gone one, with real processes: a pid is only the same process
while its start time is the same."""

import os
import subprocess
import sys

import psutil
import pytest

from runner.processes import TICKS, pid_alive, process_alive, start_time

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/<pid>/stat is Linux's")


def sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])


def test_a_process_is_its_pid_and_its_start_time():
    child = sleeper()
    try:
        started = start_time(child.pid)
        assert isinstance(started, int) and started >= start_time(os.getpid())
        assert process_alive(child.pid, started) and process_alive(child.pid, None)
        assert not process_alive(child.pid, started + 1)  # the same pid, another process: a reused pid
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(child.pid) and not process_alive(child.pid, started) and start_time(child.pid) is None


def test_the_start_time_is_psutils():
    child = sleeper()
    try:
        created = psutil.Process(child.pid).create_time()
        origin = psutil.boot_time() if sys.platform.startswith("linux") else 0.0
        assert abs(start_time(child.pid) / TICKS + origin - created) <= 1 / TICKS
    finally:
        child.kill()
        child.wait()


@linux
def test_on_linux_it_is_what_older_versions_stored():
    """Clock ticks after boot, /proc/<pid>/stat's field 22: the runs they recorded still compare."""
    child = sleeper()
    try:
        with open(f"/proc/{child.pid}/stat") as stat:
            ticks = int(stat.read().rpartition(")")[2].split()[19])
        assert start_time(child.pid) == ticks and process_alive(child.pid, ticks)
    finally:
        child.kill()
        child.wait()


def test_a_zombie_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = start_time(child.pid)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it has exited; not reaped yet
    try:
        assert not pid_alive(child.pid) and not process_alive(child.pid, started)
    finally:
        child.wait()


@pytest.mark.parametrize("pid", [0, -1, 2**40])
def test_no_such_pid(pid):
    assert start_time(pid) is None and not pid_alive(pid) and not process_alive(pid, 1)


def test_where_the_start_time_cannot_be_read_the_pid_decides(monkeypatch):
    def denied(self):
        raise psutil.AccessDenied(self.pid)

    monkeypatch.setattr(psutil.Process, "create_time", denied)
    assert start_time(os.getpid()) is None
    assert process_alive(os.getpid(), 12345)  # it exists: a live run is not marked lost for what cannot be read


def test_a_process_that_ends_while_read_is_gone(monkeypatch):
    def ended(self):
        raise psutil.NoSuchProcess(self.pid)

    monkeypatch.setattr(psutil.Process, "create_time", ended)
    assert start_time(os.getpid()) is None and not process_alive(os.getpid(), 12345)
