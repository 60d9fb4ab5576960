"""An optimizer that declares its own default lr, and a model whose recipe uses it with another lr."""

from runner import ModelSpec, OptimizerSpec, hookimpl


def never_built(*args, **kwargs):
    raise AssertionError("resolving a config builds nothing")


@hookimpl
def register_optimizers(register):
    register(OptimizerSpec(name="lion_like", torch=never_built, numpy=never_built, lr=3e-4))


@hookimpl
def register_models(register):
    register(ModelSpec(name="own_lion", build=never_built, optimizer="lion_like", lr=0.02))
