"""Whether a process is still alive, for telling a dead run from a running one.

A process is named by its pid and its start time (psutil, on Linux, macOS and
Windows alike): a pid is reused once its process is gone, and a new process
under the old pid must not keep a dead run alive.
"""

from __future__ import annotations

import os
import socket
import sys

import psutil

# The start time as stored (runs.pid_start, an integer) and compared for equality, read back by other
# processes on the same host, days later. On Linux it stays what older versions read from /proc/<pid>/stat:
# clock ticks after boot, so the runs they recorded compare exactly (not treated as unknown). psutil gives
# seconds since the epoch, made by adding the boot time, which moves when the clock is set; taking that boot
# time away again leaves the fixed /proc count. Elsewhere, hundredths of a second since the epoch: the
# kernel's own record of the creation (older versions stored nothing there).
AFTER_BOOT = sys.platform.startswith("linux")
TICKS = os.sysconf("SC_CLK_TCK") if AFTER_BOOT else 100  # per second


def _start(pid: int) -> int:
    """``start_time``'s value; raises psutil.Error where it cannot be read."""
    origin = psutil.boot_time() if AFTER_BOOT else 0.0  # first: psutil < 6 keeps it for create_time
    return round((psutil.Process(pid).create_time() - origin) * TICKS)


def start_time(pid: int) -> int | None:
    """When process ``pid`` started, as an integer (see TICKS); None where it is gone or cannot be read here
    (psutil's NoSuchProcess, a zombie where its start is no longer kept, AccessDenied)."""
    if pid <= 0:
        return None
    try:
        return _start(pid)
    except psutil.Error:
        return None


def pid_alive(pid: int) -> bool:
    """True if process ``pid`` exists on this host and is not a zombie."""
    return process_alive(pid, None)


def process_alive(pid: int, started: int | None) -> bool:
    """True if the process that had ``pid`` and started at ``started`` (see start_time) still runs.

    A different start time under the same pid is another process: the first is gone. Where the start
    time was not recorded, or cannot be read here (AccessDenied: another user's process, on some
    systems), the pid alone decides, which keeps a run alive rather than marking a live one lost.
    """
    if pid <= 0:
        return False
    try:
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return False  # it has ended; only its parent has not reaped it yet
        return started is None or _start(pid) == started
    except psutil.NoSuchProcess:  # gone (psutil.ZombieProcess, a zombie where it says so, is one too)
        return False
    except psutil.AccessDenied:  # it exists, but is not ours to read
        return True


HOST_VARIABLE = "RUNNER_HOST"


def host_name() -> str:
    """The name this host records for its runs: $RUNNER_HOST, else the hostname.

    Runs on the same host are judged by their process, others by their heartbeat
    (runner.store.Store.mark_lost), so hosts that share a database must have
    different names: set RUNNER_HOST where containers share a hostname.
    """
    return os.environ.get(HOST_VARIABLE, "").strip() or socket.gethostname()
