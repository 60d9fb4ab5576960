"""CUDA paths: run only where a GPU exists (skipped elsewhere)."""

import warnings

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("model", ["autograd", "sequential", "module", "dynamic"])
def test_the_loop_does_not_sync_per_step(registry, model):
    from runner.config import resolve
    from runner.request import RunChoice
    from runner.training.engine import prepare, train
    from runner.training.options import ExecOptions

    trainer = prepare(resolve(registry, RunChoice(model, steps=300, device="cuda:0")))
    rows = []
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = train(trainer, 300, lambda got, _: rows.extend(got), ExecOptions(flush_seconds=3600))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message)]
    assert outcome.status == "completed" and len(rows) == 300
    assert len(syncs) <= 3, [str(w.message) for w in syncs[:5]]  # the block copies, not one per step


def test_a_run_on_cuda_is_recorded_with_its_device(cli, store):
    cli("run", "--model", "dynamic", "--device", "cuda:0", "--steps", "50")
    record = store.get_run(1)
    assert record.device == "cuda:0" and record.status == "completed" and record.steps_done == 50


def test_auto_picks_the_gpu(registry):
    from runner.training.devices import resolve_device

    assert resolve_device("auto", "torch").type == "cuda"
    assert resolve_device("auto", "numpy") == "cpu"


def test_a_sweep_places_auto_runs_on_the_gpu(cli, store):
    cli("run", "--model", "autograd,dynamic", "--steps", "30", "--device", "auto,cpu", "--sweep", "gpu", "-j", "2")
    devices = sorted(r.device for r in store.list_runs(sweep="gpu"))
    assert devices == ["cpu", "cpu", "cuda:0", "cuda:0"]


def test_metrics_tracking_batches_and_evaluation_add_no_per_step_sync(metric_registry):
    """Metric values ride in the loss's device block, evaluation syncs once each, and a batch's rows never wait."""
    from runner.config import resolve
    from runner.request import RunChoice
    from runner.training.engine import prepare, train
    from runner.training.options import ExecOptions

    resolved = resolve(metric_registry, RunChoice("metered", steps=300, device="cuda:0", eval_every=100, batch_size=32,
                                                  track=("lr", "grad_norm", "param_norm")))
    trainer = prepare(resolved)
    rows, metric_rows = [], []
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = train(trainer, 300, lambda r, m: (rows.extend(r), metric_rows.extend(m)),
                            ExecOptions(flush_seconds=3600))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message)]
    assert outcome.status == "completed" and len(rows) == 300, outcome.error
    assert {n for n, _, _ in metric_rows} == {"mae", "max_error", "lr", "grad_norm", "param_norm", "val_loss", "val_mae",
                                              "val_max_error"}
    assert len(syncs) <= 3 + 3, [str(w.message) for w in syncs[:5]]  # the block copies and evaluations, not one per step



@pytest.mark.parametrize("model", ["module", "dynamic"])
def test_a_cuda_run_resumes_from_its_checkpoint(registry, model):
    """Its checkpoint is on the host, holds the GPU's generator state, and a resumed run on the GPU continues it."""
    from runner.checkpoints.codec import decode, encode
    from runner.checkpoints.state import capture, restore
    from runner.config import resolve
    from runner.request import RunChoice
    from runner.training.checkpointing import checkpoints
    from runner.training.engine import prepare, train

    resolved = resolve(registry, RunChoice(model, "adam", 1e-3, steps=20, device="cuda:0", batch_size=16))
    whole, head, tail, saved = [], [], [], []
    train(prepare(resolved), 20, lambda got, _: whole.extend(got))
    first = prepare(resolved)
    keep = checkpoints("8 steps", lambda done, seconds: saved.append(encode(capture(first, done, seconds))))
    train(first, 20, lambda got, _: head.extend(got), handlers=[keep])
    checkpoint = decode(saved[0])
    assert checkpoint.step == 8 and "cuda" in checkpoint.generators
    assert all(p.device.type == "cpu" for p in checkpoint.params)
    second = prepare(resolved)
    restore(second, checkpoint)
    train(second, 20, lambda got, _: tail.extend(got), start=8, elapsed=checkpoint.elapsed)
    assert [r[0] for r in tail] == list(range(8, 20))
    assert [r[1] for r in tail] == pytest.approx([r[1] for r in whole[8:]], rel=1e-5)
