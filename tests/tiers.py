"""The two test tiers. ``pytest`` (the README's command) runs the fast tier: units and a few end-to-end smoke
runs, every module of runner touched, in under two minutes on a quiet 2-core machine. ``pytest -m full`` runs
the rest: fidelity at 500 steps, chaos, database faults, real sweeps on the local pool, Dask and SLURM,
headless-browser checks, the examples and the docs' console examples. CI runs both (.ci/run).

A module belongs to the full tier when it is listed here; a test elsewhere joins it with
``@pytest.mark.full`` (or ``slow``, its older name). Everything else is fast.
"""

from __future__ import annotations

import pytest

FULL_MODULES = frozenset({
    "tests/cli/test_checkpoints.py",  # kill -9 and Ctrl-C then resume, through real processes
    "tests/cli/test_db_faults.py",  # terminated connections, held locks, a disk that fills
    "tests/cli/test_executors.py",
    "tests/cli/test_plugins_new.py",  # the scaffold installs a package into a new environment
    "tests/cli/test_processes.py",  # SIGSTOP, SIGKILL, other hosts' silent runs
    "tests/cli/test_sweep_stop.py",  # runner stop and SIGSTOP against real sweeps of 10 s runs
    "tests/cli/test_sweeps.py",
    "tests/examples/test_digits_example.py",
    "tests/examples/test_sine_example.py",
    "tests/faults/test_chaos.py",
    "tests/plugins/test_fidelity.py",  # every tutorial model for 500 steps against the tutorial's own code
    "tests/report/test_browser.py",
    "tests/execution/test_dask_executor.py",
    "tests/test_examples_in_docs.py",  # every console example of the README and docs, run as a story
    "tests/execution/test_slurm_executor.py",
    "tests/watch/test_browser.py",
})

# Single tests of fast modules that take seconds: each has quicker siblings in the fast tier.
FULL_TESTS = frozenset({
    "tests/test_readme.py::test_the_readme_plugin_example_trains",
    "tests/test_conformance.py::test_what_does_not_apply_is_skipped_and_passes",
    "tests/test_conformance.py::test_another_plugin_that_hangs_is_timed_apart_and_warned_about",
    "tests/store/test_store_concurrency.py::test_writers_in_separate_processes_share_one_sqlite_file",
    "tests/report/test_reading.py::test_a_big_report_stays_within_a_size_bound_set_by_what_is_drawn",
    "tests/training/test_engine.py::test_training_waits_for_the_store_once_the_memory_bound_is_reached",
    # some 15 s of waiting on a watch server's hundreds of connections (a second's CPU); the module's other
    # tests (idle close, host refusals) keep runner.watch's server in the fast tier
    "tests/watch/test_guards.py::test_idle_connections_are_bounded_and_the_page_is_served_again_once_they_go",
})


def assign(items: list[pytest.Item], root: str) -> None:
    """Mark every test of the full tier ``full``."""
    for item in items:
        where = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        test = f"{where}::{item.originalname}"
        if where in FULL_MODULES or test in FULL_TESTS or item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.full)
