"""Telling a live process from a gone one, with real processes: a pid is only the same process
while its start time is the same."""

import os
import subprocess
import sys

import pytest

from runner.processes import pid_alive, process_alive, start_time

needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="no /proc here")


@needs_proc
def test_a_process_is_its_pid_and_its_start_time():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = start_time(child.pid)
        assert isinstance(started, int) and started >= start_time(os.getpid())
        assert process_alive(child.pid, started) and process_alive(child.pid, None)
        assert not process_alive(child.pid, started + 1)  # the same pid, another process
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(child.pid) and not process_alive(child.pid, started) and start_time(child.pid) is None


@needs_proc
def test_a_zombie_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = start_time(child.pid)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it has exited; not reaped yet
    try:
        assert not pid_alive(child.pid) and not process_alive(child.pid, started)
    finally:
        child.wait()


def test_without_proc_the_pid_decides(monkeypatch):
    monkeypatch.setattr("runner.processes._stat_fields", lambda pid: None)
    monkeypatch.setattr("runner.processes.os.path.exists", lambda path: False)
    assert start_time(os.getpid()) is None
    assert process_alive(os.getpid(), 12345)  # a start time recorded elsewhere cannot be checked here
