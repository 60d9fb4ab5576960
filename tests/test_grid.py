import pytest

from runner.errors import ConfigError, OptionError
from runner.grid import check_grid_size, expand, parse_ints, set_axis, split
from runner.request import RunRequest


def test_split_keeps_parenthesised_groups():
    assert split("a, b,,c") == ["a", "b", "c"]
    assert split("(0.9,0.999),(0.8,0.99)") == ["(0.9,0.999)", "(0.8,0.99)"]


def test_ranges_and_lists():
    assert parse_ints("0-4", "--seed") == [0, 1, 2, 3, 4]
    assert parse_ints("1,3,7-8", "--seed") == [1, 3, 7, 8]
    with pytest.raises(ConfigError, match="'x' is not a whole number"):
        parse_ints("1,x", "--seed")


def test_a_range_is_counted_and_bounded_without_being_listed():
    values = parse_ints("10-4294967305,3", "--seed")  # listing this would take hundreds of GiB
    assert len(values) == 2**32 + 1
    assert values.bounds() == (3, 4294967305)
    assert (values[0], values[2**32 - 1], values[2**32]) == (10, 4294967305, 3)


def test_a_grid_over_the_limit_is_refused_from_its_axes_lengths(monkeypatch):
    monkeypatch.setenv("RUNNER_MAX_GRID", "12")
    check_grid_size([["a", "b"], parse_ints("0-5", "--seed")])
    with pytest.raises(OptionError, match="the grid has 13 runs, more than the limit of 12"):
        check_grid_size([["a"], parse_ints("0-12", "--seed")])


def test_set_axis_lists_values_but_keeps_a_tuple_whole():
    assert set_axis("hidden=5,10", set()) == ["hidden=5", "hidden=10"]
    assert set_axis("betas=0.9,0.999", {"betas"}) == ["betas=0.9,0.999"]
    assert set_axis("betas=(0.9,0.999),(0.5,0.9)", {"betas"}) == ["betas=(0.9,0.999)", "betas=(0.5,0.9)"]


def test_expand_is_the_product_with_seeds_innermost(registry):
    configs = [r.config for r in expand(registry, RunRequest(["numpy", "autograd"], ["sgd", "adam"], [1e-4, 1e-3], seeds=[0, 1, 2],
                                                   sets=["hidden=5,10"]))]
    assert len(configs) == 2 * 2 * 2 * 2 * 3
    assert [c.seed for c in configs[:3]] == [0, 1, 2]
    assert {(c.model, c.optimizer, c.lr, c.model_params["hidden"]) for c in configs} == {
        (m, o, lr, h) for m in ("numpy", "autograd") for o in ("sgd", "adam") for lr in (1e-4, 1e-3) for h in (5, 10)
    }


def test_expand_tuple_settings_and_devices(registry):
    runs = expand(registry, RunRequest(["sequential"], ["adam"], devices=["cpu", "auto"], sets=["betas=(0.9,0.999),(0.5,0.9)"]))
    configs = [r.config for r in runs]
    assert [(c.device, c.optimizer_options["betas"]) for c in configs] == [
        ("cpu", (0.9, 0.999)), ("cpu", (0.5, 0.9)), ("auto", (0.9, 0.999)), ("auto", (0.5, 0.9))]


def test_one_bad_value_rejects_the_whole_grid(registry):
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        expand(registry, RunRequest(["numpy", "nope"]))
    with pytest.raises(ConfigError, match="unknown device 'tpu'"):
        expand(registry, RunRequest(["numpy"], devices=["cpu", "tpu"]))


def test_a_mixed_grid_applies_a_setting_where_it_fits(registry):
    configs = [r.config for r in expand(registry, RunRequest(["explode", "numpy"], sets=["model.at=2", "batch=4", "d_in=5", "d_out=2"]))]
    assert configs[0].model == "explode" and configs[0].model_params["at"] == 2
    assert configs[1].model == "numpy" and configs[1].model_params == {"hidden": 100}


def test_each_run_of_a_grid_carries_the_specs_it_names(registry):
    runs = expand(registry, RunRequest(["explode", "numpy"], ["sgd", "adam"], sets=["batch=4", "d_in=5", "d_out=2"]))
    assert [(r.model.name, r.optimizer.name, r.dataset.name) for r in runs] == [
        (r.config.model, r.config.optimizer, r.config.dataset) for r in runs]
    assert {r.model.name for r in runs} == {"explode", "numpy"} and {r.optimizer.name for r in runs} == {"sgd", "adam"}
    assert all(r.model is registry.models[r.config.model].spec for r in runs)


def test_a_setting_no_run_of_the_grid_takes_is_still_an_error(registry):
    with pytest.raises(ConfigError, match="unknown setting 'hiden'"):
        expand(registry, RunRequest(["explode", "numpy"], sets=["hiden=3"]))
