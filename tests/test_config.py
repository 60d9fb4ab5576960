import dataclasses

import pytest

from runner.config import resolve, specs_for
from runner.errors import ConfigError
from runner.request import RunChoice


def test_defaults_come_from_the_model(registry):
    config = resolve(registry, RunChoice("dynamic")).config
    assert (config.optimizer, config.lr, config.steps, config.seed) == ("sgd", 1e-4, 500, 0)
    assert config.optimizer_options["momentum"] == 0.9
    assert config.model_params == {"hidden": 100}
    assert config.dataset_params == {"batch": 64, "d_in": 1000, "d_out": 10}


def test_another_optimizer_drops_the_models_recipe(registry):
    config = resolve(registry, RunChoice("dynamic", optimizer="adam", lr=1e-3)).config
    assert "momentum" not in config.optimizer_options and config.lr == 1e-3


def test_set_overrides_each_section_with_types(registry):
    config = resolve(registry, RunChoice("dynamic", sets=["hidden=50", "momentum=0.5", "batch=8", "nesterov=true"])).config
    assert config.model_params["hidden"] == 50
    assert config.optimizer_options["momentum"] == 0.5 and config.optimizer_options["nesterov"] is True
    assert config.dataset_params["batch"] == 8


def test_set_with_section_prefix_and_tuple(registry):
    config = resolve(registry, RunChoice("sequential", optimizer="adam", sets=["optimizer.betas=0.8,0.9"])).config
    assert config.optimizer_options["betas"] == (0.8, 0.9)


@pytest.mark.parametrize(
    "assignment, fragment",
    [
        ("hiden=3", "unknown setting 'hiden' (did you mean 'hidden'?)"),
        ("hidden", "--set takes key=value"),
        ("=3", "--set takes key=value"),
        ("hidden=wide", "expected a whole number"),
        ("momentum=nan", "expected a finite number"),
        ("nesterov=maybe", "expected true or false"),
        ("weights.hidden=3", "prefix must be one of model, optimizer, dataset"),
    ],
)
def test_bad_set_is_a_clear_error(registry, assignment, fragment):
    with pytest.raises(ConfigError, match="--set") as info:
        resolve(registry, RunChoice("dynamic", sets=[assignment]))
    assert fragment in str(info.value)


@pytest.fixture
def lr_registry(plugin_env):
    from runner.registry import load_registry

    return load_registry(extra_modules=["tests.support.optimizer_lr"])


@pytest.mark.parametrize(
    "model, optimizer, lr, expected",
    [
        ("dynamic", "lion_like", 5e-3, 5e-3),  # the user's --lr wins over everything
        ("own_lion", None, None, 0.02),  # the model's own optimizer: the model's lr (its recipe)
        ("own_lion", "lion_like", None, 0.02),  # the same, named explicitly
        ("dynamic", "lion_like", None, 3e-4),  # another optimizer: its declared lr
        ("dynamic", "adam", None, 1e-4),  # another optimizer that declares none: the model's lr
        ("own_lion", "adam", None, 0.02),
    ],
)
def test_which_lr_a_run_gets(lr_registry, model, optimizer, lr, expected):
    assert resolve(lr_registry, RunChoice(model, optimizer=optimizer, lr=lr)).config.lr == expected


@pytest.mark.parametrize("model, optimizer, lr, source", [
    ("dynamic", "lion_like", None, "optimizer"),  # the only case: no --lr, and the optimizer's declared lr taken
    ("dynamic", "lion_like", 5e-3, None), ("own_lion", "lion_like", None, None), ("dynamic", "adam", None, None),
])
def test_a_config_records_that_its_lr_came_from_the_optimizer_and_only_then(lr_registry, model, optimizer, lr, source):
    config = resolve(lr_registry, RunChoice(model, optimizer=optimizer, lr=lr)).config
    assert config.lr_source == source
    assert ("lr_source" in config.training_options()) == (source is not None)  # absent otherwise: stored as before


@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), float("inf"), True, "1e-3"])
def test_an_optimizer_declares_a_positive_lr_or_none(lr):
    from runner.specs import OptimizerSpec

    assert OptimizerSpec(name="ok", numpy=print).lr is None
    with pytest.raises(TypeError, match="lr must be a positive finite number"):
        OptimizerSpec(name="bad", numpy=print, lr=lr)


@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), float("inf")])
def test_bad_lr(registry, lr):
    with pytest.raises(ConfigError, match="learning rate must be a positive number"):
        resolve(registry, RunChoice("dynamic", lr=lr))


@pytest.mark.parametrize("steps", [0, -5, 2.5])
def test_bad_steps(registry, steps):
    with pytest.raises(ConfigError, match="steps must be a positive whole number"):
        resolve(registry, RunChoice("dynamic", steps=steps))


def test_unknown_optimizer(registry):
    with pytest.raises(ConfigError, match="unknown optimizer 'adm' \\(did you mean 'adam'\\?\\)"):
        resolve(registry, RunChoice("dynamic", optimizer="adm"))


def test_a_model_may_default_to_its_own_step_count(registry):
    import dataclasses

    from runner.registry import Entry

    spec = dataclasses.replace(registry.models["numpy"].spec, name="long", steps=2000)
    registry.models["long"] = Entry(spec, registry.models["numpy"].origin)
    assert resolve(registry, RunChoice("long")).config.steps == 2000
    assert resolve(registry, RunChoice("long", steps=7)).config.steps == 7
    assert resolve(registry, RunChoice("numpy")).config.steps == 500


def test_resolve_returns_the_specs_it_chose_and_a_stored_config_finds_the_same(registry):
    resolved = resolve(registry, RunChoice("dynamic", optimizer="adam"))
    assert resolved.model is registry.models["dynamic"].spec
    assert resolved.optimizer is registry.optimizers["adam"].spec and resolved.dataset is registry.datasets["random"].spec
    assert resolved.backend == "torch" and "model 'dynamic'" in resolved.label
    assert specs_for(registry, resolved.config) == resolved


def test_a_stored_config_whose_plugin_is_gone_is_a_config_error(registry):
    import dataclasses

    config = dataclasses.replace(resolve(registry, RunChoice("numpy")).config, optimizer="uninstalled")
    with pytest.raises(ConfigError, match="unknown optimizer 'uninstalled'"):
        specs_for(registry, config)


# --- batch size, evaluation and tracking: part of the run's config (issue 9) ---

DATA = ["--set", "batch=8", "--set", "d_in=5", "--set", "d_out=3"]

BAD_TRAINING_OPTIONS = [
    (["--model", "numpy", "--dataset", "heldout", "--eval-every", "0"], "--eval-every must be a positive whole number"),
    (["--model", "numpy", "--dataset", "heldout", "--eval-every", "-3"], "--eval-every must be a positive whole number"),
    (["--model", "numpy", "--eval-every", "10"], "dataset 'random' has none"),
    (["--model", "numpy", "--batch-size", "0"], "--batch-size must be a positive whole number, not 0"),
    (["--model", "numpy", "--batch-size", "4,-2"], "--batch-size must be a positive whole number, not -2"),
    (["--model", "numpy", "--batch-size", "9"], "--batch-size 9 is larger than the 8 rows of dataset 'random'"),
    (["--model", "numpy", "--track", "lr,grad_nrm"], "unknown tracked metric 'grad_nrm' (did you mean 'grad_norm'?)"),
]


@pytest.mark.parametrize("args, message", BAD_TRAINING_OPTIONS)
def test_bad_training_options_are_one_line_usage_errors_and_store_nothing(metric_env, cli, store, args, message):
    result = cli("run", "--steps", "3", *args, *DATA, code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert lines[0].endswith(" run --help')") and store.list_runs() == []


def test_training_options_are_stored_with_the_run_and_come_back(metric_registry, store):
    from runner.training.runs import config_of

    config = resolve(metric_registry, RunChoice("numpy", dataset="heldout", sets=["batch=8", "d_in=5", "d_out=3"],
                                                batch_size=4, eval_every=5, track=["grad_norm", "lr", "grad_norm"])).config
    assert (config.batch_size, config.eval_every, config.track) == (4, 5, ("grad_norm", "lr"))
    config = dataclasses.replace(config, device="cpu")
    plain = resolve(metric_registry, RunChoice("numpy", device="cpu")).config
    stored, stored_plain = (store.get_run(store.create_run(c, device="cpu")) for c in (config, plain))
    assert config_of(stored) == config and config_of(stored_plain) == plain
    assert set(stored_plain.config) == {"model_params", "optimizer_options", "dataset_params"}  # stored as before


def test_batch_size_is_a_grid_axis(metric_env, cli):
    result = cli("run", "--model", "numpy", "--batch-size", "2,4", "--seed", "0-1", "--eval-every", "5",
                 "--dataset", "heldout", "--track", "lr", *DATA, "--dry-run")
    rows = [line for line in result.stdout.splitlines()[1:] if line.strip()]
    assert len(rows) == 4
    assert sum("batch_size=2 eval_every=5 track=['lr']" in r for r in rows) == 2


def test_the_summary_line_shows_each_metrics_final_value(metric_env, cli, monkeypatch):
    from runner.store import Store

    takes_metrics = "metrics" in Store.append_steps.__code__.co_varnames
    if not takes_metrics:  # until the store's metrics table lands (the store part of issue 9), drop them here
        original = Store.append_steps
        monkeypatch.setattr(Store, "append_steps", lambda self, run_id, rows, metrics=(): original(self, run_id, rows))
    result = cli("run", "--model", "counted", "--dataset", "heldout", "--steps", "6", "--eval-every", "3",
                 "--track", "lr", *DATA)
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("run 1 completed") and "· half_loss " in line and "· w_sum -0.075 · lr 0.001" in line
    assert "· val_loss " in line and "· val_half_loss " in line and line.endswith("steps/s")
