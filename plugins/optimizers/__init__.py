"""The update rules: gd (the tutorial's ``w -= lr * grad``), sgd, adam, adamw and rmsprop.

Each has a torch builder (a ``torch.optim.Optimizer``) and a NumPy builder
(same math, updating the arrays in place), so any model can use any rule.
The builders import ``torch_rules`` or ``numpy_rules`` only when called.
"""

from runner import OptimizerSpec, hookimpl

SGD_OPTIONS = {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
ADAM_OPTIONS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
ADAMW_OPTIONS = {**ADAM_OPTIONS, "weight_decay": 0.01}
RMSPROP_OPTIONS = {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}


def gd_torch(params, lr, **options):
    from .torch_rules import GD

    return GD(params, lr=lr, **options)


def gd_numpy(params, lr, **options):
    from .numpy_rules import GD

    return GD(params, lr=lr, **options)


def sgd_torch(params, lr, **options):
    from .torch_rules import sgd

    return sgd(params, lr=lr, **options)


def sgd_numpy(params, lr, **options):
    from .numpy_rules import SGD

    return SGD(params, lr=lr, **options)


def adam_torch(params, lr, **options):
    from .torch_rules import adam

    return adam(params, lr=lr, **options)


def adam_numpy(params, lr, **options):
    from .numpy_rules import Adam

    return Adam(params, lr=lr, **options)


def adamw_torch(params, lr, **options):
    from .torch_rules import adamw

    return adamw(params, lr=lr, **options)


def adamw_numpy(params, lr, **options):
    from .numpy_rules import AdamW

    return AdamW(params, lr=lr, **options)


def rmsprop_torch(params, lr, **options):
    from .torch_rules import rmsprop

    return rmsprop(params, lr=lr, **options)


def rmsprop_numpy(params, lr, **options):
    from .numpy_rules import RMSprop

    return RMSprop(params, lr=lr, **options)


@hookimpl
def register_optimizers(register):
    register(
        OptimizerSpec(
            name="gd",
            torch=gd_torch,
            numpy=gd_numpy,
            options={},
            description="plain gradient descent, exactly the tutorial's w -= lr * grad",
        )
    )
    register(
        OptimizerSpec(
            name="sgd",
            torch=sgd_torch,
            numpy=sgd_numpy,
            options=dict(SGD_OPTIONS),
            description="torch.optim.SGD: momentum, dampening, Nesterov, L2 weight decay",
        )
    )
    register(
        OptimizerSpec(
            name="adam",
            torch=adam_torch,
            numpy=adam_numpy,
            options=dict(ADAM_OPTIONS),
            description="torch.optim.Adam: bias-corrected moments, AMSGrad, L2 weight decay",
        )
    )
    register(
        OptimizerSpec(
            name="adamw",
            torch=adamw_torch,
            numpy=adamw_numpy,
            options=dict(ADAMW_OPTIONS),
            description="torch.optim.AdamW: Adam with decoupled weight decay",
        )
    )
    register(
        OptimizerSpec(
            name="rmsprop",
            torch=rmsprop_torch,
            numpy=rmsprop_numpy,
            options=dict(RMSPROP_OPTIONS),
            description="torch.optim.RMSprop: squared-gradient average, centered, momentum, L2 weight decay",
        )
    )
