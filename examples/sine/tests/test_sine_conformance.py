"""runner's conformance suite, run on every model and the dataset this plugin registers."""

import pytest

from runner.testing import assert_conforms

MODELS = ["sine_numpy", "sine_tensor", "sine_autograd", "sine_legendre", "sine_nn", "sine_optim", "sine_module", "sine_dynamic"]


@pytest.mark.parametrize("model", MODELS)
def test_sine_model_conforms(model):
    assert_conforms(model, kind="model")


def test_sine_dataset_conforms():
    assert_conforms("sine", kind="dataset")


def test_core_models_refuse_the_sine_dataset_clearly():
    """A model that takes rows of features does not fit (n,)-shaped data: a ConfigError naming both."""
    from runner.config import resolve
    from runner.errors import ConfigError
    from runner.registry import load_registry
    from runner.request import RunChoice

    with pytest.raises(ConfigError, match="model 'numpy' does not fit dataset 'sine'"):
        resolve(load_registry(extra_modules=()), RunChoice(model="numpy", dataset="sine"))
