"""Where commands write what they make: regular files, written whole or not at all, or standard output.

Every command that writes a file (``report -o`` and ``--verdicts``, ``weights -o``, ``export -o``) checks
each of its outputs with ``check`` before it writes any, then writes them with ``write``/``write_all`` or
``opened``. A file is written to a temporary file in the same folder, then renamed over the target with
``os.replace``, so a reader never sees half a file. Only a regular file (or nothing) is ever replaced: a
device, FIFO, socket or folder is refused, also behind a symbolic link, so ``-o /dev/null`` as root
cannot turn the device into a file, and a FIFO cannot hang the command. ``-`` is standard output.

A symbolic link to a regular file is followed: the file it points to is replaced, and the link stays.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from runner.errors import OutputFailed, OutputRefused

__all__ = ["STDOUT", "KINDS", "Output", "check", "existing", "check_folder", "check_kind", "check_all", "write",
    "write_all", "opened", "stage", "temporary", "commit", "to_stdout", "remove", "failed"]

STDOUT = "-"

KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


@dataclass(frozen=True)
class Output:
    """A checked output: ``path`` the file to replace (symbolic links resolved), or None for standard output;
    ``given`` as the user typed it, for messages."""

    given: str
    path: str | None

    @property
    def to_stdout(self) -> bool:
        return self.path is None


def check(given: str, *, option: str = "-o", force: bool | None = None, stdout: bool = True,
          example: str | None = None) -> Output:
    """``given`` as an output of ``option``, or OutputRefused in one line. ``force``: None, an existing file
    is replaced; False, it is refused with the --force hint; True, replaced. ``stdout``: whether '-' may
    stand for standard output. ``example``: a file name to suggest when ``given`` is a folder."""
    if given == "":
        either = f", or '{STDOUT}' for standard output" if stdout else ""
        raise OutputRefused(f"{option} '' is empty; give a file path{either}")
    if given == STDOUT:
        if not stdout:
            raise OutputRefused(f"{option} {STDOUT}: this output cannot go to standard output; give a file path")
        return Output(given, None)
    path = os.path.realpath(given)  # a link to a regular file: that file is replaced, the link stays
    info = existing(given, option)
    if info is not None:
        check_kind(given, info, option, example)
    elif os.path.islink(given):
        raise OutputRefused(f"{given} is a symbolic link to a missing file ({path}); remove it or give another path")
    elif given.endswith(os.sep):
        raise OutputRefused(f"{option} {given} ends with '{os.sep}'; give a file path")
    check_folder(given, os.path.dirname(path) or ".")
    if info is not None and force is False:
        raise OutputRefused(f"{given} exists; give another {option} PATH, or --force to overwrite it")
    return Output(given, path)


def existing(given: str, option: str) -> os.stat_result | None:
    """What ``given`` names now (through links), or None if nothing."""
    try:
        return os.stat(given)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise OutputRefused(f"{option} {given}: a folder on the path is a file; give a path in a folder") from None
    except OSError as exc:
        raise OutputRefused(f"{option} {given}: {exc.strerror or exc}") from None


def check_folder(given: str, folder: str) -> None:
    """The folder the file goes into exists, is a folder, and takes new files (the temporary one)."""
    try:
        info = os.stat(folder)
    except OSError:
        raise OutputRefused(f"cannot write {given}: the folder {folder} does not exist; create it first") from None
    if not stat.S_ISDIR(info.st_mode):
        raise OutputRefused(f"cannot write {given}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputRefused(f"cannot write {given}: the folder {folder} takes no new files (read-only, or not yours)")


def check_kind(given: str, info: os.stat_result, option: str, example: str | None) -> None:
    """Only a regular file is ever replaced."""
    if stat.S_ISREG(info.st_mode):
        return
    kind = KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
    what = f"a symbolic link to {kind.removeprefix('a ')}" if os.path.islink(given) else kind
    if stat.S_ISDIR(info.st_mode):
        hint = f"give a file path, e.g. {option} {os.path.join(given, example)}" if example else "give a file path"
    else:
        hint = f"runner writes only regular files (use {option} {STDOUT} for standard output)"
    raise OutputRefused(f"{given} is {what}; {hint}")


def check_all(outputs: Sequence[Output]) -> None:
    """Two outputs of one command may not be the same file, nor both standard output."""
    seen: dict[str | None, str] = {}
    for output in outputs:
        if output.path in seen:
            where = "standard output" if output.to_stdout else "the same file"
            raise OutputRefused(f"{seen[output.path]} and {output.given} are {where}; give each its own path")
        seen[output.path] = output.given


def write(output: Output, data: str | bytes) -> int:
    """Write ``data`` to ``output`` whole or not at all; the number of bytes written. OutputFailed in one line
    for a file that cannot be written; an OSError from standard output is left to the command line's guard."""
    return write_all([(output, data)])[0]


def write_all(items: Sequence[tuple[Output, str | bytes]]) -> list[int]:
    """Write several outputs all or nothing, as far as it can be: every file is first written to its temporary
    file, then standard output is written, and only then are the files renamed into place. A failure before the
    renames leaves no file changed and no temporary file behind."""
    staged: list[tuple[str, Output]] = []
    sizes = []
    try:
        for output, data in items:
            raw = data.encode("utf-8") if isinstance(data, str) else data
            sizes.append(len(raw))
            if not output.to_stdout:
                staged.append((stage(output, raw), output))
        for output, data in items:
            if output.to_stdout:
                to_stdout(data)
        for tmp, output in staged:
            commit(tmp, output)
    finally:
        for tmp, _ in staged:
            remove(tmp)
    return sizes


@contextmanager
def opened(output: Output, newline: str | None = None) -> Iterator[IO[str]]:
    """A text stream to ``output`` for a command that writes as it goes (``export``): standard output as it
    is, or a temporary file that replaces the target only when the block ends without an error."""
    if output.to_stdout:
        yield sys.stdout
        return
    assert output.path is not None
    fd, tmp = temporary(output)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as out:
            yield out
        commit(tmp, output)
    except OSError as exc:
        raise failed(output, exc) from None
    finally:
        remove(tmp)


def stage(output: Output, data: bytes) -> str:
    """``data`` in a new temporary file beside ``output``; its path."""
    fd, tmp = temporary(output)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException as exc:
        remove(tmp)
        if isinstance(exc, OSError):
            raise failed(output, exc) from None
        raise
    return tmp


def temporary(output: Output) -> tuple[int, str]:
    assert output.path is not None
    folder, name = os.path.split(output.path)
    try:
        return tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder or ".")
    except OSError as exc:
        raise failed(output, exc) from None


def commit(tmp: str, output: Output) -> None:
    """Rename ``tmp`` over ``output``, only if that is a regular file or nothing (checked again here: the path
    may have changed since ``check``), with the permissions a new file gets."""
    assert output.path is not None
    try:
        info = os.lstat(output.path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise failed(output, exc) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputRefused(f"{output.given} is no longer a regular file; nothing was written")
    umask = os.umask(0o022)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, output.path)
    except OSError as exc:
        raise failed(output, exc) from None


def to_stdout(data: str | bytes) -> None:
    """``data`` on standard output, flushed, so that a full or closed output fails here, not at exit."""
    if isinstance(data, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(data)
        sys.stdout.flush()


def remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def failed(output: Output, exc: OSError) -> OutputFailed:
    return OutputFailed(f"cannot write {output.given}: {exc.strerror or exc}")
