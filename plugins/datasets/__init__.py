"""The tutorial's dataset: random x and y, drawn x first, then y."""

from runner import DatasetSpec, hookimpl
from runner.specs import lazy

from .. import within

# Sanity bounds, refused up front: larger is a typo, and would not fit in memory (batch x d_in numbers are drawn).
MAX_BATCH = 1_000_000
MAX_WIDTH = 100_000


@hookimpl
def register_datasets(register):
    register(
        DatasetSpec(
            name="random",
            build=lazy(".random_data:build", __name__),
            params={"batch": 64, "d_in": 1000, "d_out": 10},
            checks={"batch": within(1, MAX_BATCH), "d_in": within(1, MAX_WIDTH), "d_out": within(1, MAX_WIDTH)},
            shapes=lazy(".random_data:shapes", __name__),
            description="the tutorial's random inputs x (batch x d_in) and targets y (batch x d_out)",
        )
    )
