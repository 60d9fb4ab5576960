"""Metric names, directions and the messages the CLI shows (runner.metrics), and the specs that declare them."""

from __future__ import annotations

import pytest

from runner.metrics import check_metric_name, direction, unknown_metric_message


@pytest.mark.parametrize("name", ["accuracy", "top1_acc", "a", "x" * 64])
def test_words_name_metrics(name):
    assert check_metric_name(name) == name


@pytest.mark.parametrize("name, why", [
    ("Accuracy", "not a word"), ("2nd", "not a word"), ("a-b", "not a word"), ("", "not a word"), (3, "not a word"),
    ("x" * 65, "longer than 64"), ("loss", "recorded already"), ("val_accuracy", "keeps for evaluation"),
])
def test_other_names_are_refused_with_the_reason(name, why):
    with pytest.raises(ValueError, match=why):
        check_metric_name(name)


@pytest.mark.parametrize("name, declared, expected", [
    ("accuracy", None, "max"), ("val_accuracy", None, "max"), ("macro_f1", None, "max"), ("roc_auc", None, "max"),
    ("loss", None, "min"), ("val_loss", None, "min"), ("grad_norm", None, "min"), ("lr", None, "min"),
    ("score", {"score": "max"}, "max"), ("val_score", {"score": "max"}, "max"), ("accuracy", {"accuracy": "min"}, "min"),
])
def test_direction_declared_first_then_by_name(name, declared, expected):
    assert direction(name, declared) == expected


def test_an_unknown_metric_is_one_line_with_a_suggestion_and_the_known_names():
    message = unknown_metric_message("val_acuracy", ["val_accuracy", "accuracy", "val_loss"])
    assert message == ("unknown metric 'val_acuracy' (did you mean 'val_accuracy'?); "
                       "the selected runs have: accuracy, val_accuracy, val_loss")
    assert unknown_metric_message("x", []) == "unknown metric 'x'; the selected runs have: no metrics"


def test_specs_check_what_they_declare():
    from runner.specs import DatasetSpec, ModelSpec

    build = lambda *a, **k: None  # noqa: E731
    with pytest.raises(TypeError, match="direction must be 'min' or 'max'"):
        ModelSpec(name="m", build=build, metrics={"accuracy": "up"})
    with pytest.raises(TypeError, match="'Acc' is not a word"):
        ModelSpec(name="m", build=build, metrics={"Acc": "max"})
    with pytest.raises(TypeError, match="classes must be a whole number of at least 2"):
        DatasetSpec(name="d", build=build, classes=1)
    with pytest.raises(TypeError, match="validation must be callable"):
        DatasetSpec(name="d", build=build, validation="split")


def test_a_classifier_needs_a_dataset_with_classes(metric_registry):
    from runner.config import resolve
    from runner.errors import ConfigError
    from runner.request import RunChoice

    assert resolve(metric_registry, RunChoice("softmax")).config.dataset == "blobs"
    with pytest.raises(ConfigError, match="model 'softmax' is a classifier .* dataset 'random' declares no classes"):
        resolve(metric_registry, RunChoice("softmax", dataset="random"))
    with pytest.raises(ConfigError, match="model 'numpy' does not fit dataset 'blobs'"):
        resolve(metric_registry, RunChoice("numpy", dataset="blobs"))
