"""The hand-written backward passes agree with autograd; MyReLU passes gradcheck."""

from __future__ import annotations

import numpy as np
import torch

D_IN, H, D_OUT, N = 30, 12, 4, 16


def autograd_reference(x, y, w1, w2):
    """Loss and gradients of the tutorial's net, from autograd, in float64."""
    w1 = torch.as_tensor(w1, dtype=torch.float64).clone().requires_grad_()
    w2 = torch.as_tensor(w2, dtype=torch.float64).clone().requires_grad_()
    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64)
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    loss.backward()
    return loss.item(), w1.grad.numpy(), w2.grad.numpy()


def test_numpy_gradients_equal_autograd():
    from runner_plugins.numpy_net.model import NumpyNet

    np.random.seed(3)
    x, y = np.random.randn(N, D_IN), np.random.randn(N, D_OUT)
    model = NumpyNet(D_IN, H, D_OUT)
    loss, (g1, g2) = model.loss_and_grads(x, y)
    want_loss, want1, want2 = autograd_reference(x, y, model.w1, model.w2)

    assert model.w1.dtype == model.w2.dtype == g1.dtype == g2.dtype == np.float64
    assert g1.shape == model.w1.shape and g2.shape == model.w2.shape
    np.testing.assert_allclose(loss, want_loss, rtol=1e-12)
    np.testing.assert_allclose(g1, want1, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g2, want2, rtol=1e-10, atol=1e-10)


def test_tensor_gradients_equal_autograd():
    from runner_plugins.tensor_net.model import TensorNet

    torch.manual_seed(3)
    model = TensorNet(D_IN, H, D_OUT)
    assert model.w1.dtype == torch.float32  # the tutorial's dtype
    model.w1, model.w2 = model.w1.double(), model.w2.double()  # float64 for a tight comparison
    x, y = torch.randn(N, D_IN, dtype=torch.float64), torch.randn(N, D_OUT, dtype=torch.float64)

    loss, (g1, g2) = model.loss_and_grads(x, y)
    want_loss, want1, want2 = autograd_reference(x, y, model.w1, model.w2)

    assert loss.dim() == 0 and loss.grad_fn is None
    np.testing.assert_allclose(loss.item(), want_loss, rtol=1e-12)
    np.testing.assert_allclose(g1.numpy(), want1, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g2.numpy(), want2, rtol=1e-10, atol=1e-10)


def test_numpy_and_tensor_nets_agree_on_the_same_weights():
    from runner_plugins.numpy_net.model import NumpyNet
    from runner_plugins.tensor_net.model import TensorNet

    np.random.seed(5)
    x, y = np.random.randn(N, D_IN), np.random.randn(N, D_OUT)
    numpy_net = NumpyNet(D_IN, H, D_OUT)
    tensor_net = TensorNet(D_IN, H, D_OUT)
    tensor_net.w1, tensor_net.w2 = torch.from_numpy(numpy_net.w1.copy()), torch.from_numpy(numpy_net.w2.copy())

    loss_np, grads_np = numpy_net.loss_and_grads(x, y)
    loss_t, grads_t = tensor_net.loss_and_grads(torch.from_numpy(x), torch.from_numpy(y))
    np.testing.assert_allclose(loss_t.item(), loss_np, rtol=1e-12)
    for g_t, g_np in zip(grads_t, grads_np):
        np.testing.assert_allclose(g_t.numpy(), g_np, rtol=1e-10, atol=1e-10)


def test_myrelu_passes_gradcheck():
    from runner_plugins.myrelu_net.model import MyReLU

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(20, 7, dtype=torch.float64, generator=generator)
    x = x + 0.1 * x.sign()  # keep clear of the kink at 0, where finite differences are meaningless
    x.requires_grad_()
    assert torch.autograd.gradcheck(MyReLU.apply, (x,), eps=1e-6, atol=1e-8)


def test_myrelu_matches_clamp_forward_and_backward():
    from runner_plugins.myrelu_net.model import MyReLU

    generator = torch.Generator().manual_seed(1)
    x = torch.randn(50, 9, dtype=torch.float64, generator=generator).requires_grad_()
    upstream = torch.randn(50, 9, dtype=torch.float64, generator=generator)
    out = MyReLU.apply(x)
    (grad,) = torch.autograd.grad(out, x, upstream)
    assert torch.equal(out, x.detach().clamp(min=0))
    assert torch.equal(grad, torch.where(x.detach() < 0, torch.zeros_like(upstream), upstream))
