"""The tutorial's "PyTorch: nn" section: an nn.Sequential and MSELoss(reduction='sum')."""

from runner import ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


def build(d_in, d_out, device, hidden=100):
    """Build the layers on the CPU (torch's global generator), then move them to ``device``."""
    from .model import build_model

    return build_model(d_in, hidden, d_out, device)


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="sequential",
            build=build,
            backend="torch",
            optimizer="gd",
            lr=1e-4,
            params={"hidden": 100},
            shapes=BATCH_OF_VECTORS,  # x is (n, d_in), y is (n, d_out)
            description="nn.Sequential(Linear, ReLU, Linear) with MSELoss(reduction='sum') (tutorial: nn)",
        )
    )
