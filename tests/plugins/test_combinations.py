"""Any registered optimizer trains any built-in model; the hand-written models never use autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from runner.status import RunStatus

MODELS = ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic")
OPTIMIZERS = ("gd", "sgd", "adam", "adamw")
TINY = ("batch=8", "d_in=20", "hidden=5", "d_out=3")  # --set style: dataset and model params


def snapshot(params):
    return [np.array(p, copy=True) if isinstance(p, np.ndarray) else p.detach().clone() for p in params]


def changed(before, after):
    for b, a in zip(before, after):
        a = np.asarray(a) if isinstance(a, np.ndarray) else a.detach().cpu().numpy()
        b = np.asarray(b) if isinstance(b, np.ndarray) else b.cpu().numpy()
        if not np.array_equal(a, b):
            return True
    return False


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("model", MODELS)
def test_any_optimizer_trains_any_model(registry, model, optimizer):
    from runner.config import resolve
    from runner.training import engine

    cfg = resolve(registry, model=model, optimizer=optimizer, steps=3, seed=0, device="cpu", sets=TINY)
    assert cfg.config.dataset_params == {"batch": 8, "d_in": 20, "d_out": 3}
    assert cfg.config.model_params == {"hidden": 5}
    trainer = engine.prepare(cfg)
    params = list(trainer.model.parameters())
    before = snapshot(params)
    rows = []
    outcome = engine.train(trainer, 3, sink=lambda got, _: rows.extend(got))

    assert outcome.status == RunStatus.COMPLETED, outcome.error
    assert len(rows) == 3
    assert all(math.isfinite(loss) for _, loss, _ in rows)
    assert changed(before, list(trainer.model.parameters()))
    assert [id(p) for p in trainer.model.parameters()] == [id(p) for p in params]  # updated in place
    assert trainer.x.shape == (8, 20) and trainer.y.shape == (8, 3)


@pytest.mark.parametrize("model", ["numpy", "tensor"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_hand_written_models_never_use_autograd(trained, model, optimizer):
    trainer, outcome, _ = trained(model=model, optimizer=optimizer, steps=3, seed=0, sets=TINY)
    assert outcome.status == RunStatus.COMPLETED
    loss, grads = trainer.model.loss_and_grads(trainer.x, trainer.y)
    params = list(trainer.model.parameters())
    if model == "numpy":
        assert all(isinstance(p, np.ndarray) and p.dtype == np.float64 for p in params + grads)
        assert isinstance(loss, np.floating)
        return
    assert loss.dim() == 0 and loss.dtype == torch.float32
    assert loss.grad_fn is None and not loss.requires_grad
    for p, g in zip(params, grads):
        assert not p.requires_grad and p.grad_fn is None
        assert not g.requires_grad and g.grad_fn is None


def test_tensor_net_needs_no_autograd_at_all(registry):
    """With autograd switched off entirely, the tensor model still trains, and gets the same losses."""
    from runner.config import resolve
    from runner.training import engine

    cfg = resolve(registry, model="tensor", steps=5, seed=0, device="cpu", sets=TINY)
    rows_plain, rows_no_grad = [], []
    engine.train(engine.prepare(cfg), 5, sink=lambda got, _: rows_plain.extend(got))
    with torch.inference_mode():
        engine.train(engine.prepare(cfg), 5, sink=lambda got, _: rows_no_grad.extend(got))
    assert [r[1] for r in rows_no_grad] == [r[1] for r in rows_plain]


@pytest.mark.parametrize("model", MODELS)
def test_one_seed_one_run(trained, model):
    _, _, first = trained(model=model, steps=3, seed=11, sets=TINY)
    _, _, again = trained(model=model, steps=3, seed=11, sets=TINY)
    _, _, other = trained(model=model, steps=3, seed=12, sets=TINY)
    assert first == again
    assert first != other


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("model", [m for m in MODELS if m != "numpy"])
def test_same_starting_point_on_gpu(trained, model):
    """Weights are drawn on the CPU, then moved: a seed gives the same first loss on every device."""
    _, _, on_cpu = trained(model=model, steps=1, seed=0, device="cpu")
    trainer, _, on_gpu = trained(model=model, steps=1, seed=0, device="cuda")
    assert all(p.device.type == "cuda" for p in trainer.model.parameters())
    assert trainer.x.device.type == "cuda"
    assert on_gpu[0] == pytest.approx(on_cpu[0], rel=1e-4)
