"""A test-only model whose build raises (loaded with RUNNER_PLUGINS): its run must fail naming the plugin."""

from runner import ModelSpec, hookimpl


def build(d_in, d_out, device):
    raise RuntimeError("build exploded")


@hookimpl
def register_models(register):
    register(ModelSpec(name="build_raises", build=build, backend="numpy", optimizer="gd"))
