"""runner run, through click's CliRunner against a database under tmp_path."""

import math

import pytest

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]
SMALL = [*DATA, "--set", "hidden=5"]


def test_run_trains_stores_every_step_and_summarises(cli, store):
    result = cli("run", "--model", "autograd", "--steps", "25", *SMALL, "--name", "first")
    assert result.output.startswith("run 1 completed · autograd · gd lr=1e-06 · cpu · final loss ")
    assert "25 steps" in result.output and "steps/s" in result.output
    record = store.get_run(1)
    assert (record.status, record.steps_done, record.name, record.device) == ("completed", 25, "first", "cpu")
    steps = list(store.iter_steps([1]))
    assert [s[1] for s in steps] == list(range(25))
    assert record.final_loss == steps[-1][2]
    assert record.config["model_params"] == {"hidden": 5}


def test_run_records_hyperparameters_and_environment(cli, store):
    cli("run", "--model", "dynamic", "--optimizer", "sgd", "--lr", "1e-3", "--steps", "3", "--seed", "7", *SMALL,
        "--set", "momentum=0.5")
    record = store.get_run(1)
    assert (record.model, record.optimizer, record.lr, record.seed, record.steps) == ("dynamic", "sgd", 1e-3, 7, 3)
    assert record.config["optimizer_options"]["momentum"] == 0.5
    assert record.config["dataset_params"] == {"batch": 8, "d_in": 20, "d_out": 3}
    assert record.host and record.pid and record.python_version and record.torch_version and record.numpy_version
    assert record.runner_version == "0.1.0"
    assert record.started_at <= record.ended_at


def test_a_plugin_exception_fails_the_run_with_its_traceback(cli, store):
    result = cli("run", "--model", "crash", "--steps", "10", *DATA, code=1)
    assert "run 1 failed" in result.output
    assert "Error: run 1 failed: RuntimeError: boom at step 3 (traceback: runner show 1)" in result.stderr
    record = store.get_run(1)
    assert record.status == "failed" and "Traceback" in record.error and record.steps_done == 3


def test_divergence_is_stored_as_it_was(cli, store):
    result = cli("run", "--model", "explode", "--steps", "10", *DATA, code=3)
    assert "run 1 diverged" in result.output and "try a smaller --lr" in result.stderr
    record = store.get_run(1)
    assert record.status == "diverged" and math.isnan(record.final_loss)
    losses = [s[2] for s in store.iter_steps([1])]
    assert len(losses) == 4 and math.isnan(losses[-1]) and all(math.isfinite(v) for v in losses[:-1])


def test_numpy_model_runs_through_the_cli(cli, store):
    cli("run", "--model", "numpy", "--optimizer", "adam", "--lr", "1e-2", "--steps", "5", *SMALL)
    assert store.get_run(1).optimizer == "adam"


BAD_INPUTS = [
    (["--model", "dynamc"], "unknown model 'dynamc' (did you mean 'dynamic'?); choose from: "),
    (["--model", "dynamic", "--optimizer", "adma"], "unknown optimizer 'adma' (did you mean 'adam'?)"),
    (["--model", "dynamic", "--lr", "abc"], "'abc' is not a positive number"),
    (["--model", "dynamic", "--lr", "-1"], "'-1' is not a positive number"),
    (["--model", "dynamic", "--lr", "0"], "'0' is not a positive number"),
    (["--model", "dynamic", "--lr", "nan"], "'nan' is not a positive number"),
    (["--model", "dynamic", "--steps", "0"], "'0' is not a whole number from 1 to 2**31-1"),
    (["--model", "dynamic", "--steps", "ten"], "'ten' is not a whole number from 1 to 2**31-1"),
    (["--model", "dynamic", "--seed", "-3"], "'-3' is not a whole number from 0 to 2**32-1"),
    (["--model", "dynamic", "--seed", "4-x"], "'4-x' is not a whole number from 0 to 2**32-1"),
    (["--model", "dynamic", "--lr", "1e-3,abc"], "'abc' is not a positive number"),
    (["--model", "dynamic,nope"], "unknown model 'nope'"),
    (["--model", "dynamic", "--set", "hiddn=3"], "unknown setting 'hiddn' (did you mean 'hidden'?)"),
    (["--model", "dynamic", "--set", "hidden"], "--set takes key=value"),
    (["--model", "dynamic", "--set", "hidden=big"], "expected a whole number"),
    (["--model", "dynamic", "--device", "gpu7"], "unknown device 'gpu7'"),
    (["--model", "dynamic", "--device", "cuda:3"], "not available"),
    (["--model", "numpy", "--device", "cuda"], "NumPy models run on the CPU only"),
    (["--model", "numpy", "--optimizer", "nope"], "unknown optimizer 'nope'"),
    ([], "Missing option '--model'"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS)
def test_bad_input_is_one_line_nonzero_and_loses_nothing(cli, store, args, message):
    cli("run", "--model", "numpy", "--steps", "4", *SMALL)
    result = cli("run", *args, code=2)  # every usage error, as the README promises
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert [r.id for r in store.list_runs()] == [1] and store.get_run(1).steps_done == 4


def test_device_cpu_is_recorded(cli, store):
    cli("run", "--model", "tensor", "--device", "cpu", "--steps", "2", *SMALL)
    assert store.get_run(1).device == "cpu"
