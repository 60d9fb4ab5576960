"""runner's conformance suite on the digits model and dataset, and what their specs declare."""

from runner.testing import assert_conforms


def test_digits_model_conforms():
    assert_conforms("digits_mlp", kind="model")


def test_digits_dataset_conforms():
    assert_conforms("digits", kind="dataset")


def test_the_specs_declare_a_classifier_with_a_validation_split():
    from runner.registry import load_registry

    registry = load_registry(extra_modules=())
    dataset = registry.datasets["digits"].spec
    model = registry.models["digits_mlp"].spec
    assert dataset.classes == 10 and dataset.validation is not None
    assert model.dataset == "digits" and model.shapes == ("n d_in", "n")
    assert model.metrics == {"accuracy": "max"}
