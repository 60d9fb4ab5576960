from runner import ModelSpec, hookimpl


@hookimpl
def register_models(register):
    register(ModelSpec(name="dynamic", build=lambda *a, **k: None))  # taken by the built-in
    register("not a spec")
    register(ModelSpec(name="fresh_name", build=lambda *a, **k: None, backend="numpy", optimizer="gd"))
