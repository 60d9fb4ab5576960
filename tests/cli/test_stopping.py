"""Early stopping and the best weights through the CLI (issue 19, parts 2 and 3): the run stops at the evaluation the
rule computes from the recorded values, ls/show/resume say so, the best weights are those of the same run stopped at
its best step, and each bad input is one line, exit 2, nothing stored."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

# tests.support.metric_plugins' NumPy model on its held-out data: w moves by -lr each step, so val_loss falls for
# 10 evaluations (to step 54) and rises after; val_w_sum (declared "max") falls from the first evaluation on.
COUNTED = ["--model", "counted", "--dataset", "heldout", "--set", "batch=8", "--set", "d_in=5", "--set", "d_out=3",
           "--seed", "3", "--lr", "0.001", "--eval-every", "5", "-q"]


def values(store, run_id: int, name: str) -> list[tuple[int, float]]:
    return [(step, value) for _, _, step, value in store.iter_metrics([run_id], [name])]


def expected_stop(series: list[tuple[int, float]], patience: int, min_delta: float, way: str = "min"):
    """The step early stopping ends after, and the best (step, value) then: the rule, written out apart."""
    best = best_step = None
    waited = 0
    for step, value in series:
        if best is None or (value < best - min_delta if way == "min" else value > best + min_delta):
            best, best_step, waited = value, step, 0
            continue
        waited += 1
        if waited == patience:
            return step, best_step, best
    return None


@pytest.mark.parametrize("patience, min_delta", [(3, None), (1, None), (2, "0.08")])
def test_a_run_stops_at_the_evaluation_the_recorded_values_say(metric_env, cli, store, patience, min_delta):
    cli("run", *COUNTED, "--steps", "200")  # run 1, left alone: every evaluation recorded
    full = values(store, 1, "val_loss")
    stop, best_step, best = expected_stop(full, patience, float(min_delta or 0))
    assert 54 <= stop < 199
    delta = ["--min-delta", min_delta] if min_delta else []
    result = cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss", "--patience", str(patience), *delta)
    assert "run 2 completed" in result.stdout and f"· {stop + 1} steps ·" in result.stdout
    record = store.get_run(2)
    assert (record.status, record.steps_done) == ("completed", stop + 1)
    assert values(store, 2, "val_loss") == [(s, v) for s, v in full if s <= stop]  # zero lag, and the same values
    assert record.early_stop == {
        "metric": "val_loss", "step": stop, "best": best, "best_step": best_step, "patience": patience,
        "min_delta": float(min_delta or 0), "reason": f"val_loss did not improve for {patience} evaluation"
        f"{'s' * (patience != 1)}; best {best:.6g} at step {best_step}"}


def test_the_metric_s_declared_direction_decides(metric_env, cli, store):
    cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_w_sum", "--patience", "2")
    early = store.get_run(1).early_stop  # val_w_sum only falls, and higher is better: it stops at the third evaluation
    assert (early["step"], early["best_step"]) == (14, 4)


def test_a_run_that_would_stop_at_its_last_step_simply_completes(metric_env, cli, store):
    cli("run", *COUNTED, "--steps", "15", "--early-stop", "val_w_sum", "--patience", "2")
    record = store.get_run(1)
    assert (record.status, record.steps_done, record.early_stop) == ("completed", 15, None)


def test_ls_show_and_their_json_say_the_run_stopped_early(metric_env, cli, store):
    cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss", "--keep-best", "val_loss")
    cli("run", *COUNTED, "--steps", "20")
    stop = store.get_run(1).early_stop["step"]
    listed = cli("ls").stdout.splitlines()
    assert f"completed (early @ {stop})" in listed[2] and "(early" not in listed[1]
    assert [r.id for r in store.list_runs(status="completed")] == [2, 1]  # --status completed lists both
    assert "completed (early" in cli("ls", "--status", "completed").stdout
    shown = cli("show", "1").stdout
    assert f"status      completed, stopped early after step {stop}: val_loss did not improve for 3" in shown
    assert "best val_loss weights at step 55 " in shown and f"weights at step {stop + 1} " in shown
    data = json.loads(cli("show", "1", "--json").stdout)
    assert data["early_stop"]["step"] == stop and data["config"]["early_stop"] == "val_loss"
    assert [k["kind"] for k in data["keeps"]] == ["checkpoint", "best", "weights"]  # the checkpoint at the stop
    assert json.loads(cli("ls", "--json").stdout)[1]["early_stop"]["best_step"] == 54


def test_the_report_marks_the_curves_where_the_run_stopped_early(metric_env, cli, store, tmp_path):
    cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss")
    stop = store.get_run(1).early_stop["step"]
    cli("report", "1", "--metric", "val_loss", "-o", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text()
    # on the loss per step, the loss against time and val_loss: a bar at the stop, its reason on hover; and the
    # summary table's note
    assert page.count(f"stopped early after step {stop}: val_loss did not improve for 3 evaluations") == 3 + 1
    assert page.count(f'"x":[{stop}]') >= 2 and "[| stopped early]" in page
    assert f"<small>stopped early after step {stop}: val_loss did not improve" in page  # the summary's note


def test_resume_refuses_a_run_that_stopped_early_in_one_line(metric_env, cli, store):
    cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss")
    before = store.get_run(1)
    result = cli("resume", "1", code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: run 1 stopped early after step {before.early_stop['step']}")
    assert "it is complete, so nothing resumes it" in lines[0] and "`runner resume 1 --no-early-stop`" in lines[0]
    assert store.get_run(1) == before


def test_resume_no_early_stop_continues_it_in_the_same_run_as_if_it_never_stopped(metric_env, cli, store):
    cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss", "--keep-best", "val_loss")
    stop = store.get_run(1).early_stop["step"]
    assert "checkpoint" in [a.kind for a in store.artifacts([1])[1]]  # kept at the stop, to continue from
    result = cli("resume", "1", "--no-early-stop")
    assert f"run 1: continuing from its checkpoint at step {stop + 1}" in result.stderr
    cli("run", *COUNTED, "--steps", "200", "--keep-best", "val_loss")  # run 2: never stopped early
    continued, alone = store.get_run(1), store.get_run(2)
    assert (continued.status, continued.steps_done, continued.early_stop) == ("completed", 200, None)
    assert (continued.final_loss, continued.best_loss) == (alone.final_loss, alone.best_loss)
    assert "early_stop" not in continued.config and "patience" not in continued.config
    assert [tuple(r[1:3]) for r in store.iter_steps([1])] == [tuple(r[1:3]) for r in store.iter_steps([2])]
    assert values(store, 1, "val_loss") == values(store, 2, "val_loss")
    for kind in ("weights", "best"):
        assert store.latest_artifact(1, kind).data == store.latest_artifact(2, kind).data
    assert [e.kind for e in store.events(1)] == ["continued", "requeued", "resumed"]


@pytest.mark.parametrize("args, message", [
    (["1", "--no-early-stop"], "run 1 did not stop early; --no-early-stop continues a run that did"),
    (["--no-early-stop"], "--no-early-stop continues runs that stopped early: give their ids"),
    (["2", "--no-early-stop", "--restart"], "run 2: --no-early-stop continues it from where it stopped, and --restart"),
])
def test_resume_no_early_stop_refuses_what_it_cannot_continue(metric_env, cli, store, args, message):
    cli("run", *COUNTED, "--steps", "20")
    cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss")
    before = [store.get_run(1), store.get_run(2)]
    result = cli("resume", *args, code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert [store.get_run(1), store.get_run(2)] == before


def test_resume_no_early_stop_refuses_a_run_without_its_checkpoint_before_changing_any(metric_env, cli, store):
    for _ in range(2):
        cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss")
    store.drop_artifacts(2, "checkpoint")  # as a run made before early-stopped runs kept theirs
    before = [store.get_run(1), store.get_run(2)]
    result = cli("resume", "1", "2", "--no-early-stop", code=2)
    assert "run 2 stopped early but kept no checkpoint to continue from; nothing was changed" in result.stderr
    assert [store.get_run(1), store.get_run(2)] == before


def test_the_best_weights_are_those_of_the_same_run_stopped_at_its_best_step(metric_env, cli, store, tmp_path):
    cli("run", *COUNTED, "--steps", "120", "--keep-best", "val_loss")
    best = store.latest_artifact(1, "best")
    assert best is not None and best.info.step == 55  # the evaluation after step index 54: 55 steps done
    cli("run", *COUNTED, "--steps", str(best.info.step))
    final = store.latest_artifact(2, "weights")
    cli("weights", "1", "--best", "-o", str(tmp_path / "best.npz"))
    with np.load(tmp_path / "best.npz") as kept, np.load(io.BytesIO(final.data)) as again:
        assert kept.files == again.files == ["p0"]
        assert kept["p0"].tobytes() == again["p0"].tobytes()  # bitwise
    assert store.latest_artifact(1, "weights").info.step == 120  # the final ones are kept too


def test_the_best_weights_go_under_artifacts_as_the_others_do(metric_env, cli, store, tmp_path):
    (tmp_path / "kept").mkdir()
    cli("run", *COUNTED, "--steps", "60", "--keep-best", "val_loss", "--artifacts", str(tmp_path / "kept"))
    best = next(a for a in store.artifacts([1])[1] if a.kind == "best")
    assert best.step == 55 and best.file is not None and (tmp_path / "kept" / best.file).is_file()
    assert store.latest_artifact(1, "best").data == (tmp_path / "kept" / best.file).read_bytes()


def test_load_model_gives_the_best_or_the_final_weights(metric_env, cli, store, db_url):
    import runner

    cli("run", *COUNTED, "--steps", "120", "--keep-best", "val_loss")
    best, final = (runner.load_model(1, db=db_url, which=w) for w in ("best", "final"))
    assert np.allclose(best.w, -0.001 * 55) and np.allclose(final.w, -0.001 * 120)  # every gradient is ones
    with pytest.raises(ValueError, match="which must be one of 'final', 'best'"):
        runner.load_model(1, db=db_url, which="last")


def test_weights_best_of_a_run_without_keep_best_says_what_to_do(metric_env, cli, store):
    cli("run", *COUNTED, "--steps", "10")
    result = cli("weights", "1", "--best", code=2)
    assert "run 1 kept no best weights: it ran without --keep-best METRIC" in result.stderr


def test_keep_checkpoints_above_one_keeps_a_completed_run_s_newest_checkpoints(metric_env, cli, store):
    cli("run", *COUNTED, "--steps", "30", "--checkpoint-every", "10 steps", "--keep-checkpoints", "2")
    cli("run", *COUNTED, "--steps", "30", "--checkpoint-every", "10 steps")
    kept = store.artifacts([1, 2])
    assert [(a.kind, a.step) for a in kept[1]] == [("checkpoint", 20), ("checkpoint", 30), ("weights", 30)]
    assert [(a.kind, a.step) for a in kept[2]] == [("weights", 30)]  # the default: a completed run's checkpoint goes


BAD = [
    (["--early-stop", "val_loss"], "--early-stop val_loss decides at evaluations; give --eval-every N too"),
    (["--keep-best", "val_loss"], "--keep-best val_loss decides at evaluations; give --eval-every N too"),
    (["--eval-every", "5", "--early-stop", "val_los"], "--early-stop: unknown metric 'val_los' (did you mean 'val_loss'?)"),
    (["--eval-every", "5", "--early-stop", "half_loss"], "this run's evaluations record val_loss, val_w_sum"),
    (["--eval-every", "5", "--keep-best", "val_accuracy"], "--keep-best: unknown metric 'val_accuracy'"),
    (["--eval-every", "5", "--early-stop", "val_loss", "--patience", "0"],
     "--patience must be a positive whole number of evaluations, not 0"),
    (["--eval-every", "5", "--early-stop", "val_loss", "--patience", "-2"],
     "--patience must be a positive whole number of evaluations, not -2"),
    (["--eval-every", "5", "--early-stop", "val_loss", "--min-delta", "-0.1"],
     "--min-delta must be a finite number of at least 0, not -0.1"),
    (["--eval-every", "5", "--early-stop", "val_loss", "--min-delta", "nan"], "--min-delta must be a finite number"),
    (["--eval-every", "5", "--patience", "3"], "--patience applies to --early-stop METRIC"),
    (["--eval-every", "5", "--min-delta", "0.1"], "--min-delta applies to --early-stop METRIC"),
]


@pytest.mark.parametrize("args, message", BAD)
def test_bad_stopping_options_are_one_line_usage_errors_and_store_nothing(metric_env, cli, db_path, args, message):
    result = cli("run", "--model", "counted", "--dataset", "heldout", "--steps", "20", *args, code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert not db_path.exists()  # refused before the database was created


DIGITS = ["--model", "digits_mlp", "--eval-every", "20", "-q"]


@pytest.mark.full
@pytest.mark.plugin_packages("runner-digits")
def test_a_torch_model_s_best_weights_equal_the_run_stopped_at_its_best_step(cli, store):
    import torch

    cli("run", *DIGITS, "--steps", "1500", "--early-stop", "val_loss", "--patience", "3", "--keep-best", "val_loss")
    early, best = store.get_run(1).early_stop, store.latest_artifact(1, "best")
    assert early is not None and best.info.step == early["best_step"] + 1 < early["step"] + 1
    cli("run", *DIGITS, "--steps", str(best.info.step))
    final = store.latest_artifact(2, "weights")
    kept, again = (torch.load(io.BytesIO(a.data), weights_only=True) for a in (best, final))
    assert list(kept) == list(again) and all(torch.equal(kept[k], again[k]) for k in kept)  # bitwise


@pytest.mark.full
def test_a_sweep_s_workers_stop_early_as_a_single_run_does(metric_env, cli, store):
    cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss", "--keep-best", "val_loss")
    cli("run", *COUNTED, "--steps", "200", "--early-stop", "val_loss", "--keep-best", "val_loss", "--sweep", "s",
        "--jobs", "2")
    single, swept = store.get_run(1), store.get_run(2)
    assert swept.sweep == "s" and swept.early_stop == single.early_stop and swept.steps_done == single.steps_done
    assert store.latest_artifact(2, "best").data == store.latest_artifact(1, "best").data
