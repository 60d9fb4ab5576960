"""The tutorial's first section: a two-layer net in NumPy, forward and backward by hand."""

from .. import tutorial_net

register_models = tutorial_net(
    __name__,
    name="numpy",
    backend="numpy",
    optimizer="gd",
    lr=1e-6,
    description="two-layer ReLU net in NumPy, gradients by hand (tutorial: Warm-up: numpy)",
)
