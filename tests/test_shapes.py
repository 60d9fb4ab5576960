"""Datasets as a third axis: which datasets a model fits, checked before a run is written."""

import numpy as np
import pytest

from runner import DatasetSpec, ModelSpec, hookimpl
from runner.config import resolve
from runner.errors import ConfigError
from runner.registry import load_registry, make_plugin_manager
from runner.request import RunChoice
from runner.shapes import BATCH_OF_SCALARS, BATCH_OF_VECTORS, check_patterns, fits

BROKEN = "tests.support.fake_plugins,tests.support.broken_plugins"


@pytest.mark.parametrize(
    "patterns, x, y, expected",
    [
        (BATCH_OF_VECTORS, (64, 1000), (64, 10), True),
        (BATCH_OF_VECTORS, (64, 1000), (32, 10), False),  # n must be the same in x and y
        (BATCH_OF_VECTORS, (2000,), (2000,), False),
        (BATCH_OF_SCALARS, (2000,), (2000,), True),
        (BATCH_OF_SCALARS, (2000,), (1999,), False),
        (("n 28 28", "n"), (5, 28, 28), (5,), True),  # a number must match exactly
        (("n 28 28", "n"), (5, 28, 27), (5,), False),
    ],
)
def test_patterns_bind_names_and_match_sizes(patterns, x, y, expected):
    assert fits(patterns, x, y) is expected


@pytest.mark.parametrize("bad", ["n d_in", ("n d_in",), ("n", 3), ("n -1", "n"), ("n x-y", "n")])
def test_malformed_patterns_are_refused_when_registered(bad):
    with pytest.raises(TypeError, match="shape"):
        check_patterns(bad)
    with pytest.raises(TypeError):
        ModelSpec(name="m", build=lambda *a: None, shapes=bad)


def test_core_models_fit_the_random_dataset(plugin_env):
    registry = load_registry()
    for model in ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic"):
        assert registry.models[model].spec.shapes == BATCH_OF_VECTORS
        assert resolve(registry, RunChoice(model=model, sets=["batch=4", "d_in=3", "d_out=2"])).config.dataset == "random"


def test_a_mismatch_is_a_config_error_naming_model_and_dataset(monkeypatch, plugin_env):
    monkeypatch.setenv("RUNNER_PLUGINS", BROKEN)
    with pytest.raises(ConfigError) as info:
        resolve(load_registry(), RunChoice(model="sine_shaped"))
    message = str(info.value)
    assert message.startswith("model 'sine_shaped' does not fit dataset 'random':")
    assert "takes x of shape (n,) and y of shape (n,)" in message
    assert "gives x of shape (64, 1000) and y of shape (64, 10)" in message


def test_a_mismatch_fails_before_anything_is_written(cli, store, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", BROKEN)
    result = cli("run", "--model", "sine_shaped", code=2)  # the user chose a pair that cannot work: a usage error
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: model 'sine_shaped' does not fit dataset 'random'")
    assert store.list_runs() == []


def test_a_set_that_breaks_the_fit_is_caught_too(plugin_env):
    """--set changes the dataset's shapes; the check sees the final ones (here n differs between x and y)."""
    class Plugin:
        @hookimpl
        def register_datasets(self, register):
            register(DatasetSpec(name="pairs", build=lambda backend, n=8, m=8: (np.zeros((n, 2)), np.zeros((m, 1))),
                                 params={"n": 8, "m": 8}, shapes=lambda n=8, m=8: ((n, 2), (m, 1))))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="pairs-plugin")
    registry = load_registry(pm, extra_modules=[])
    assert resolve(registry, RunChoice(model="numpy", dataset="pairs")).config.dataset_params == {"n": 8, "m": 8}
    with pytest.raises(ConfigError, match="gives x of shape \\(8, 2\\) and y of shape \\(7, 1\\)"):
        resolve(registry, RunChoice(model="numpy", dataset="pairs", sets=["m=7"]))


def test_a_dataset_without_declared_shapes_is_built_to_check(plugin_env):
    built = []

    def build(backend, n=5):
        built.append(backend)
        return np.zeros(n), np.zeros(n)

    class Plugin:
        @hookimpl
        def register_datasets(self, register):
            register(DatasetSpec(name="flat", build=build, params={"n": 5}))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="flat-plugin")
    registry = load_registry(pm, extra_modules=[])
    with pytest.raises(ConfigError, match="model 'numpy' does not fit dataset 'flat'.*gives x of shape \\(5,\\)"):
        resolve(registry, RunChoice(model="numpy", dataset="flat"))
    assert built == ["numpy"]


def test_checking_shapes_leaves_the_global_generators_as_they_were(plugin_env):
    """A dataset without declared shapes is built (seeded) to check it; the draws it makes leave no trace."""
    import random

    torch = pytest.importorskip("torch")
    built = []

    def build(backend, n=4):
        built.append((random.random(), np.random.rand(), torch.rand(1).item()))  # a draw from each generator
        return torch.zeros(n, 3), torch.zeros(n, 2)

    class Plugin:
        @hookimpl
        def register_datasets(self, register):
            register(DatasetSpec(name="drawn", build=build, params={"n": 4}))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="drawn-plugin")
    registry = load_registry(pm, extra_modules=[])
    random.seed(123), np.random.seed(123), torch.manual_seed(123)
    before = random.getstate(), np.random.get_state(), torch.get_rng_state()
    resolved = resolve(registry, RunChoice(model="tensor", dataset="drawn", seed=5))
    resolve(registry, RunChoice(model="tensor", dataset="drawn", seed=5))
    assert len(built) == 2 and built[0] == built[1]  # seeded as the run will be, both times
    assert random.getstate() == before[0]
    now, then = np.random.get_state(), before[1]
    assert now[0] == then[0] and (now[1] == then[1]).all() and now[2:] == then[2:]
    assert torch.equal(torch.get_rng_state(), before[2])
    from runner.training.engine import prepare

    trainer = prepare(resolved)  # the run itself draws exactly what the check drew
    assert built[2] == built[0] and trainer.x.shape == (4, 3)


def test_a_model_chooses_its_default_dataset(plugin_env):
    class Plugin:
        @hookimpl
        def register_datasets(self, register):
            register(DatasetSpec(name="line", build=lambda backend: (np.ones(3), np.ones(3)), shapes=lambda: ((3,), (3,))))

        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="on_line", build=lambda *a: None, backend="numpy", optimizer="gd",
                               dataset="line", shapes=BATCH_OF_SCALARS))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="line-plugin")
    registry = load_registry(pm, extra_modules=[])
    assert resolve(registry, RunChoice(model="on_line")).config.dataset == "line"
    with pytest.raises(ConfigError, match="model 'on_line' does not fit dataset 'random'"):
        resolve(registry, RunChoice(model="on_line", dataset="random"))


def test_one_dimensional_data_gives_build_a_width_of_one():
    from runner.training.trainer import _width

    assert _width(np.zeros(2000)) == 1
    assert _width(np.zeros((64, 1000))) == 1000
