"""The tutorial's "PyTorch: Tensors and autograd" section."""

from runner import ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


def build(d_in, d_out, device, hidden=100):
    """Draw ``w1`` then ``w2`` on the CPU, move them to ``device``, then make them require grad."""
    from .model import build_model

    return build_model(d_in, hidden, d_out, device)


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="autograd",
            build=build,
            backend="torch",
            optimizer="gd",
            lr=1e-6,
            params={"hidden": 100},
            shapes=BATCH_OF_VECTORS,  # x is (n, d_in), y is (n, d_out)
            description="two-layer ReLU net on raw tensors, gradients from autograd (tutorial: autograd)",
        )
    )
