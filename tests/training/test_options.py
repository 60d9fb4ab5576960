"""Run options travel whole: from ``runner run`` through the scheduler to a sweep worker's runs."""

import dataclasses

import pytest

from runner.execution import local_worker as worker
from runner.execution.executor import PoolOptions
from runner.execution.local_pool import worker_args
from runner.execution.slots import Slot
from runner.training.options import ExecOptions, travelling

# A value unlike the default for every option that travels; a new option must add one here.
SAMPLES = {"flush_seconds": 0.25, "step_timeout": 7.5, "checkpoint_every": "50 steps", "db_deadline": 12.5,
           "keep_checkpoints": 3, "artifacts": "/data/kept", "weights": False}
SLOT = Slot("cuda:1", ("auto", "cuda", "cuda:1"), 1)


def test_every_travelling_option_has_a_sample():
    assert {f.name for f in travelling()} == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_option_survives_the_trip_to_a_worker(name):
    options = ExecOptions(**{name: SAMPLES[name]})
    assert getattr(options, name) != getattr(ExecOptions(), name)
    args = worker.parse(worker_args("grid", SLOT, "vm-0-cuda:1", PoolOptions(execution=options)))
    assert ExecOptions.from_namespace(args) == options


def test_all_options_at_once_and_the_defaults_survive_too():
    for options in (ExecOptions(**SAMPLES), ExecOptions()):
        args = worker.parse(worker_args("grid", SLOT, "vm-0-cuda:1", PoolOptions(fail_fast=True, execution=options)))
        assert ExecOptions.from_namespace(args) == options
        assert (args.sweep, args.device, args.slot, args.accepts, args.fail_fast) == (
            "grid", "cuda:1", "vm-0-cuda:1", "auto,cuda,cuda:1", True)


def test_process_local_options_stay_behind():
    local = [f.name for f in dataclasses.fields(ExecOptions) if f not in travelling()]
    assert set(local) == {"progress", "stop", "on_checkpoint"}
    options = ExecOptions(step_timeout=3.0, progress=print, stop=object())
    assert options.to_args() == ExecOptions(step_timeout=3.0).to_args() == ["--step-timeout", "3.0"]


def test_recorded_options_come_back_under_those_given_again():
    import json

    from runner.training.options import ExecOptions

    started = ExecOptions(step_timeout=30.0, checkpoint_every="50 steps", keep_checkpoints=2, artifacts="/tmp",
                          weights=False)
    recorded = json.loads(json.dumps(started.recorded()))  # as runs.options keeps it
    assert set(recorded) >= {"step_timeout", "db_deadline", "checkpoint_every", "keep_checkpoints", "artifacts",
                             "weights"}
    assert ExecOptions().under(recorded, given=set()) == started
    resumed = ExecOptions(weights=True, keep_checkpoints=5).under(recorded, given={"weights"})
    assert (resumed.weights, resumed.keep_checkpoints, resumed.step_timeout) == (True, 2, 30.0)
    assert ExecOptions().under(None, given=set()) == ExecOptions()  # a run from before options were recorded
    assert ExecOptions().under({"artifacts": "/tmp"}, given=set()).artifacts == "/tmp"  # only its root
