"""runner's built-in plugins: the tutorial's models, its random dataset and the update rules.

They are found exactly as a third-party plugin is, through the ``runner``
entry-point group in pyproject.toml, and installed as ``runner_plugins``
(this folder keeps its short name in the repository). Each registration
module imports nothing heavy; numpy and torch are imported only when
something is built.
"""

from runner import ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS
from runner.specs import Range, at_least, lazy

HIDDEN = 100  # the tutorial's H
MAX_HIDDEN = 100_000  # a sanity bound, refused up front: a wider layer is a typo, and would not fit in memory


def within(low: int, high: int):
    """A check that says which bound a value is past: ``low`` first, then the sanity bound ``high``."""
    floor, ceiling = at_least(low), Range(high=high)
    return lambda value: floor(value) or ceiling(value)


def tutorial_net(package: str, **fields):
    """The ``register_models`` hook of one of the tutorial's two-layer nets.

    The net is built by ``build(d_in, d_out, device, hidden)`` in the
    package's ``model`` module, imported when a run builds it; every net
    takes rows of features (x is (n, d_in), y is (n, d_out)). ``fields``
    are the rest of its ``ModelSpec``: name, description and defaults.
    """

    @hookimpl
    def register_models(register):
        register(
            ModelSpec(
                build=lazy(".model:build", package),
                params={"hidden": HIDDEN},
                checks={"hidden": within(1, MAX_HIDDEN)},
                shapes=BATCH_OF_VECTORS,
                **fields,
            )
        )

    return register_models
