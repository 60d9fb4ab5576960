"""Whether a process is still alive, for telling a dead run from a running one.

A process is named by its pid and, where /proc exists (Linux), its start
time: a pid is reused once its process is gone, and a new process under the
old pid must not keep a dead run alive.
"""

from __future__ import annotations

import os
import socket

# /proc/<pid>/stat's fields after the command name (field 2, in parentheses and possibly holding spaces):
STATE = 0  # field 3
START_TIME = 19  # field 22: clock ticks after boot, fixed for the process's life


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name; None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()
    except OSError:
        return None


def start_time(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks after boot; None without /proc or without the process."""
    fields = _stat_fields(pid)
    try:
        return int(fields[START_TIME]) if fields else None
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """True if process ``pid`` exists on this host and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    fields = _stat_fields(pid)
    if fields is None:
        return not os.path.exists("/proc/self")  # no /proc (macOS): trust os.kill
    return bool(fields) and fields[STATE] != "Z"


def process_alive(pid: int, started: int | None) -> bool:
    """True if the process that had ``pid`` and started at ``started`` (see start_time) still runs.

    A different start time under the same pid is another process: the first is gone. Where the
    start time was not recorded, or cannot be read here (no /proc), the pid alone decides.
    """
    if not pid_alive(pid):
        return False
    if started is None:
        return True
    now = start_time(pid)
    if now is None:
        return not os.path.exists("/proc/self")  # no /proc: the pid decides; with /proc, it ended just now
    return now == started


HOST_VARIABLE = "RUNNER_HOST"


def host_name() -> str:
    """The name this host records for its runs: $RUNNER_HOST, else the hostname.

    Runs on the same host are judged by their process, others by their heartbeat
    (runner.store.Store.mark_lost), so hosts that share a database must have
    different names: set RUNNER_HOST where containers share a hostname.
    """
    return os.environ.get(HOST_VARIABLE, "").strip() or socket.gethostname()
