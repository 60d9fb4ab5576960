"""The tutorial's "PyTorch: Tensors and autograd" section."""

from .. import tutorial_net

register_models = tutorial_net(
    __name__,
    name="autograd",
    backend="torch",
    optimizer="gd",
    lr=1e-6,
    description="two-layer ReLU net on raw tensors, gradients from autograd (tutorial: autograd)",
)
