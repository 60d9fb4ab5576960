"""The tutorial's dataset: random x and y, drawn x first, then y."""

from runner import DatasetSpec, hookimpl
from runner.specs import lazy


@hookimpl
def register_datasets(register):
    register(
        DatasetSpec(
            name="random",
            build=lazy(".random_data:build", __name__),
            params={"batch": 64, "d_in": 1000, "d_out": 10},
            shapes=lazy(".random_data:shapes", __name__),
            description="the tutorial's random inputs x (batch x d_in) and targets y (batch x d_out)",
        )
    )
