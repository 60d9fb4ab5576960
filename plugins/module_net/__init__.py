"""The tutorial's "PyTorch: Custom nn Modules" section: TwoLayerNet, trained with SGD."""

from .. import tutorial_net

register_models = tutorial_net(
    __name__,
    name="module",
    backend="torch",
    optimizer="sgd",
    lr=1e-4,
    description="TwoLayerNet(nn.Module) with MSELoss(reduction='sum') (tutorial: custom nn Modules)",
)
