"""runner.formatting: the one loss formatter that the CLI and the report share."""

from __future__ import annotations

from runner.formatting import canonical, format_ids, format_loss, format_settings


def test_a_loss_for_people():
    assert format_loss(None) == "-"
    assert format_loss(float("nan")) == "nan" and format_loss(float("inf")) == "inf" and format_loss(float("-inf")) == "-inf"
    assert format_loss(1 / 3) == "0.333333" and format_loss(1 / 3, digits=4) == "0.3333"
    assert format_loss(1.5e-12) == "1.5e-12" and format_loss(0.0) == "0"


def test_run_ids_abbreviated_past_the_limit():
    assert format_ids([3]) == "#3" and format_ids([3, 4, 9]) == "#3, #4, #9"
    assert format_ids(list(range(1, 8)), limit=2) == "#1, #2 and 5 more"


def test_equal_settings_read_the_same_and_unequal_ones_do_not():
    assert canonical({"b": 1, "a": [0.9, 0.999]}) == canonical({"a": [0.9, 0.999], "b": 1})
    assert canonical(1) != canonical("1") and canonical(0.1) != canonical(0.10000000000000002)


def test_settings_as_name_equals_value():
    assert format_settings({"hidden": 64, "betas": (0.9, 0.999)}) == "hidden=64 betas=(0.9, 0.999)"
    assert format_settings({}) == ""
