"""The tutorial's "PyTorch: Tensors" section: the same net on torch tensors, backward by hand."""

from .. import tutorial_net

register_models = tutorial_net(
    __name__,
    name="tensor",
    backend="torch",
    optimizer="gd",
    lr=1e-6,
    description="two-layer ReLU net on torch tensors, gradients by hand, no autograd (tutorial: Tensors)",
)
