"""The tutorial's "PyTorch: nn" section: an nn.Sequential and MSELoss(reduction='sum')."""

from .. import tutorial_net

register_models = tutorial_net(
    __name__,
    name="sequential",
    backend="torch",
    optimizer="gd",
    lr=1e-4,
    description="nn.Sequential(Linear, ReLU, Linear) with MSELoss(reduction='sum') (tutorial: nn)",
)
