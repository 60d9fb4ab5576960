"""Every console example of README.md, docs/*.md and the examples' READMEs runs as written and prints what the page shows.

Each document is one story, run top to bottom in a new folder with a fresh database (``./experiments.db``,
as the README's first command makes), one shell's exports, and the examples installed (CI installs them;
elsewhere the test is skipped, saying which). How a page is read and compared: tests/support/console.py.
When an output changes on purpose, ``python -m tests.support.console README.md`` prints the story's outputs
in the page's form.
"""

from __future__ import annotations

import pytest

from tests.support.console import ROOT, TOLERANCE, NotInstalled, differences

DOCUMENTS = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md")),
             *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("examples/*/README.md"))]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_console_examples_run_as_written(document, tmp_path):
    try:
        found, not_run, count = differences(document, tmp_path)
    except NotInstalled as missing:
        pytest.skip(str(missing))
    assert count, f"{document}: no console example was run"
    assert not found, (
        f"{len(found)} of {count} commands of {document} printed other than the page shows "
        f"(numbers to {TOLERANCE:.0%}; blocks not run: {len(not_run)}):\n\n" + "\n\n".join(found))
