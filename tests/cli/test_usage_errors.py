"""Input that cannot work is refused before anything is stored: one line, exit status 2 (a usage error)."""

import pytest

from runner.specs import ModelSpec, Range, above, at_least, fraction

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3", "--set", "hidden=5"]

REFUSED = [
    # a setting outside the range its plugin declares (item 14)
    (["-m", "numpy", "--set", "hidden=-3"], "--set hidden=-3: plugin 'numpy' (runner 0.1.0), model 'numpy': hidden must be at least 1"),
    (["-m", "numpy", "--set", "hidden=0"], "model 'numpy': hidden must be at least 1"),
    (["-m", "numpy", "-o", "sgd", "--set", "momentum=-1"], "optimizer 'sgd': momentum must be at least 0"),
    (["-m", "numpy", "-o", "sgd", "--set", "dampening=-0.5"], "optimizer 'sgd': dampening must be at least 0"),
    (["-m", "numpy", "-o", "adamw", "--set", "weight_decay=-1"], "optimizer 'adamw': weight_decay must be at least 0"),
    (["-m", "numpy", "-o", "adam", "--set", "eps=-1"], "optimizer 'adam': eps must be above 0"),
    (["-m", "numpy", "-o", "adam", "--set", "eps=0"], "optimizer 'adam': eps must be above 0"),
    (["-m", "numpy", "-o", "adam", "--set", "betas=(1,2)"], "optimizer 'adam': betas must each be at least 0 and below 1"),
    (["-m", "numpy", "-o", "adam", "--set", "betas=0.9,1"], "betas must each be at least 0 and below 1"),
    (["-m", "numpy", "-o", "rmsprop", "--set", "alpha=1"], "optimizer 'rmsprop': alpha must be at least 0 and below 1"),
    (["-m", "numpy", "--set", "batch=0"], "dataset 'random': batch must be at least 1"),
    (["-m", "numpy", "--set", "d_in=0"], "dataset 'random': d_in must be at least 1"),
    (["-m", "dynamic", "--set", "d_out=-2"], "dataset 'random': d_out must be at least 1"),
    # an --lr that names no number (item 15)
    (["-m", "numpy", "--lr", ""], "'' gives no number"),
    (["-m", "numpy", "--lr", ","], "',' gives no number"),
    (["-m", "numpy", "--lr", " , "], "gives no number"),
    # unknown names and unavailable devices are usage errors too (item 16)
    (["-m", "dynamc"], "unknown model 'dynamc'"),
    (["-m", "numpy", "--set", "hiddn=3"], "unknown setting 'hiddn'"),
    (["-m", "numpy", "--set", "hidden=big"], "expected a whole number"),
    (["-m", "numpy", "-o", "nope"], "unknown optimizer 'nope'"),
    (["-m", "numpy", "--dataset", "nope"], "unknown dataset 'nope'"),
    (["-m", "dynamic", "--device", "cuda:99"], "not available"),
    (["-m", "dynamic", "--device", "gpu7"], "unknown device 'gpu7'"),
    (["-m", "numpy", "--device", "cuda"], "NumPy models run on the CPU only"),
    (["-m", "numpy,dynamic", "--seed", "0-1", "--device", "mps"], "mps"),
]


@pytest.mark.parametrize("args, message", REFUSED)
def test_input_that_cannot_work_exits_2_in_one_line_and_stores_nothing(cli, store, args, message):
    result = cli("run", *args, "--steps", "2", code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.output
    assert store.list_runs() == [], result.output


@pytest.mark.parametrize("command", [["show", "7"], ["rm", "7"], ["export", "7"]])
def test_an_unknown_run_is_not_a_usage_error(cli, store, command):
    result = cli(*command, code=1)
    assert "7" in result.stderr and "Traceback" not in result.output


def test_values_inside_the_declared_ranges_still_run(cli, store):
    cli("run", "-m", "numpy", "-o", "adam", "--steps", "2", *DATA, "--set", "betas=0,0.5", "--set", "eps=1e-6",
        "--set", "weight_decay=0")
    cli("run", "-m", "numpy", "-o", "sgd", "--steps", "2", *DATA, "--set", "hidden=1", "--set", "momentum=0")
    assert [r.status for r in store.list_runs()] == ["completed", "completed"]


def test_a_grid_is_refused_whole_when_one_of_its_values_is_out_of_range(cli, store):
    result = cli("run", "-m", "numpy", "--steps", "2", *DATA, "--set", "hidden=4,0", code=2)
    assert "hidden must be at least 1" in result.stderr
    assert store.list_runs() == []


def test_ranges_describe_themselves_and_check_tuples_value_by_value():
    assert at_least(1)(0) == "must be at least 1" and at_least(1)(1) is None
    assert above(0)(0) == "must be above 0" and above(0)(1e-12) is None
    assert fraction()((0.0, 0.999)) is None and fraction()((0.5, 1.0)) == "must each be at least 0 and below 1"
    assert Range(1, 3)(4) == "must be at least 1 and at most 3"
    assert at_least(1)("text") is None  # types are --set's to check


def test_a_spec_refuses_checks_its_own_defaults_fail_or_that_name_no_setting():
    def build(d_in, d_out, device, hidden=0):
        return None

    with pytest.raises(TypeError, match="the default hidden=0 fails its own check: must be at least 1"):
        ModelSpec(name="m", build=build, params={"hidden": 0}, checks={"hidden": at_least(1)})
    with pytest.raises(TypeError, match="'width' is not one of the settings"):
        ModelSpec(name="m", build=build, params={"hidden": 1}, checks={"width": at_least(1)})
    with pytest.raises(TypeError, match="must be callable"):
        ModelSpec(name="m", build=build, params={"hidden": 1}, checks={"hidden": 1})


def test_control_characters_in_a_name_are_shown_escaped(cli, store):
    name = "evil\x1b[2J\rname\x07"
    cli("run", "-m", "numpy", "--steps", "2", *DATA, "--name", name)
    for command in (["ls"], ["show", "1"]):
        output = cli(*command).output
        assert "\x1b" not in output and "\r" not in output and "\x07" not in output
        assert "evil\\x1b[2J\\rname\\x07" in output


def test_a_build_that_raises_fails_its_run_naming_the_plugin(cli, store, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.fake_plugins,tests.support.raising_build")
    result = cli("run", "-m", "build_raises", "--steps", "2", *DATA[:6], code=1)
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: run 1 failed: PluginError: plugin 'tests.support.raising_build' (local), "
                           "model 'build_raises': build raised RuntimeError: build exploded"), result.stderr
    assert store.get_run(1).status == "failed"
