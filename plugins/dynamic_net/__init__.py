"""The tutorial's "Control Flow + Weight Sharing" section: DynamicNet, SGD with momentum 0.9."""

from runner import ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


def build(d_in, d_out, device, hidden=100):
    """Build the module on the CPU (torch's global generator), then move it to ``device``.

    Each forward pass draws its depth from Python's global ``random``, which runner seeds.
    """
    from .model import build_model

    return build_model(d_in, hidden, d_out, device)


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="dynamic",
            build=build,
            backend="torch",
            optimizer="sgd",
            lr=1e-4,
            optimizer_options={"momentum": 0.9},
            params={"hidden": 100},
            shapes=BATCH_OF_VECTORS,  # x is (n, d_in), y is (n, d_out)
            description="DynamicNet: 0 to 3 shared middle layers per pass (tutorial: control flow + weight sharing)",
        )
    )
