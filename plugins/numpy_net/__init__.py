"""The tutorial's first section: a two-layer net in NumPy, forward and backward by hand."""

from runner import ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


def build(d_in, d_out, device, hidden=100):
    """Draw ``w1`` then ``w2`` from NumPy's global generator; ``device`` is always ``"cpu"``."""
    from .model import NumpyNet

    return NumpyNet(d_in, hidden, d_out)


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="numpy",
            build=build,
            backend="numpy",
            optimizer="gd",
            lr=1e-6,
            params={"hidden": 100},
            shapes=BATCH_OF_VECTORS,  # x is (n, d_in), y is (n, d_out)
            description="two-layer ReLU net in NumPy, gradients by hand (tutorial: Warm-up: numpy)",
        )
    )
