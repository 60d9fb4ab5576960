"""The tutorial's "PyTorch: Defining new autograd functions" section (MyReLU)."""

from .. import tutorial_net

register_models = tutorial_net(
    __name__,
    name="myrelu",
    backend="torch",
    optimizer="gd",
    lr=1e-6,
    description="two-layer net with a custom autograd Function MyReLU (tutorial: new autograd functions)",
)
