"""The tutorial's dataset: random x and y, drawn x first, then y."""

from runner import DatasetSpec, hookimpl
from runner.specs import at_least, lazy


@hookimpl
def register_datasets(register):
    register(
        DatasetSpec(
            name="random",
            build=lazy(".random_data:build", __name__),
            params={"batch": 64, "d_in": 1000, "d_out": 10},
            checks={"batch": at_least(1), "d_in": at_least(1), "d_out": at_least(1)},
            shapes=lazy(".random_data:shapes", __name__),
            description="the tutorial's random inputs x (batch x d_in) and targets y (batch x d_out)",
        )
    )
