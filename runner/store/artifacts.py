"""What a run keeps besides its numbers: its latest checkpoint(s), its final weights and its best ones (--keep-best).

By default the bytes live in the ``artifacts`` table, so that a checkpoint
saved on one host is read on another through a shared PostgreSQL and one
experiments.db still holds everything. Given a directory (``--artifacts``),
they go to a file under it: the directory is recorded as the run's artifacts
root (``runs.options["artifacts"]``, absolute) and the row keeps the file's
path relative to it, ``run-N/KIND-STEP-XXXXXXXX.FMT``. Either way the row
keeps the size and the SHA-256 of the bytes, checked on every read, so a
damaged or replaced file is refused rather than loaded.

A row is not trusted to name a file (anyone who can write to a shared
database can change it): a file is read or deleted only if it is a regular
file of that shape inside its run's root, reached without following a
symbolic link, and (to be deleted) holds exactly the bytes its row records;
reads stop at the recorded size. Anything else is left alone.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from runner.errors import CheckpointError, StorageError
from runner.processes import host_name
from runner.store.models import ARTIFACT_KINDS, artifacts, runs, utcnow

__all__ = ["INFO_COLUMNS", "FILE_NAME", "READ_CHUNK", "ArtifactInfo", "Artifact", "Untouched", "check_kind",
    "write_file", "claim_root", "insert_artifact", "prune", "files_of", "latest", "infos", "Opened", "opened",
    "read_bounded", "matches", "verified", "unremovable", "remove_files", "discard"]

INFO_COLUMNS = [c for c in artifacts.c if c.name != "data"]
# The only files a row may name: those write_file makes.
FILE_NAME = re.compile("(" + "|".join(ARTIFACT_KINDS) + r")-[0-9]+-[0-9a-f]{8}\.(pt|npz)")  # of every kind, "best" too
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArtifactInfo:
    """One kept artifact, without its bytes."""

    id: int
    run_id: int
    kind: str  # "checkpoint", "weights" or "best" (ARTIFACT_KINDS)
    step: int  # the steps done when it was saved
    format: str  # "pt" or "npz"
    size: int
    sha256: str
    path: str | None  # the file, relative to ``root``, when kept under an --artifacts directory
    host: str | None
    created_at: datetime
    root: str | None = None  # the run's artifacts root (runs.options["artifacts"])

    @property
    def file(self) -> str | None:
        """Where the file is, in words (None: the bytes are in the database)."""
        if self.path is None:
            return None
        return os.path.join(self.root, self.path) if self.root else f"{self.path} (the run records no artifacts root)"

    def describe(self) -> str:
        return f"the {self.kind} of run {self.run_id} (step {self.step})"


@dataclass(frozen=True)
class Artifact:
    info: ArtifactInfo
    data: bytes


class Untouched(Exception):
    """A file a row names that is not read or removed: why, in words."""


def check_kind(kind: str) -> None:
    if kind not in ARTIFACT_KINDS:
        raise ValueError(f"unknown artifact kind {kind!r}; expected one of {', '.join(ARTIFACT_KINDS)}")


def write_file(directory: str, run_id: int, kind: str, step: int, fmt: str, data: bytes) -> str:
    """Write ``data`` under ``directory`` atomically (a crash leaves the old file or the new one, never half);
    returns its path relative to ``directory``. A failed write (a full disk) leaves nothing behind."""
    folder = Path(directory) / f"run-{run_id}"
    folder.mkdir(exist_ok=True)
    # A unique name: saving twice at one step must not overwrite a file that a row still names.
    final = folder / f"{kind}-{step}-{uuid.uuid4().hex[:8]}.{fmt}"
    partial = final.with_name(final.name + ".partial")
    try:
        with open(partial, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        _remove_empty(folder)
        raise
    return f"{folder.name}/{final.name}"


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty: it holds other files of the run


def claim_root(conn: Connection, run_id: int, directory: str) -> str:
    """The run's artifacts root, ``directory``: recorded in its options if it has none (or keeps no file under
    the one it has); a CheckpointError if it keeps files under another."""
    options: dict[str, Any] = conn.scalar(select(runs.c.options).where(runs.c.id == run_id)) or {}
    root = options.get("artifacts")
    if root is not None and os.path.realpath(root) == directory:
        return str(root)
    if root is not None and conn.scalar(select(func.count()).select_from(artifacts)
                                        .where(artifacts.c.run_id == run_id, artifacts.c.path.is_not(None))):
        raise CheckpointError(f"run {run_id} keeps its artifacts under {root}, not {directory}; "
                              f"give --artifacts {root}")
    conn.execute(update(runs).where(runs.c.id == run_id).values(options={**options, "artifacts": directory}))
    return directory


def insert_artifact(
    conn: Connection, run_id: int, kind: str, step: int, fmt: str, data: bytes,
    path: str | None = None, root: str | None = None,
) -> ArtifactInfo:
    """Add one artifact row: the bytes themselves, or (``path`` given, relative to ``root``) the file that
    holds them."""
    values = dict(run_id=run_id, kind=kind, step=step, format=fmt, size=len(data),
                  sha256=hashlib.sha256(data).hexdigest(), data=None if path else data, path=path,
                  host=host_name(), created_at=utcnow())
    key = conn.execute(insert(artifacts).values(values)).inserted_primary_key
    assert key is not None
    values.pop("data")
    return ArtifactInfo(id=key[0], root=root, **values)  # type: ignore[arg-type]


def _select_infos(*extra: Any) -> Any:
    return select(*INFO_COLUMNS, runs.c.options, *extra).join(runs, runs.c.id == artifacts.c.run_id)


def _info(mapping: dict[str, Any]) -> ArtifactInfo:
    options = mapping.pop("options") or {}
    root = options.get("artifacts") if isinstance(options, dict) else None
    return ArtifactInfo(**mapping, root=root if isinstance(root, str) else None)


def prune(conn: Connection, run_id: int, kind: str, keep: int) -> list[ArtifactInfo]:
    """Delete all but the newest ``keep`` artifacts of ``kind``; returns those kept in files (to remove)."""
    rows = conn.execute(
        _select_infos().where(artifacts.c.run_id == run_id, artifacts.c.kind == kind).order_by(artifacts.c.id.desc())
    ).all()
    old = [_info(dict(row._mapping)) for row in rows[keep:]]
    if old:
        conn.execute(delete(artifacts).where(artifacts.c.id.in_([info.id for info in old])))
    return [info for info in old if info.path]


def files_of(conn: Connection, run_ids: list[int]) -> list[ArtifactInfo]:
    """The artifacts of these runs kept in files (to remove once their rows are gone)."""
    query = _select_infos().where(artifacts.c.run_id.in_(run_ids), artifacts.c.path.is_not(None))
    return [_info(dict(row._mapping)) for row in conn.execute(query.order_by(artifacts.c.id))]


def latest(conn: Connection, run_id: int, kind: str) -> tuple[ArtifactInfo, bytes | None] | None:
    """The newest artifact of ``kind`` with its bytes if the row holds them (None: none kept)."""
    row = conn.execute(
        _select_infos(artifacts.c.data)
        .where(artifacts.c.run_id == run_id, artifacts.c.kind == kind)
        .order_by(artifacts.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    mapping = dict(row._mapping)
    data = mapping.pop("data")
    return _info(mapping), None if data is None else bytes(data)


def infos(conn: Connection, run_ids: list[int]) -> list[ArtifactInfo]:
    query = _select_infos().where(artifacts.c.run_id.in_(run_ids)).order_by(artifacts.c.run_id, artifacts.c.id)
    return [_info(dict(row._mapping)) for row in conn.execute(query)]


@dataclass
class Opened:
    """A kept file open for reading, with the folders it was reached through (all without a symbolic link)."""

    root_fd: int
    folder_fd: int
    folder: str
    name: str
    fd: int


def _parts(info: ArtifactInfo) -> tuple[str, str, str]:
    """The run's root, folder and file name, or Untouched if the row names anything but a file runner made."""
    if not info.root or not os.path.isabs(info.root):
        raise Untouched("its run records no artifacts root")
    folder, _, name = (info.path or "").partition("/")
    if folder != f"run-{info.run_id}" or not FILE_NAME.fullmatch(name):
        raise Untouched(f"its row names {info.path!r}, not a file runner saved for run {info.run_id}")
    return os.path.realpath(info.root), folder, name


@contextmanager
def opened(info: ArtifactInfo) -> Iterator[Opened]:
    """Open the file ``info`` names, refusing (Untouched) a symbolic link on the way, or anything but a regular
    file; OSError (FileNotFoundError: gone) when it cannot be opened."""
    root, folder, name = _parts(info)
    fds: list[int] = []
    try:
        fds.append(os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW))  # resolved: no link left
        fds.append(_open(folder, os.O_RDONLY | os.O_DIRECTORY, fds[0]))
        # lstat first: a FIFO or a device is never opened (opening some has effects of its own).
        mode = os.stat(name, dir_fd=fds[1], follow_symlinks=False).st_mode
        if not stat.S_ISREG(mode):
            raise Untouched("it is a symbolic link" if stat.S_ISLNK(mode) else "it is not a regular file")
        fds.append(_open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY, fds[1]))
        if not stat.S_ISREG(os.fstat(fds[2]).st_mode):  # swapped since the lstat
            raise Untouched("it is not a regular file")
        yield Opened(fds[0], fds[1], folder, name, fds[2])
    finally:
        for fd in fds:
            os.close(fd)


def _open(name: str, flags: int, dir_fd: int) -> int:
    try:
        return os.open(name, flags | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise Untouched("it is reached through a symbolic link") from None
        raise


def read_bounded(fd: int, size: int) -> bytes:
    """At most ``size`` + 1 bytes (one more tells a longer file)."""
    chunks, left = [], size + 1
    while left > 0:
        chunk = os.read(fd, min(left, READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def matches(info: ArtifactInfo, data: bytes) -> bool:
    return len(data) == info.size and hashlib.sha256(data).hexdigest() == info.sha256


def verified(info: ArtifactInfo, data: bytes | None) -> Artifact:
    """The artifact's bytes (read from its file if kept in one), refused unless they are what was saved."""
    if data is None:
        data = _read_file(info)
    if not matches(info, data):
        shown = f"{info.size + 1} or more" if len(data) > info.size else str(len(data))
        raise CheckpointError(
            f"{info.describe()} is damaged: its bytes are not the ones saved ({shown} bytes, expected {info.size}); "
            "start the run over with --restart"
        )
    return Artifact(info, data)


def _read_file(info: ArtifactInfo) -> bytes:
    try:
        with opened(info) as f:
            return read_bounded(f.fd, info.size)
    except (OSError, Untouched) as exc:
        why = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
        raise CheckpointError(
            f"{info.describe()} was kept in {info.file}, which cannot be read ({why}); "
            "restore the --artifacts directory, or start the run over with --restart"
        ) from None


def unremovable(files: list[ArtifactInfo]) -> None:
    """StorageError, naming the first, if a file that would be removed cannot be (a read-only disk or folder):
    checked before any row is deleted, so that rows and files stay together."""
    for info in files:
        why = _unremovable(info)
        if why:
            raise StorageError(f"cannot remove {info.file}, {info.describe()} ({why}): nothing was deleted; "
                               "make its folder writable and try again")


def _unremovable(info: ArtifactInfo) -> str | None:
    try:
        with opened(info) as f:  # its bytes are checked when it is removed, not twice
            if os.fstatvfs(f.folder_fd).f_flag & os.ST_RDONLY:
                return "read-only file system"
            if not os.access(f.folder, os.W_OK, dir_fd=f.root_fd, follow_symlinks=False):
                return "its folder is not writable"
    except (OSError, Untouched):
        return None  # gone, or not removed anyway
    return None


def remove_files(files: list[ArtifactInfo]) -> None:
    """Remove the files of deleted rows (one already gone is no loss), and the run's folder once empty; a file
    that is not one runner saved, or cannot be removed, is left in place with a warning line."""
    for info in files:
        try:
            _remove(info)
        except FileNotFoundError:
            pass
        except (OSError, Untouched) as exc:
            why = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
            print(f"warning: left {info.file} in place, {info.describe()}: {why}", file=sys.stderr)


def _remove(info: ArtifactInfo) -> None:
    with opened(info) as f:
        if not matches(info, read_bounded(f.fd, info.size)):
            raise Untouched("it does not hold the bytes its row records")
        if os.fstat(f.fd).st_ino != os.stat(f.name, dir_fd=f.folder_fd, follow_symlinks=False).st_ino:
            raise Untouched("it was replaced while being checked")
        os.unlink(f.name, dir_fd=f.folder_fd)
        try:
            os.rmdir(f.folder, dir_fd=f.root_fd)  # never follows a link; fails unless empty
        except OSError:
            pass


def discard(root: str, path: str) -> None:
    """Remove the file just written whose row could not be stored."""
    try:
        os.remove(os.path.join(root, path))
        os.rmdir(os.path.dirname(os.path.join(root, path)))
    except OSError:
        pass
