"""runner report: writes one file, selects runs, one-line errors, and plotly only when it runs."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.report.conftest import HOSTILE, add_run, decay, evaluations, rising

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]


def test_report_of_real_runs(cli, tmp_path, monkeypatch):
    cli("run", "--model", "numpy", "--steps", "6", *DATA, "--seed", "0-2", "-q")
    cli("run", "--model", "tensor", "--steps", "4", *DATA, "--name", HOSTILE, "-q")
    cli("run", "--model", "explode", "--steps", "9", *DATA, "-q", code=3)
    monkeypatch.chdir(tmp_path)
    result = cli("report")
    assert re.fullmatch(r"Wrote report\.html: 5 runs, 1 seed group, \d+\.\d MB", result.stderr.strip())
    page = (tmp_path / "report.html").read_text()
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<dt>Command</dt><dd>runner report</dd>" in page and "status-diverged" in page  # as typed: no default repeated


def test_selection_output_and_options(cli, store, tmp_path):
    a = add_run(store, decay(30), model="numpy", sweep="grid-1")
    b = add_run(store, decay(30), model="tensor", sweep="grid-1")
    c = add_run(store, [1.0, float("nan")], model="tensor")
    out = tmp_path / "sweep.html"
    assert "2 runs" in cli("report", "--sweep", "grid-1", "-o", str(out)).stderr
    page = out.read_text()
    assert f'data-t="#{a}"' in page and f'data-t="#{b}"' in page and f'data-t="#{c}"' not in page
    assert "sweep grid-1" in page
    cli("report", str(b), "-o", str(out), "--plotlyjs", "cdn", "--band", "std", "--linear", "--points", "100")
    page = out.read_text()
    assert "cdn.plot.ly" in page and len(page) < 300_000 and '"type":"linear"' in page
    assert "runner report 2 -o" in page and "--plotlyjs cdn --band std --linear --points 100" in page
    assert "1 run" in cli("report", "--model", "tensor", "--status", "diverged", "-o", str(out)).stderr
    assert "2 runs" in cli("report", "-m", "numpy", "-m", "tensor", "-s", "completed", "-o", str(out)).stderr


def test_a_report_of_real_runs_with_metrics(cli, metric_env, tmp_path):
    """Runs that record training metrics and evaluations, through the engine and the store, into the page."""
    data = ["--dataset", "heldout", "--set", "d_in=20", "--set", "d_out=3", "--set", "batch=16", "--set", "val=8"]
    cli("run", "--model", "counted", "--steps", "12", "--eval-every", "5", "--seed", "0-1", *data, "-q")
    cli("run", "--model", "counted", "--steps", "12", "--eval-every", "5", "--lr", "1e-2", *data, "-q")
    out = tmp_path / "real.html"
    cli("report", "--metric", "val_loss,half_loss", "--best", "val_loss", "-o", str(out))
    page = out.read_text()
    assert 'id="fig-metric-val_loss"' in page and 'id="fig-metric-half_loss"' in page
    # a seed group against one run: one seed has no interval, so the two are tied and nothing is starred
    assert page.count(' best">') == 0 and "Nothing is starred: by final val_loss, 2 entries are tied for best" in page
    assert "The runs also recorded val_half_loss, val_w_sum, w_sum: draw them with --metric NAME." in page
    assert "Colour: lr. Dash: optimizer." in page  # one model: colour follows the lr


def test_metrics_and_best(cli, store, tmp_path):
    for s in range(2):
        add_run(store, decay(30, seed=s), seed=s, metrics={"val_accuracy": evaluations(rising(3, seed=s), 10)})
    lone = [add_run(store, decay(30, seed=s), lr=0.1, seed=s, metrics={
        "val_accuracy": evaluations([0.2, 0.99, 0.98 + s / 1000], 10), "lr": [0.1] * 30}) for s in range(2)][0]
    out = tmp_path / "m.html"
    result = cli("report", "--metric", "val_accuracy", "--metric", "lr", "--best", "val_accuracy", "-o", str(out))
    assert result.stderr.startswith("Wrote ") and len(result.stderr.splitlines()) == 1
    page = out.read_text()
    assert 'id="fig-metric-val_accuracy"' in page and 'id="fig-metric-lr"' in page
    assert "--metric val_accuracy --metric lr --best val_accuracy" in page and "val_accuracy best ↑" in page
    assert "lr best" not in page  # lr is tracked, not a goal: no best column
    # clearly higher in both seeds: starred, the one bold row
    assert page.count(' best">') == 1 and '<tr class="group best"><td data-t="numpy · gd · lr=0.1"><b>★ numpy' in page
    assert f"runs #{lone}" in page
    cli("report", "--metric", " val_accuracy, ", "-o", str(out))  # spaces and a trailing comma are fine
    assert 'id="fig-metric-val_accuracy"' in out.read_text() and 'id="fig-metric-lr"' not in out.read_text()


def test_the_verdicts_as_json_beside_the_page(cli, store, tmp_path):
    for s in range(3):
        add_run(store, decay(30, seed=s), seed=s)
        add_run(store, decay(30, rate=0.8, seed=10 + s), seed=s, optimizer="adam")  # clearly lower
    out, found = tmp_path / "r.html", tmp_path / "verdicts.json"
    cli("report", "--verdicts", str(found), "-o", str(out))
    verdicts = json.loads(found.read_text())
    assert verdicts["metric"] == "loss" and verdicts["at"] == "final" and verdicts["direction"] == "min"
    (c,) = verdicts["comparisons"]
    assert (c["setting"], c["first"]["name"], c["second"]["name"], c["seeds"], c["paired"]) == ("optimizer", "adam", "gd", 3, True)
    assert c["clear"] and c["high"] < 0 and c["verdict"].startswith("adam lower than gd in 3 of 3 seeds")
    assert html.escape(c["verdict"]) in out.read_text()  # the same verdict as the page's
    assert verdicts["best"][0]["label"].startswith("numpy · adam")
    assert f"--verdicts {found}" in out.read_text()  # the command as typed

    printed = cli("report", "--verdicts", "-", "--compare", "best", "-o", str(out))
    assert json.loads(printed.stdout)["at"] == "best" and printed.stderr.startswith("Wrote ")


def test_an_unwritable_verdicts_path_is_refused_before_the_page_is_written(cli, store, tmp_path):
    add_run(store, decay(5))
    page = tmp_path / "r.html"
    result = cli("report", "--verdicts", str(tmp_path / "missing" / "v.json"), "-o", str(page), code=2)
    assert result.stderr.startswith(f"Error: cannot write {tmp_path / 'missing' / 'v.json'}: the folder "
                                    f"{tmp_path / 'missing'} does not exist; create it first")
    assert len(result.stderr.splitlines()) == 1 and not page.exists()
    result = cli("report", "--verdicts", str(tmp_path), "-o", str(page), code=2)  # a folder
    assert "is a directory; give a file path, e.g. --verdicts" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not page.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--metric", "val_acc"], "Error: unknown metric 'val_acc' (did you mean 'val_accuracy'?); "
                                  "the selected runs have: lr, val_accuracy (see '"),
        (["--metric", "val_accuracy,acuracy"], "Error: unknown metric 'acuracy' (did you mean"),
        (["--best", "accuracy"], "Error: unknown metric 'accuracy' (did you mean 'val_accuracy'?)"),
        (["1", "--metric", "lr"], "Error: unknown metric 'lr'; the selected runs have: val_accuracy"),
    ],
)
def test_an_unknown_metric_is_a_usage_error_in_one_line(cli, store, tmp_path, args, message):
    add_run(store, decay(20), metrics={"val_accuracy": evaluations([0.5, 0.6], 10)})
    add_run(store, decay(20), lr=0.1, metrics={"lr": [0.1] * 20})
    result = cli("report", *args, "-o", str(tmp_path / "r.html"), code=2)
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "nope"], "Error: no runs match the selection (model nope) in sqlite:///"),
        (["--sweep", "ghost"], "Error: no runs match the selection (sweep ghost)"),
        (["--status", "lost"], "Error: no runs match the selection (status lost)"),
        (["42"], "Error: no run 42 in"),
    ],
)
def test_no_matching_runs_is_one_line(cli, store, tmp_path, args, message):
    add_run(store, decay(5))
    result = cli("report", *args, "-o", str(tmp_path / "r.html"), code=1)
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_an_empty_database_is_one_line(cli, tmp_path):
    result = cli("report", "-o", str(tmp_path / "r.html"), code=1)
    assert result.stderr.startswith("Error: no runs match the selection (all runs)") and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("where", ["missing/r.html", "."])
def test_an_unwritable_output_is_one_line(cli, store, tmp_path, where):
    add_run(store, decay(5))
    result = cli("report", "-o", str(tmp_path / where), code=2)
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    if where != ".":
        assert result.stderr.startswith(f"Error: cannot write {tmp_path / where}: the folder {tmp_path / 'missing'} "
                                        "does not exist; create it first")


def test_an_unwritable_path_is_one_line(cli, store, tmp_path):
    """A path under a file cannot be written, even by root (unlike a read-only folder)."""
    add_run(store, decay(5))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("report", "-o", str(blocker / "r.html"), code=2)
    assert result.stderr.startswith("Error: -o ") and len(result.stderr.splitlines()) == 1
    assert "a folder on the path is a file" in result.stderr
    assert blocker.read_text() == "not a folder"


def test_help_and_the_command_list_do_not_import_plotly():
    code = (
        "import sys\n"
        "from runner.cli import main\n"
        "for args in (['--help'], ['report', '--help']):\n"
        "    try:\n"
        "        main(args, prog_name='runner')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('plotly', 'numpy', 'torch')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "  report " in result.stdout and "--plotlyjs [embed|cdn]" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
