"""runner.training.threads: the count a run sets by the rule, and the count it records, truthfully."""

from __future__ import annotations

import sys

import pytest

from runner.training.threads import BLAS_VARIABLES, apply_threads, wanted


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    import torch

    for variable in BLAS_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_the_rule_is_the_option_then_omp_num_threads_then_the_library_s_default(monkeypatch):
    assert wanted(None) is None and wanted(3) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "2,1")  # OpenMP's nested form: the first level counts
    assert wanted(None) == 2 and wanted(3) == 3


def test_a_torch_run_sets_and_records_torch_s_count():
    import torch

    assert apply_threads(1, "torch") == 1 == torch.get_num_threads()
    assert apply_threads(None, "torch") == torch.get_num_threads()  # left as it is


def test_without_threadpoolctl_a_numpy_run_records_what_its_process_started_with(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # not installed
    assert apply_threads(None, "numpy") is None  # nothing set: not known, rather than a guess
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert apply_threads(None, "numpy") == 3 and capsys.readouterr().err == ""
    assert apply_threads(2, "numpy") == 3  # what the BLAS has, not what was asked
    assert "cannot be set to 2 in a running process without threadpoolctl" in capsys.readouterr().err
