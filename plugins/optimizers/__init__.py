"""The update rules: gd (the tutorial's ``w -= lr * grad``), sgd, adam, adamw and rmsprop.

Each has a torch builder (a ``torch.optim.Optimizer``) and a NumPy builder
(same math, updating the arrays in place), so any model can use any rule.
The builders import ``torch_rules`` or ``numpy_rules`` only when called.
"""

from collections.abc import Mapping
from typing import Any

from runner import OptimizerSpec, hookimpl
from runner.specs import above, at_least, fraction, lazy

SGD_OPTIONS = {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
ADAM_OPTIONS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
ADAMW_OPTIONS = {**ADAM_OPTIONS, "weight_decay": 0.01}
RMSPROP_OPTIONS = {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}
# The valid values of every rule's options (a rule checks the ones it has), as torch.optim refuses the rest.
CHECKS = {"momentum": at_least(0), "dampening": at_least(0), "weight_decay": at_least(0), "eps": above(0),
          "betas": fraction(), "alpha": fraction()}


# name, torch builder, NumPy builder (in torch_rules and numpy_rules), option defaults, description
RULES: tuple[tuple[str, str, str, Mapping[str, Any], str], ...] = (
    ("gd", "GD", "GD", {}, "plain gradient descent, exactly the tutorial's w -= lr * grad"),
    ("sgd", "sgd", "SGD", SGD_OPTIONS, "torch.optim.SGD: momentum, dampening, Nesterov, L2 weight decay"),
    ("adam", "adam", "Adam", ADAM_OPTIONS, "torch.optim.Adam: bias-corrected moments, AMSGrad, L2 weight decay"),
    ("adamw", "adamw", "AdamW", ADAMW_OPTIONS, "torch.optim.AdamW: Adam with decoupled weight decay"),
    ("rmsprop", "rmsprop", "RMSprop", RMSPROP_OPTIONS,
     "torch.optim.RMSprop: squared-gradient average, centered, momentum, L2 weight decay"),
)


@hookimpl
def register_optimizers(register):
    for name, torch_rule, numpy_rule, options, description in RULES:
        register(
            OptimizerSpec(
                name=name,
                torch=lazy(f".torch_rules:{torch_rule}", __name__),
                numpy=lazy(f".numpy_rules:{numpy_rule}", __name__),
                options=dict(options),
                description=description,
                checks={key: check for key, check in CHECKS.items() if key in options},
            )
        )
