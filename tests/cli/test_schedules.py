"""Learning-rate schedules through the command line: --schedule (a grid axis) and --warmup, stored with the run
only when used, shown by ls and show, recorded by --track lr; bad input refused in one line, exit 2, nothing
stored; and a run stopped mid-schedule then resumed stores the losses of the run left alone, bit for bit."""

from __future__ import annotations

import math
import signal

import pytest

from runner.store import open_store
from tests.cli.test_bad_input import refused
from tests.cli.test_checkpoints import resume, start, stored, wait_until
from tests.support.gates import gate_env

DATA = ["--set", "batch=8", "--set", "d_in=6", "--set", "d_out=3", "--set", "hidden=5", "--device", "cpu"]


def runs(db_url):
    with open_store(db_url) as store:
        return store.list_runs()


@pytest.mark.parametrize("args, says", [
    (["--schedule", "cosin"], "unknown schedule 'cosin' (did you mean 'cosine'?); choose from: constant, cosine, "
                               "exponential, one_cycle, step"),
    (["--schedule", "cosine,nope"], "unknown schedule 'nope'"),
    (["--warmup", "20"], "--warmup 20 leaves no step of the run's 20 for the schedule; give fewer than 20 warm-up "
                         "steps, or more --steps"),
    (["--warmup", "30", "--schedule", "cosine"], "--warmup 30 leaves no step of the run's 20"),
    (["--warmup", "-1"], "--warmup must be a whole number of steps, 0 or more, not -1"),
    (["--schedule", "cosine", "--set", "schedule.eta=0.1"], "--set: unknown setting 'eta'"),
    (["--schedule", "cosine", "--set", "schedule.min_factor=low"], "--set min_factor=low: expected a finite number"),
    (["--schedule", "cosine", "--set", "min_factor=1.5"], "min_factor must be at least 0 and below 1"),
    (["--schedule", "step", "--set", "step_size=0"], "step_size must be at least 1"),
    (["--set", "schedule.gamma=0.5"], "--set: unknown setting 'gamma'"),  # the constant lr has no settings
    (["--schedule", "one_cycle", "--steps", "10", "--set", "pct_start=0.1"],  # its first phase ends before step 0
     "--schedule one_cycle: plugin 'schedules' (runner 0.1.0), schedule 'one_cycle' cannot schedule 10 steps with "
     "these settings (ZeroDivisionError: float division by zero); change --steps, --warmup or its settings"),
    (["--schedule", "step", "--set", "gamma=0.0"], "gamma must be above 0"),
])
def test_bad_schedule_input_is_one_line_exit_2_and_stores_nothing(cli, db_path, args, says):
    line = refused(cli, "run", "--model", "numpy", "--steps", "20", *DATA, *args)
    assert says in line, line
    assert not db_path.exists() or not runs(f"sqlite:///{db_path}")


def test_a_scheduled_run_stores_and_shows_its_schedule_and_a_plain_one_stores_none(cli, db_url, store):
    cli("run", "--model", "numpy", "--steps", "20", *DATA, "-q")
    cli("run", "--model", "numpy", "--steps", "20", *DATA, "-q", "--schedule", "cosine", "--warmup", "4",
        "--set", "min_factor=0.1", "--track", "lr")
    plain, scheduled = store.get_run(1), store.get_run(2)
    assert set(plain.config) == {"model_params", "optimizer_options", "dataset_params"}  # as before schedules
    assert {k: scheduled.config[k] for k in ("schedule", "schedule_params", "warmup")} == {
        "schedule": "cosine", "schedule_params": {"min_factor": 0.1}, "warmup": 4}
    shown = cli("show", "2").stdout
    assert "  schedule    cosine min_factor=0.1 · warmup 4\n" in shown
    assert "schedule" not in cli("show", "1").stdout
    listed = cli("ls").stdout.splitlines()
    assert "SCHEDULE" in listed[0]
    assert "cosine · warmup 4" in listed[1] and "constant" in listed[2]
    lrs = [value for _, _, _, value in store.iter_metrics([2], ["lr"])]
    assert lrs[:5] == pytest.approx([1e-6 * k / 5 for k in range(1, 6)], rel=1e-12)  # warm-up: gd's 1e-6 reached at 4
    assert lrs[-1] == pytest.approx(1e-6 * (0.1 + 0.9 * (1 + math.cos(math.pi * 15 / 16)) / 2), rel=1e-12)


def test_a_schedule_axis_makes_a_grid_run_per_schedule(cli):
    out = cli("run", "--model", "numpy", "--steps", "20", *DATA, "--schedule", "cosine,constant", "--seed", "0-1",
              "--set", "min_factor=0.2", "--dry-run").stdout
    lines = out.strip().splitlines()[1:]
    assert len(lines) == 4
    assert sum("schedule=cosine" in line and "min_factor=0.2" in line for line in lines) == 2
    assert sum("schedule" not in line for line in lines) == 2  # --set min_factor applies where a schedule takes it


STEPS, AT = 40, 15
SCHEDULES = {"constant": ["--warmup", "5"], "step": ["--set", "step_size=10", "--set", "gamma=0.5"],
             "exponential": ["--set", "gamma=0.95"], "cosine": ["--warmup", "5"], "one_cycle": []}
OPTIMIZERS = ("gd", "sgd", "adam", "adamw", "rmsprop")
FAST = {("module", "cosine", "adam"), ("numpy", "one_cycle", "sgd")}  # the fast tier's: torch's scheduler, the twin


def reference(model, optimizer, schedule, args):
    from runner.config import resolve
    from runner.registry import load_registry
    from runner.request import RunChoice
    from runner.training.engine import prepare, train

    sets = [args[i + 1] for i in range(len(args)) if args[i] == "--set"]
    warmup = int(args[args.index("--warmup") + 1]) if "--warmup" in args else None
    resolved = resolve(load_registry(), RunChoice(model, optimizer=optimizer, steps=STEPS, device="cpu",
                                                  schedule=schedule, warmup=warmup, sets=sets))
    rows: list = []
    train(prepare(resolved), STEPS, lambda r, m: rows.extend(r))
    return [loss for _, loss, _ in rows]


CASES = [pytest.param(model, schedule, optimizer, id=f"{model}-{schedule}-{optimizer}",
                      marks=() if (model, schedule, optimizer) in FAST else pytest.mark.full)
         for model in ("numpy", "module") for schedule in sorted(SCHEDULES) for optimizer in OPTIMIZERS]


@pytest.mark.parametrize("model, schedule, optimizer", CASES)  # the whole cross product in the full tier
def test_ctrl_c_mid_schedule_then_resume_stores_the_losses_of_the_run_left_alone(db_url, tmp_path, model, schedule,
                                                                                  optimizer):
    folder = tmp_path / "gate"
    folder.mkdir()
    args = [*DATA, *SCHEDULES[schedule]]
    process = start(db_url, "run", "-m", f"gated_{model}", "-o", optimizer, "--schedule", schedule, "--steps",
                    str(STEPS), *args, gate=gate_env(folder, AT))
    wait_until(lambda: (folder / "reached").exists(), process)
    process.send_signal(signal.SIGINT)
    (folder / "open").touch()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    record = runs(db_url)[0]
    assert record.status == "interrupted" and record.steps_done == AT + 1
    resumed = resume(db_url, "1")
    assert resumed.returncode == 0, resumed.stderr
    assert f"continuing from its checkpoint at step {AT + 1}" in resumed.stderr
    assert stored(db_url) == reference(model, optimizer, schedule, args)  # bit for bit
