"""The dataset's split and the model's protocol, checked directly on runner_digits' functions."""

import numpy as np
import pytest
import torch
from runner_digits import data
from runner_digits.mlp import build_model


def rows(x):
    return {row.tobytes() for row in np.asarray(x)}


def test_the_split_is_disjoint_and_covers_every_image():
    from sklearn.datasets import load_digits

    x, y = data.build("numpy")
    xv, yv = data.validation("numpy")
    assert len(x) == len(y) == 1438 and len(xv) == len(yv) == 359
    assert not rows(x) & rows(xv)  # the 1797 images are distinct, so rows identify them
    images, _ = load_digits(return_X_y=True)
    assert rows(x) | rows(xv) == rows((images / 16.0).astype(np.float32))


def test_the_split_is_the_same_for_every_seed_and_draws_nothing_from_the_global_generators():
    np.random.seed(0)
    torch.manual_seed(0)
    first = data.build("numpy") + data.validation("numpy")
    after = (np.random.random(), torch.rand(()).item())
    np.random.seed(0)
    torch.manual_seed(0)
    data.build("numpy")
    data.validation("numpy")
    assert (np.random.random(), torch.rand(()).item()) == after
    np.random.seed(123)
    again = data.build("numpy") + data.validation("numpy")
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


@pytest.mark.parametrize("split", [data.build, data.validation])
def test_features_in_0_1_as_float32_and_labels_as_int64_class_indices(split):
    x, y = split("numpy")
    assert x.dtype == np.float32 and x.shape[1:] == (64,) and 0 <= x.min() and x.max() <= 1
    assert y.dtype == np.int64 and y.shape == (len(x),) and set(np.unique(y)) == set(range(10))
    xt, yt = split("torch")
    assert xt.dtype == torch.float32 and yt.dtype == torch.int64 and xt.device.type == "cpu"
    assert np.array_equal(xt.numpy(), x) and np.array_equal(yt.numpy(), y)


@pytest.mark.parametrize("holdout", [0.2, 0.5, 0.01])
def test_shapes_are_what_build_gives(holdout):
    x, y = data.build("numpy", holdout=holdout)
    xv, _ = data.validation("numpy", holdout=holdout)
    assert data.shapes(holdout=holdout) == (x.shape, y.shape)
    assert len(x) + len(xv) == 1797


@pytest.mark.parametrize("holdout", [0, 1, -0.2, 1.5, 0.0001, True, "0.2"])
def test_a_holdout_that_is_not_a_fraction_is_refused(holdout):
    with pytest.raises(ValueError, match="holdout"):
        data.shapes(holdout=holdout)


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="no 'jax' backend"):
        data.build("jax")


def test_a_step_reports_the_batch_accuracy_of_its_own_forward_pass():
    torch.manual_seed(0)
    model = build_model(64, 10, torch.device("cpu"), hidden=16)
    x, y = data.build("torch")
    loss, grads, metrics = model.loss_and_grads(x, y)
    params = list(model.parameters())
    assert loss.shape == () and not loss.requires_grad
    assert [g.shape for g in grads] == [p.shape for p in params]
    (accuracy,) = metrics.values()
    assert list(metrics) == ["accuracy"] and accuracy.shape == () and not accuracy.requires_grad
    with torch.no_grad():
        assert accuracy == (model.net(x).argmax(dim=1) == y).float().mean()


def test_evaluation_gives_loss_and_accuracy_and_changes_nothing():
    torch.manual_seed(0)
    model = build_model(64, 10, torch.device("cpu"))
    x, y = data.build("torch")
    xv, yv = data.validation("torch")
    model.loss_and_grads(x, y)
    before = [(p.detach().clone(), p.grad.clone()) for p in model.parameters()]
    values = model.evaluate(xv, yv)
    assert sorted(values) == ["accuracy", "loss"]
    assert all(v.shape == () and not v.requires_grad for v in values.values())
    assert 0 <= values["accuracy"] <= 1 and values["loss"] > 0
    for p, (value, grad) in zip(model.parameters(), before):
        assert torch.equal(p, value) and torch.equal(p.grad, grad)
