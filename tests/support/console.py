"""The console examples of a document, as a story that can be run and compared with the page.

A document is read top to bottom:

- a ```console block holds commands (lines that start with ``$ ``) and, after each, what it prints
  (stdout and stderr together, as a terminal shows them). A command with nothing under it must print
  nothing. A line ``…`` (or ``...``) stands for any lines, none included; ``…`` inside a line for any text.
- ``<!-- not run: REASON -->`` on the line before a block: the block is not run (a server, a cluster,
  a GPU, a package installed into the environment), and the test says why.
- ``<!-- numbers vary: REASON -->``: the block runs, and its numbers are compared as "a number" only
  (a Ctrl-C lands at a step nobody chooses).
- a ```python block that begins with its file name (``# tanh_plugin.py`` or ``\"\"\"linear_plugin.py: ...``)
  is written under that name when the story reaches it; one after ``<!-- run -->`` is run with
  ``python`` and must exit 0 (a figure's ``show()`` does nothing: there is no browser in a test).

The story runs on the CPU (``CUDA_VISIBLE_DEVICES=""``), as the pages show, with ``RUNNER_HOST=vm``.
What each command prints is compared line by line with the page, spaces collapsed: numbers with a
decimal point or an exponent to within ``TOLERANCE`` (relative), whole numbers exactly; dates, rates
(``steps/s``), process ids, ports, versions and the ``elapsed`` column of an export are masked.

``python -m tests.support.console DOC`` runs a document's story in a new folder and prints what each
command printed, in the page's form; with ``--update`` it also writes into DOC what each command that
differs printed (not where the page leaves lines out with ``…``: those it names, to edit by hand).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import math
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 0.01  # relative, for numbers with a decimal point or an exponent
HOST = "vm"  # RUNNER_HOST in the story: the host name the pages show
TIMEOUT = 900  # seconds, per command

FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!-- (not run|numbers vary): (.+?) -->$|^<!-- (run) -->$")
FILE_NAME = re.compile(r"^(?:# |\"\"\")(\w+\.py)\b")
GAP = ("…", "...")
NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.]*\w)")
MASKS = (
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?"), "<time>"),
    (re.compile(r"[\d,]+(?:\.\d+)? steps/s"), "<rate> steps/s"),
    (re.compile(r"\(pid \d+\)"), "(pid <pid>)"),
    (re.compile(r"^(\s*duration\s+)\d[\d.,]* s$"), r"\1<duration>"),  # runner show
    (re.compile(r"^(\s*steps per second\s+)\d[\d.,]*$"), r"\1<rate>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"^(\s*versions\s+).*"), r"\1<versions>"),
    (re.compile(r"^(\s*packages\s+).*"), r"\1<packages>"),  # runner show: versions and commits of this checkout
    (re.compile(r"^(\s*threads\s+)\d+"), r"\1<threads>"),  # runner show: a single run's default is the machine's
    (re.compile(r"^(\d+,\d+,[^,]*),[-+.\deE]+"), r"\1,<elapsed>"),  # runner export's CSV: run_id,step,loss,elapsed
)


@dataclass
class Command:
    where: str  # README.md:123
    line: str  # as written, after "$ "
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    where: str
    kind: str  # "console", "file" or "python"
    source: str = ""
    name: str = ""  # a file block's file name
    commands: list[Command] = field(default_factory=list)
    not_run: str = ""  # why, when the block is not run
    numbers_vary: str = ""


def parse(text: str, document: str) -> list[Block]:
    """The blocks of ``text`` that the story runs or writes, in order (others, such as ```bash, are left out)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    marker: re.Match[str] | None = None
    number = 0
    while number < len(lines):
        fence = FENCE.match(lines[number])
        if not fence:
            if lines[number].strip():
                marker = MARKER.match(lines[number].strip())
            number += 1
            continue
        end = next((i for i in range(number + 1, len(lines)) if lines[i].startswith("```")), len(lines))
        body = lines[number + 1:end]
        block = make_block(f"{document}:{number + 1}", fence.group(1), body, number + 2, document, marker)
        if block:
            blocks.append(block)
        marker, number = None, end + 1
    return blocks


def make_block(where: str, language: str, body: list[str], first: int, document: str,
               marker: re.Match[str] | None) -> Block | None:
    said = (marker.group(1) or marker.group(3), marker.group(2) or "") if marker else ("", "")
    if language == "console":
        block = Block(where, "console", commands=console_commands(body, first, document))
        block.not_run = said[1] if said[0] == "not run" else ""
        block.numbers_vary = said[1] if said[0] == "numbers vary" else ""
        return block
    if language == "python" and body:
        name = FILE_NAME.match(body[0])
        source = "\n".join(body) + "\n"
        if name:
            return Block(where, "file", source=source, name=name.group(1))
        if said[0] == "run":
            return Block(where, "python", source=source)
    return None


def console_commands(body: list[str], first: int, document: str) -> list[Command]:
    commands: list[Command] = []
    for number, line in enumerate(body, first):
        if line.startswith("$ "):
            commands.append(Command(f"{document}:{number}", line[2:]))
        elif commands:
            commands[-1].expected.append(line)
        elif line.strip():
            raise ValueError(f"{document}:{number}: output before any command in a console block: {line!r}")
    return commands


# Comparing -----------------------------------------------------------------------------------------


def masked(line: str) -> str:
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def is_gap(line: str) -> bool:
    return line.strip() in GAP


def value(number: str) -> float:
    return float(number.replace(",", "").replace("−", "-"))


def same_number(expected: str, actual: str, vary: bool) -> bool:
    if vary:
        return True
    if re.fullmatch(r"[-−]?[\d,]+", expected) and re.fullmatch(r"[-−]?[\d,]+", actual):
        return value(expected) == value(actual)
    return math.isclose(value(expected), value(actual), rel_tol=TOLERANCE)


def line_matches(expected: str, actual: str, vary: bool = False) -> bool:
    """One printed line against the page's, after the masks: the text exactly, the numbers to the tolerance."""
    want, got = masked(expected), masked(actual)
    parts = NUMBER.split(want)
    numbers = NUMBER.findall(want)
    pattern = ""
    for i, part in enumerate(parts):
        pattern += ".*?".join(re.escape(p) for p in re.split(r"…|\.\.\.", part))
        if i < len(numbers):
            pattern += f"({NUMBER.pattern})"
    found = re.fullmatch(pattern, got)
    return bool(found) and all(same_number(n, a, vary) for n, a in zip(numbers, found.groups()))


def lines_match(expected: list[str], actual: list[str], vary: bool = False) -> bool:
    """Every expected line in order, a gap line standing for any number of printed lines."""

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(expected):
            return j == len(actual)
        if is_gap(expected[i]):
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and line_matches(expected[i], actual[j], vary) and match(i + 1, j + 1)

    return match(0, 0)


def difference(command: Command, printed: list[str], vary: bool = False) -> str:
    """Empty when ``printed`` is what the page shows; else a message naming the command and the lines."""
    if lines_match(command.expected, printed, vary):
        return ""
    diff = difflib.unified_diff(command.expected, printed, "the page", "printed", lineterm="", n=1)
    return (f"{command.where}: $ {command.line}\n" + "\n".join(list(diff)[2:]) +
            "\nprinted, in full:\n" + "\n".join(f"    {line}" for line in printed))


# Running -------------------------------------------------------------------------------------------


class NotInstalled(Exception):
    """A ``pip install`` the story needs has not been done where the tests run."""


def distribution_of(path: str) -> str:
    pyproject = ROOT / path / "pyproject.toml"
    found = re.search(r'^name = "([^"]+)"', pyproject.read_text(), re.M) if pyproject.exists() else None
    return found.group(1) if found else path


def installed(distribution: str) -> bool:
    import importlib.metadata

    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


LAUNCHER = ROOT / "tests" / "support" / "fresh_install.py"
SHIM = """#!/bin/sh
exec {python} {launcher} "$STORY_DISTRIBUTIONS" "$@"
"""


class Story:
    """One document's story: a new folder, a fresh database in it (``./experiments.db``), one shell's exports.

    ``runner`` sees the plugins of runner and of the packages the story has ``pip install``ed so far, and no
    others (tests/support/fresh_install.py), as on a fresh install where the examples are installed too.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        bin_folder = folder.with_name(folder.name + "-bin")  # beside the story's folder: nothing in it to list
        bin_folder.mkdir(exist_ok=True)
        shim = bin_folder / "runner"
        shim.write_text(SHIM.format(python=shlex.quote(sys.executable), launcher=shlex.quote(str(LAUNCHER))))
        shim.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_")}
        env["PATH"] = os.pathsep.join([str(bin_folder), str(Path(sys.executable).parent), env.get("PATH", "")])
        env["STORY_DISTRIBUTIONS"] = "runner"
        env["PYTHONPATH"] = str(ROOT)  # this checkout's runner
        env["RUNNER_HOST"] = HOST
        env["COLUMNS"] = "200"
        env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleaved as on a terminal
        env["CUDA_VISIBLE_DEVICES"] = ""  # the pages show a CPU machine's runs (device cpu) wherever this runs
        self.env = env

    def run(self, block: Block) -> Iterator[tuple[Command, list[str]]]:
        """Run a block: each console command with what it printed (a file block is written, a python block run)."""
        if block.kind == "file":
            (self.folder / block.name).write_text(block.source, encoding="utf-8")
        elif block.kind == "python":
            printed = self.python(block)
            yield Command(block.where, "python (the block above)"), printed
        else:
            for command in block.commands:
                yield command, self.command(command)

    def python(self, block: Block) -> list[str]:
        prelude = "import plotly.basedatatypes\nplotly.basedatatypes.BaseFigure.show = lambda self, *a, **k: None\n"
        result = subprocess.run([sys.executable, "-c", prelude + block.source], cwd=self.folder, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
        printed = result.stdout.splitlines()
        if result.returncode:
            printed.append(f"(exit status {result.returncode})")
        return printed

    def command(self, command: Command) -> list[str]:
        words = shlex.split(command.line, comments=True)
        if words[:3] == ["pip", "install", "-e"]:
            name = distribution_of(words[3])
            if not installed(name):
                raise NotInstalled(f"{command.where} needs {name}: pip install -e {words[3]}")
            self.env["STORY_DISTRIBUTIONS"] += f",{name}"
            return []
        if words[:1] == ["export"]:
            for word in words[1:]:
                key, _, val = word.partition("=")
                self.env[key] = f"{val}{os.pathsep}{ROOT}" if key == "PYTHONPATH" else val
            return []
        with self.shell(command.line) as process:
            if "Ctrl-C" in command.line.partition("#")[2]:
                self.interrupt(process)
            out, _ = process.communicate(timeout=TIMEOUT)
        return out.splitlines()

    @contextlib.contextmanager
    def shell(self, line: str) -> Iterator[subprocess.Popen[str]]:
        process = subprocess.Popen(["bash", "-c", line], cwd=self.folder, env=self.env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def interrupt(self, process: subprocess.Popen[str], steps: int = 200) -> None:
        """Ctrl-C, as a terminal sends it to the command's process group, once its newest run stored ``steps``."""
        deadline = time.monotonic() + TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if self.newest_run_steps() >= steps:
                os.killpg(process.pid, signal.SIGINT)
                return
            time.sleep(0.05)

    def newest_run_steps(self) -> int:
        path = self.folder / "experiments.db"
        if not path.exists():
            return 0
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
                row = db.execute("select count(*) from steps where run_id = (select max(id) from runs)").fetchone()
        except sqlite3.Error:
            return 0
        return int(row[0])


def differences(document: str, folder: Path) -> tuple[list[str], list[str], int]:
    """Run ``document``'s story in ``folder``: (the differences from the page, the blocks not run, commands run)."""
    story = Story(folder)
    found, skipped, count = [], [], 0
    for block in parse((ROOT / document).read_text(encoding="utf-8"), document):
        if block.not_run:
            skipped.append(f"{block.where}: {block.not_run}")
            continue
        for command, printed in story.run(block):
            count += 1
            message = difference(command, printed, bool(block.numbers_vary))
            if message:
                found.append(message)
    return found, skipped, count


def show(document: str, update: bool = False) -> None:
    """Print each command of the story with what it printed; with ``update``, write what differs into the page."""
    replacements: dict[int, tuple[int, list[str]]] = {}  # the command's line number -> (lines on the page, printed)
    with tempfile.TemporaryDirectory() as folder:
        story = Story(Path(folder) / "story")
        for block in parse((ROOT / document).read_text(encoding="utf-8"), document):
            if block.not_run:
                print(f"# {block.where}: not run: {block.not_run}")
                continue
            for command, printed in story.run(block):
                differs = bool(difference(command, printed, bool(block.numbers_vary)))
                print(f"# {command.where}" + (" (differs)" if differs else " (as the page)"))
                print(f"$ {command.line}", *printed, sep="\n")
                if differs and block.kind == "console" and any(map(is_gap, command.expected)):
                    print(f"# {command.where}: the page leaves lines out: edit it by hand")
                elif differs and block.kind == "console":
                    replacements[int(command.where.rsplit(":", 1)[1])] = (len(command.expected), printed)
    if update and replacements:
        lines = (ROOT / document).read_text(encoding="utf-8").split("\n")
        for number in sorted(replacements, reverse=True):
            count, printed = replacements[number]
            lines[number:number + count] = printed
        (ROOT / document).write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        if name != "--update":
            show(name, update="--update" in sys.argv)
