"""The tutorial's "Control Flow + Weight Sharing" section: DynamicNet, SGD with momentum 0.9."""

from .. import tutorial_net

register_models = tutorial_net(
    __name__,
    name="dynamic",
    backend="torch",
    optimizer="sgd",
    lr=1e-4,
    optimizer_options={"momentum": 0.9},
    description="DynamicNet: 0 to 3 shared middle layers per pass (tutorial: control flow + weight sharing)",
)
