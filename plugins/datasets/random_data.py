"""The random dataset: x then y from the global generators, imported when a run builds it."""


def build(backend, batch=64, d_in=1000, d_out=10):
    """``(x, y)`` on the CPU: float64 NumPy arrays, or float32 torch tensors."""
    if backend == "numpy":
        import numpy as np

        x = np.random.randn(batch, d_in)
        y = np.random.randn(batch, d_out)
        return x, y
    if backend == "torch":
        import torch

        return torch.randn(batch, d_in), torch.randn(batch, d_out)  # x, then y: the tutorial's order
    raise ValueError(f"the random dataset has no {backend!r} backend; use numpy or torch")


def shapes(batch=64, d_in=1000, d_out=10):
    """The shapes ``build`` returns, without drawing them."""
    return (batch, d_in), (batch, d_out)
