"""Run runner's CLI as a fresh install would: with the plugins of the named distributions only.

    python tests/support/fresh_install.py DIST[,DIST] [runner arguments...]

tests/test_documented_errors.py runs each documented command this way, so
that a plugin package that happens to be installed where the tests run
(examples/sine, say) does not change the lists of names the documents
quote; a document that needs one says so with ``pip install -e PATH``.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def only(distributions: set[str]) -> None:
    """Hide every ``runner`` entry point that is not from one of ``distributions``."""
    real = importlib.metadata.entry_points
    wanted = {normalized(d) for d in distributions}

    def entry_points(**params):
        found = real(**params)
        if params.get("group") != "runner":
            return found
        return importlib.metadata.EntryPoints(ep for ep in found if ep.dist and normalized(ep.dist.name) in wanted)

    importlib.metadata.entry_points = entry_points


if __name__ == "__main__":
    only(set(sys.argv[1].split(",")))
    from runner.cli import main

    main(sys.argv[2:], prog_name="runner")
