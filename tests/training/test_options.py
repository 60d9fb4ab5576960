"""Run options travel whole: from ``runner run`` through the scheduler to a sweep worker's runs."""

import dataclasses
import json
import pickle
import subprocess
import sys

import pytest

from runner.execution import local_worker as worker
from runner.execution.executor import PoolOptions
from runner.execution.local_pool import worker_args
from runner.execution.slots import Slot
from runner.training.options import ExecOptions, travelling

# A value unlike the default for every option that travels; a new option must add one here.
SAMPLES = {"flush_seconds": 0.25, "step_timeout": 7.5, "checkpoint_every": "50 steps", "db_deadline": 12.5,
           "keep_checkpoints": 3, "artifacts": "/data/kept", "weights": False, "threads": 2}
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


def test_options_are_plain_values_that_travel_whole():
    """What belongs to one process (the stop flag, the progress bar, checkpoints) is a handler given to the
    loop beside the options (runner.training.handlers), so every option can go to a worker."""
    options = ExecOptions(**SAMPLES)
    assert travelling() == list(dataclasses.fields(ExecOptions))
    assert pickle.loads(pickle.dumps(options)) == options
    assert json.loads(json.dumps(options.recorded())) == options.recorded()


def test_the_options_do_not_import_the_loop():
    code = "import sys, runner.training.options; print('runner.training.engine' in sys.modules)"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "False"


def test_recorded_options_come_back_under_those_given_again():

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


@pytest.mark.parametrize("threads", [0, 1025, -1, 1.5, True, "2"])
def test_a_thread_count_outside_1_to_1024_is_refused(threads):
    from runner.errors import OptionError

    with pytest.raises(OptionError, match="threads must be a whole number from 1 to 1024"):
        ExecOptions(threads=threads)
