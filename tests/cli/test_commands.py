"""ls, show, export, plugins and rm, and the database errors every command shares."""

import csv
import io
import json

import pytest

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]


@pytest.fixture
def three_runs(cli):
    cli("run", "--model", "numpy", "--steps", "6", *DATA, "--name", "alpha")
    cli("run", "--model", "tensor", "--steps", "4", *DATA)
    cli("run", "--model", "explode", "--steps", "9", *DATA, code=3)


def test_ls_lists_newest_first_and_filters(cli, three_runs):
    lines = cli("ls").output.strip().splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "SWEEP", "MODEL"]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    assert "alpha" in lines[3] and "6/6" in lines[3] and "completed" in lines[3]
    assert [r["id"] for r in json.loads(cli("ls", "--json").output)] == [3, 2, 1]
    assert [r["id"] for r in json.loads(cli("ls", "--model", "tensor", "--json").output)] == [2]
    diverged = json.loads(cli("ls", "--status", "diverged", "--json").output)
    assert [(r["id"], r["final_loss"]) for r in diverged] == [(3, "nan")]
    assert len(json.loads(cli("ls", "-n", "1", "--json").output)) == 1


def test_ls_on_an_empty_database_says_how_to_start(cli):
    result = cli("ls")
    assert "No runs in" in result.stderr and "runner run --model dynamic" in result.stderr


def test_show_prints_record_and_loss_summary(cli, three_runs):
    output = cli("show", "1").output
    assert "status      completed" in output and "alpha" in output and "hidden=100" in output
    assert "steps       6 of 6" in output and "losses" in output
    data = json.loads(cli("show", "3", "--json").output)
    assert data["status"] == "diverged" and data["losses"]["nonfinite"] == 1 and data["losses"]["steps"] == 4


def test_show_includes_the_traceback_of_a_failed_run(cli):
    cli("run", "--model", "crash", "--steps", "5", *DATA, code=1)
    output = cli("show", "1").output
    assert "error" in output and "RuntimeError: boom at step 3" in output


def test_show_lists_the_events_of_a_run_it_finds_lost(cli, store):
    from sqlalchemy import update

    from runner.config import RunConfig
    from runner.store.models import runs

    run_id = store.create_run(RunConfig(model="numpy", optimizer="gd", dataset="random", lr=0.1, steps=5, seed=0), "cpu")
    with store._engine.begin() as conn:  # another host's run that never beat
        conn.execute(update(runs).where(runs.c.id == run_id).values(host="elsewhere", heartbeat_at=None))
    output = cli("show", str(run_id)).output
    assert "status      lost" in output
    assert "\nevents\n" in output and " lost     no heartbeat from elsewhere at all (over RUNNER_LOST_AFTER_SECONDS=" in output
    [event] = json.loads(cli("show", str(run_id), "--json").output)["events"]
    assert event["kind"] == "lost" and event["detail"].startswith("no heartbeat from elsewhere at all") and event["at"]


def test_export_csv_all_runs_at_full_resolution(cli, three_runs):
    rows = list(csv.DictReader(io.StringIO(cli("export").output)))
    assert list(rows[0]) == ["run_id", "step", "loss", "elapsed"]
    assert len(rows) == 6 + 4 + 4
    assert [r["step"] for r in rows if r["run_id"] == "1"] == [str(i) for i in range(6)]
    assert rows[-1]["loss"] == "nan"


def test_export_json_selected_runs_to_a_file(cli, three_runs, tmp_path):
    target = tmp_path / "losses.json"
    cli("export", "2", "3", "--format", "json", "-o", str(target))
    rows = json.loads(target.read_text())
    assert {r["run_id"] for r in rows} == {2, 3} and rows[-1]["loss"] == "nan"
    assert set(rows[0]) == {"run_id", "step", "loss", "elapsed"}


def test_export_to_an_unwritable_path_is_one_line(cli, three_runs, tmp_path):
    result = cli("export", "-o", str(tmp_path / "missing" / "x.csv"), code=2)
    assert result.stderr.startswith("Error: cannot write") and len(result.stderr.splitlines()) == 1
    assert "does not exist; create it first" in result.stderr


def test_plugins_lists_every_model_with_its_origin(cli):
    output = cli("plugins").output
    for name in ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic",
                 "gd", "sgd", "adam", "adamw", "random"):
        assert f"\n{name} " in output
    data = json.loads(cli("plugins", "--json").output)
    dynamic = next(m for m in data["models"] if m["name"] == "dynamic")
    assert dynamic["package"] == "runner" and dynamic["optimizer"] == "sgd" and dynamic["optimizer_options"] == {"momentum": 0.9}
    assert dynamic["lr"] == 1e-4 and dynamic["params"] == {"hidden": 100}
    sgd = next(o for o in data["optimizers"] if o["name"] == "sgd")
    assert sgd["backends"] == ["torch", "numpy"] and sgd["options"]["nesterov"] is False


def test_a_broken_plugin_is_a_warning_and_the_cli_keeps_working(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.fake_plugins,tests.support.raises_on_import")
    result = cli("plugins")
    assert "warning: plugin 'tests.support.raises_on_import' skipped: failed to import: ImportError" in result.stderr
    assert "dynamic" in result.stdout
    cli("run", "--model", "numpy", "--steps", "2", *DATA)


def test_rm_deletes_runs_and_their_losses(cli, three_runs, store):
    assert cli("rm", "1", "3").output.strip() == "Deleted 2 runs: 1 3"
    assert [r.id for r in store.list_runs()] == [2]
    assert {s[0] for s in store.iter_steps(None)} == {2}


@pytest.mark.parametrize("command", [["show", "42"], ["rm", "2", "42"], ["export", "42"]])
def test_an_absent_run_is_one_line_and_deletes_nothing(cli, three_runs, store, command):
    result = cli(*command, code=1)
    assert result.stderr.startswith("Error: no run 42") and len(result.stderr.splitlines()) == 1
    assert len(store.list_runs()) == 3


@pytest.mark.parametrize("command", [["ls"], ["show", "1"], ["run", "--model", "numpy", "--steps", "2"], ["export"], ["rm", "1"]])
def test_a_garbage_database_file_is_one_line_and_left_untouched(cli, tmp_path, command):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    result = cli(*command, "--db", str(garbage), code=2)  # someone else's file: refused, the user's to fix
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert "not a runner database" in result.stderr or "not a database" in result.stderr
    assert garbage.read_bytes() == b"this is not sqlite" * 100


def test_the_db_option_names_the_default_the_store_uses(cli):
    from runner.store import DEFAULT_URL

    output = " ".join(cli("ls", "--help").output.split())
    assert f"[default: $RUNNER_DB, else {DEFAULT_URL}]" in output


def test_a_folder_as_database_is_one_line(cli, tmp_path):
    result = cli("ls", "--db", str(tmp_path), code=1)
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1


def test_an_unknown_dialect_is_one_line(cli):
    result = cli("ls", "--db", "nosuchdb://localhost/x", code=2)  # the user's to fix: a usage error
    assert "nosuchdb" in result.stderr and len(result.stderr.splitlines()) == 1


def test_unknown_command_suggests(cli):
    result = cli("lss", code=2)
    assert "No such command 'lss'" in result.stderr and len(result.stderr.splitlines()) == 1


def test_help_lists_every_command(cli):
    output = cli("--help").output
    for command in ("run", "ls", "show", "export", "plugins", "rm"):
        assert f"  {command} " in output


@pytest.fixture
def stores(monkeypatch):
    """Every Store opened from here on, and every one closed."""
    from runner.store import Store

    opened, closed = [], []
    init, close = Store.__init__, Store.close

    def counting_init(self, *args, **kwargs):
        opened.append(self)
        init(self, *args, **kwargs)

    def counting_close(self):
        closed.append(self)
        close(self)

    monkeypatch.setattr(Store, "__init__", counting_init)
    monkeypatch.setattr(Store, "close", counting_close)
    return opened, closed


COMMANDS = [  # each command, and its ways out: success, a one-line error, a failed run, a sweep
    (["ls"], 0), (["ls", "--json"], 0), (["show", "1"], 0), (["show", "42"], 1), (["export"], 0),
    (["export", "42"], 1), (["rm", "2"], 0), (["rm", "42"], 1), (["resume"], 0), (["resume", "nope"], 1),
    (["report", "-o", "{tmp}/r.html"], 0), (["report", "42", "-o", "{tmp}/r.html"], 1),
    (["run", "--model", "numpy", "--steps", "2", *DATA], 0), (["run", "--model", "crash", "--steps", "5", *DATA], 1),
    (["run", "--model", "numpy", "--steps", "2", "--seed", "0-1", *DATA, "-q"], 0),
]


@pytest.mark.parametrize("command, code", COMMANDS, ids=[" ".join(c[:3]) for c, _ in COMMANDS])
def test_every_command_closes_the_store_it_opened(cli, three_runs, stores, tmp_path, command, code):
    opened, closed = stores
    cli(*(arg.replace("{tmp}", str(tmp_path)) for arg in command), code=code)
    assert opened, "the command opened no store"
    assert [id(s) for s in opened] == [id(s) for s in closed]
