"""runner.request: one RunRequest from runner run's options, and each run of it a RunChoice."""

from __future__ import annotations

import dataclasses

from runner.cli.params import take
from runner.request import AXES, SHARED, RunChoice, RunRequest


def test_every_field_of_the_request_is_an_option_of_runner_run_and_each_shared_one_reaches_the_run():
    from runner.cli.run import run

    options = {p.name for p in run.params}
    fields = {f.name for f in dataclasses.fields(RunRequest)}
    assert fields <= options, f"RunRequest fields without a `runner run` option of their name: {fields - options}"
    assert set(AXES) <= fields and set(SHARED) == fields - set(AXES)
    assert set(SHARED) <= {f.name for f in dataclasses.fields(RunChoice)}


def test_take_builds_the_request_from_the_options_it_names_and_leaves_the_rest():
    options = {"models": ["numpy"], "optimizers": None, "lrs": [1e-3], "steps": None, "seeds": None, "devices": ["cpu"],
               "datasets": None, "batch_sizes": None, "sets": ("hidden=5",), "name": None, "eval_every": 10,
               "track": None, "schedules": None, "warmup": None, "jobs": 2}
    options.update({"early_stop": None, "patience": None, "min_delta": None, "keep_best": None})
    request = take(RunRequest, options)
    assert request == RunRequest(["numpy"], lrs=[1e-3], devices=["cpu"], sets=("hidden=5",), eval_every=10)
    assert request.optimizers == (None,) and request.track == ()  # unset: the field's default
    assert options == {"jobs": 2}


def test_a_grid_hands_each_run_the_shared_fields(registry):
    from runner.grid import expand

    request = RunRequest(["numpy"], seeds=[0, 1], name="pair", eval_every=None, track=["lr"],
                         sets=["batch=4", "d_in=5", "d_out=2"])
    configs = [r.config for r in expand(registry, request)]
    assert [(c.seed, c.name, c.track) for c in configs] == [(0, "pair", ("lr",)), (1, "pair", ("lr",))]
