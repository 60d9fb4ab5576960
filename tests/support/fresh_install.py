"""Run runner's CLI as a fresh install would: with the plugins of the named distributions only.

    python tests/support/fresh_install.py DIST[,DIST] [runner arguments...]

tests/test_documented_errors.py runs each documented command this way, so
that a plugin package that happens to be installed where the tests run
(examples/sine, say) does not change the lists of names the documents
quote; a document that needs one says so with ``pip install -e PATH``.
It is $RUNNER_PLUGIN_PACKAGES (runner.registry.plugin_entry_points), set
before the CLI starts.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    from runner.registry import PACKAGES_VARIABLE

    os.environ[PACKAGES_VARIABLE] = sys.argv[1]
    from runner.cli import main

    main(sys.argv[2:], prog_name="runner")
