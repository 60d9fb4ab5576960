"""The tutorial's "PyTorch: Tensors" section: the same net on torch tensors, backward by hand."""

from runner import ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


def build(d_in, d_out, device, hidden=100):
    """Draw ``w1`` then ``w2`` on the CPU with torch's global generator, then move them to ``device``."""
    from .model import TensorNet

    return TensorNet(d_in, hidden, d_out, device)


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="tensor",
            build=build,
            backend="torch",
            optimizer="gd",
            lr=1e-6,
            params={"hidden": 100},
            shapes=BATCH_OF_VECTORS,  # x is (n, d_in), y is (n, d_out)
            description="two-layer ReLU net on torch tensors, gradients by hand, no autograd (tutorial: Tensors)",
        )
    )
