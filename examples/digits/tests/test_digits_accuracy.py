"""Through runner itself: the model's defaults, on mini-batches of 64, reach 95% validation accuracy."""

import subprocess
import sys

STEPS = 1000  # digits_mlp's default


def test_the_defaults_reach_95_percent_validation_accuracy(tmp_path):
    db = f"sqlite:///{tmp_path / 'digits.db'}"
    command = [sys.executable, "-m", "runner", "run", "--model", "digits_mlp", "--dataset", "digits",
               "--batch-size", "64", "--eval-every", "100", "--quiet", "--db", db]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    from runner.store import open_store

    store = open_store(db)
    try:
        (run,) = store.list_runs()
        assert (run.status, run.steps_done, run.optimizer) == ("completed", STEPS, "adam")
        assert {"accuracy", "val_loss", "val_accuracy"} <= set(store.metric_names([run.id])[run.id])
        recorded = {}
        for _, name, step, value in store.iter_metrics([run.id], ["accuracy", "val_accuracy"]):
            recorded.setdefault(name, {})[step] = value
    finally:
        store.close()

    assert len(recorded["accuracy"]) == STEPS  # the batch accuracy, at every step
    val_accuracy = recorded["val_accuracy"]
    assert sorted(val_accuracy) == list(range(99, STEPS, 100))  # after every 100th step; the last is one of them
    assert val_accuracy[STEPS - 1] >= 0.95, val_accuracy
