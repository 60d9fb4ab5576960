"""Mini-batches (--batch-size): epochs without replacement, seeded apart from the global generators."""

from __future__ import annotations

import random

import numpy
import pytest

from runner.training.batches import BatchSampler
from tests.support.training import record


def epochs(sampler, count):
    return [[int(i) for i in sampler.indices()] for _ in range(count)]


def test_each_epoch_visits_every_row_once_and_keeps_the_last_partial_batch():
    batches = epochs(BatchSampler(10, 4, seed=0, backend="numpy"), 6)
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    assert sorted(sum(batches[:3], [])) == sorted(sum(batches[3:], [])) == list(range(10))
    assert sum(batches[:3], []) != sum(batches[3:], [])  # a fresh permutation each epoch


def test_batches_follow_the_seed_and_draw_nothing_from_the_global_generators():
    before = random.getstate(), numpy.random.get_state()[1].copy()
    same = epochs(BatchSampler(50, 8, seed=1, backend="numpy"), 7)
    assert same == epochs(BatchSampler(50, 8, seed=1, backend="numpy"), 7)
    assert same != epochs(BatchSampler(50, 8, seed=2, backend="numpy"), 7)
    assert random.getstate() == before[0] and (numpy.random.get_state()[1] == before[1]).all()


def test_torch_batches_are_the_same_rows_sliced_from_a_tensor_permutation():
    torch = pytest.importorskip("torch")
    x, y = torch.arange(20.0).reshape(10, 2), torch.arange(10)
    on_torch = BatchSampler(10, 3, seed=5, backend="torch", device=torch.device("cpu"))
    on_numpy = BatchSampler(10, 3, seed=5, backend="numpy")
    for _ in range(5):
        bx, by = on_torch.next(x, y)
        assert by.tolist() == [int(i) for i in on_numpy.indices()] and torch.equal(bx[:, 0], 2.0 * by)


@pytest.mark.parametrize("size", [0, 11])
def test_a_batch_size_outside_the_split_is_refused(size):
    with pytest.raises(ValueError, match="from 1 to the 10 rows"):
        BatchSampler(10, size, seed=0, backend="numpy")


@pytest.mark.parametrize("model", ["numpy", "dynamic"])
def test_a_mini_batch_run_is_reproducible_and_differs_from_the_full_batch(registry, model):
    sets = ["batch=16", "d_in=5", "d_out=3", "hidden=4"]
    full = record(registry, model, steps=12, sets=sets)
    first = record(registry, model, steps=12, sets=sets, batch_size=5)
    again = record(registry, model, steps=12, sets=sets, batch_size=5)
    assert first.outcome.status == "completed", first.outcome.error
    assert first.losses == again.losses and first.losses != full.losses
    assert first.losses[0] != full.losses[0]  # step 0 already trains on 5 rows, not 16


def test_batch_size_equal_to_the_split_trains_on_every_row_each_step(registry):
    """Each step is then a permutation of all rows: the same loss as the full batch (up to summation order)."""
    sets = ["batch=16", "d_in=5", "d_out=3"]
    full = record(registry, "numpy", steps=5, sets=sets)
    whole = record(registry, "numpy", steps=5, sets=sets, batch_size=16)
    assert whole.losses == pytest.approx(full.losses, rel=1e-9)
