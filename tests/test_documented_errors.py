"""The error messages that README.md and the site's pages (docs/*.md) quote are the ones runner prints.

Every ``Error: ...`` or ``warning: ...`` line in a ```console block is
checked: the ``$`` command above it is run in a fresh directory, against a
fresh database, as on a fresh install, and one line of its stderr must
match. A quoted line may leave text out with ``…`` or ``...``; its run ids (``run 4 failed``,
``runner show 4``) are those of the page's story, which tests/test_examples_in_docs.py checks, so here
any id matches.

What a command sees is what the document shows before it: the ``export``
lines and ``pip install -e PATH`` lines earlier in the same block (the
latter makes PATH's plugins visible: they must be installed where the
tests run, as .ci/run installs examples/sine; nothing is installed here, and a
command whose package is not installed is skipped, saying which), the
``VAR=value`` words that prefix it, every ```python block that begins
with its file name (``# tanh_plugin.py`` or ``\"\"\"linear_plugin.py: ...``),
written under that name, and the files in ``GIVEN``.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.console import installed

DOCUMENTS = ("README.md", *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md")))  # the site's pages
CONSOLE = re.compile(r"```console\n(.*?)```", re.S)
FILE_BLOCK = re.compile(r"```python\n((?:# |\"\"\")(\w+\.py)\b.*?)```", re.S)
QUOTED = ("Error: ", "warning: ")
ELISION = re.compile(r"…|\.\.\.")
RUN_ID = re.compile(r"(\brun\\ |runner\\ show\\ )\d+")  # the page's ids follow its story (tests/test_examples_in_docs.py)
GIVEN = {"notes.txt": "my notes, not a database\n"}  # `runner ls --db notes.txt` in docs/errors.md
LAUNCHER = ROOT / "tests" / "support" / "fresh_install.py"


@dataclass
class Documented:
    where: str  # README.md:123
    argv: list[str]  # the runner arguments
    env: dict[str, str]
    distributions: set[str]
    lines: list[str] = field(default_factory=list)  # the quoted error lines


def project_name(path: str) -> str:
    """The distribution ``pip install -e path`` installs (for a package an earlier command made: its folder's name)."""
    pyproject = ROOT / path / "pyproject.toml"
    match = re.search(r'^name = "([^"]+)"', pyproject.read_text(), re.M) if pyproject.exists() else None
    return match.group(1) if match else Path(path).name


def documented_errors() -> list[Documented]:
    found = []
    for document in DOCUMENTS:
        text = (ROOT / document).read_text(encoding="utf-8")
        for block in CONSOLE.finditer(text):
            first_line = text.count("\n", 0, block.start(1)) + 1
            found += block_errors(document, first_line, block.group(1))
    return found


def block_errors(document: str, first_line: int, block: str) -> list[Documented]:
    """The commands of one console block that are followed by quoted error lines."""
    env: dict[str, str] = {}
    distributions = {"runner"}
    commands: list[Documented] = []
    for number, line in enumerate(block.splitlines(), first_line):
        if not line.startswith("$ "):
            if line.startswith(QUOTED) and commands:
                commands[-1].lines.append(line)
            continue
        words = shlex.split(line[2:], comments=True)
        if words[:1] == ["export"]:
            env.update(w.split("=", 1) for w in words[1:])
            continue
        if words[:3] == ["pip", "install", "-e"]:
            distributions.add(project_name(words[3]))
            continue
        prefix = list(itertools.takewhile(lambda w: re.match(r"[A-Z_][A-Z0-9_]*=", w), words))  # VAR=value runner ...
        words = words[len(prefix):]
        argv = words[1:] if words[:1] == ["runner"] else words
        commands.append(Documented(f"{document}:{number}", argv, {**env, **dict(w.split("=", 1) for w in prefix)},
                                   set(distributions)))
        if words[:1] != ["runner"] or "|" in words:
            commands[-1].argv = []  # not a command this test can run: it fails if an error is quoted for it
    return [c for c in commands if c.lines]


def example_paths(distributions: list[str]) -> list[str]:
    """Where ``pip install -e`` finds each distribution in this repository (examples/NAME for runner-NAME)."""
    return [f"examples/{d.removeprefix('runner-')}" if (ROOT / "examples" / d.removeprefix("runner-")).is_dir() else d
            for d in distributions]


def written_files() -> dict[str, str]:
    files = dict(GIVEN)
    for document in DOCUMENTS:
        for source, name in FILE_BLOCK.findall((ROOT / document).read_text(encoding="utf-8")):
            files[name] = source
    return files


def matches(quoted: str, actual: str) -> bool:
    """``actual`` is the quoted line, where ``…`` is any text and a run id any run id."""
    pattern = ".*".join(RUN_ID.sub(lambda m: m.group(1) + r"\d+", re.escape(part)) for part in ELISION.split(quoted))
    return re.fullmatch(pattern, actual.rstrip()) is not None


CASES = documented_errors()


def test_the_documents_quote_errors_this_test_finds():
    wheres = {c.where.split(":")[0] for c in CASES}
    assert {"README.md", "docs/errors.md", "docs/metrics.md", "docs/plugins.md"} <= wheres and len(CASES) >= 7, [
        c.where for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=[c.where for c in CASES])
def test_a_documented_error_is_what_runner_prints(case, tmp_path):
    assert case.argv, f"{case.where}: an error is quoted for a command this test cannot run"
    missing = sorted(d for d in case.distributions if not installed(d))
    if missing:  # as the examples' own tests do: the README's install does not install them
        pytest.skip(f"{case.where} needs {', '.join(missing)}: pip install -e {' '.join(example_paths(missing))}")
    for name, source in written_files().items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_")}
    env.update(case.env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), case.env.get("PYTHONPATH")) if p)
    env.setdefault("RUNNER_DB", f"sqlite:///{tmp_path / 'experiments.db'}")
    result = subprocess.run([sys.executable, str(LAUNCHER), ",".join(sorted(case.distributions)), *case.argv],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    printed = result.stderr.splitlines()
    for quoted in case.lines:
        assert any(matches(quoted, line) for line in printed), (
            f"{case.where} quotes\n  {quoted}\nbut `runner {shlex.join(case.argv)}` printed\n  " + "\n  ".join(printed)
        )
    if any(line.startswith("Error: ") for line in case.lines):
        assert result.returncode != 0


def test_a_command_whose_package_is_not_installed_is_skipped_saying_how(tmp_path):
    # runner is installed wherever this runs; runner-nowhere never is (the examples may or may not be)
    case = Documented("X.md:1", ["run", "--model", "x"], {}, {"runner", "runner-nowhere"}, ["Error: x"])
    with pytest.raises(pytest.skip.Exception, match=r"^X.md:1 needs runner-nowhere: pip install -e runner-nowhere$"):
        test_a_documented_error_is_what_runner_prints(case, tmp_path)
    assert example_paths(["runner-sine", "runner-digits"]) == ["examples/sine", "examples/digits"]
