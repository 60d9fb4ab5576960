"""A plugin whose register_models is a hook wrapper (unsupported) and whose register_datasets is fine."""

from runner import DatasetSpec, ModelSpec, hookimpl


@hookimpl(wrapper=True)
def register_models(register):
    register(ModelSpec(name="wrapped", build=lambda *a, **k: None))
    return (yield)


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="beside_a_wrapper", build=lambda backend: ([0.0], [0.0])))
