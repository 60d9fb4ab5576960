"""Every console example of README.md, docs/*.md (the site's pages) and the examples' READMEs runs as written and prints
what the page shows.

Each document is one story, run top to bottom in a new folder with a fresh database (``./experiments.db``,
as the README's first command makes; a page that needs another page's runs makes them again), one shell's exports, and the examples installed (CI installs them;
elsewhere the test is skipped, saying which). How a page is read and compared: tests/support/console.py.
When an output changes on purpose, ``python -m tests.support.console PAGE`` prints the story's outputs
in the page's form.
"""

from __future__ import annotations

import pytest

from tests.support.console import ROOT, TOLERANCE, NotInstalled, differences, parse


def runs_examples(document: str) -> bool:
    """Whether the page has a console example the story runs (a page of only ``not run`` blocks, or of prose, has none)."""
    blocks = parse((ROOT / document).read_text(encoding="utf-8"), document)
    return any(b.kind == "console" and not b.not_run for b in blocks)


PAGES = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md")),
         *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("examples/*/README.md"))]
DOCUMENTS = [page for page in PAGES if runs_examples(page)]


def test_every_page_of_the_guide_with_examples_is_run():
    assert {"README.md", "docs/plugins.md", "docs/runs.md", "docs/sweeps.md", "docs/metrics.md", "docs/checkpoints.md",
            "docs/reports.md", "docs/errors.md", "examples/digits/README.md"} <= set(DOCUMENTS)
    assert "docs/watch.md" not in DOCUMENTS  # its one example is a server: not run


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
