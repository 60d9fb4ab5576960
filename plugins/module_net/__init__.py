"""The tutorial's "PyTorch: Custom nn Modules" section: TwoLayerNet, trained with SGD."""

from runner import ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


def build(d_in, d_out, device, hidden=100):
    """Build the module on the CPU (torch's global generator), then move it to ``device``."""
    from .model import build_model

    return build_model(d_in, hidden, d_out, device)


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="module",
            build=build,
            backend="torch",
            optimizer="sgd",
            lr=1e-4,
            params={"hidden": 100},
            shapes=BATCH_OF_VECTORS,  # x is (n, d_in), y is (n, d_out)
            description="TwoLayerNet(nn.Module) with MSELoss(reduction='sum') (tutorial: custom nn Modules)",
        )
    )
