"""The lr schedule in reports: a grid axis as the optimizer is (its settings follow its name), named in labels,
and a report of runs without schedules is as it was."""

from __future__ import annotations

from runner.config import RunConfig
from runner.report import gather
from runner.report.verdicts import verdicts


def add_scheduled(store, schedule, params, seed, final, warmup=0):
    config = RunConfig(model="numpy", optimizer="sgd", dataset="random", lr=0.01, steps=2, seed=seed,
                       model_params={"hidden": 10}, dataset_params={"batch": 8}, schedule=schedule,
                       schedule_params=params, warmup=warmup)
    run_id = store.create_run(config, "cpu")
    store.append_steps(run_id, [(0, 5.0, 0.1), (1, final, 0.2)])
    store.finish_run(run_id, "completed", final, final)


def test_groups_that_differ_only_by_schedule_are_compared_by_its_name(store):
    for seed in range(3):
        add_scheduled(store, "cosine", {"min_factor": 0.1}, seed, 1.0 + seed)
        add_scheduled(store, "constant", {}, seed, 2.0 + seed)
        add_scheduled(store, "step", {"step_size": 100, "gamma": 0.1}, seed, 1.5 + seed)
    data = gather(store)
    assert "schedule" in data.varying
    v = verdicts(data)
    names = sorted((c.setting, c.first.name, c.second.name) for c in v.comparisons)
    assert names == [("schedule", "cosine", "constant"), ("schedule", "cosine", "step"), ("schedule", "step", "constant")]
    assert all(c.clear for c in v.comparisons)


def test_warm_up_is_a_setting_of_its_own(store):
    for seed in range(2):
        add_scheduled(store, "cosine", {"min_factor": 0.0}, seed, 1.0 + seed, warmup=10)
        add_scheduled(store, "cosine", {"min_factor": 0.0}, seed, 2.0 + seed)
    v = verdicts(gather(store))
    assert [(c.setting, c.first.name, c.second.name) for c in v.comparisons] == [("warmup", "warmup=10", "no warmup")]


def test_runs_without_schedules_report_no_schedule_setting(store):
    add_scheduled(store, "constant", {}, 0, 1.0)
    data = gather(store)
    assert "schedule" not in data.constant and "schedule" not in data.varying
    assert data.runs[0].params == {"model.hidden": 10, "dataset.batch": 8}
