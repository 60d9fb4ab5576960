"""The update rules: gd (the tutorial's ``w -= lr * grad``), sgd, adam, adamw and rmsprop.

Each has a torch builder (a ``torch.optim.Optimizer``) and a NumPy builder
(same math, updating the arrays in place), so any model can use any rule.
The builders import ``torch_rules`` or ``numpy_rules`` only when called.
"""

from runner import OptimizerSpec, hookimpl
from runner.specs import lazy

SGD_OPTIONS = {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
ADAM_OPTIONS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
ADAMW_OPTIONS = {**ADAM_OPTIONS, "weight_decay": 0.01}
RMSPROP_OPTIONS = {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}


@hookimpl
def register_optimizers(register):
    register(
        OptimizerSpec(
            name="gd",
            torch=lazy(".torch_rules:GD", __name__),
            numpy=lazy(".numpy_rules:GD", __name__),
            options={},
            description="plain gradient descent, exactly the tutorial's w -= lr * grad",
        )
    )
    register(
        OptimizerSpec(
            name="sgd",
            torch=lazy(".torch_rules:sgd", __name__),
            numpy=lazy(".numpy_rules:SGD", __name__),
            options=dict(SGD_OPTIONS),
            description="torch.optim.SGD: momentum, dampening, Nesterov, L2 weight decay",
        )
    )
    register(
        OptimizerSpec(
            name="adam",
            torch=lazy(".torch_rules:adam", __name__),
            numpy=lazy(".numpy_rules:Adam", __name__),
            options=dict(ADAM_OPTIONS),
            description="torch.optim.Adam: bias-corrected moments, AMSGrad, L2 weight decay",
        )
    )
    register(
        OptimizerSpec(
            name="adamw",
            torch=lazy(".torch_rules:adamw", __name__),
            numpy=lazy(".numpy_rules:AdamW", __name__),
            options=dict(ADAMW_OPTIONS),
            description="torch.optim.AdamW: Adam with decoupled weight decay",
        )
    )
    register(
        OptimizerSpec(
            name="rmsprop",
            torch=lazy(".torch_rules:rmsprop", __name__),
            numpy=lazy(".numpy_rules:RMSprop", __name__),
            options=dict(RMSPROP_OPTIONS),
            description="torch.optim.RMSprop: squared-gradient average, centered, momentum, L2 weight decay",
        )
    )
