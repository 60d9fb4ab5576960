"""The command line as typed (runner.cli.typed): what was given on it or through the environment, in the
command's order, and nothing left at its default."""

import click
from click.testing import CliRunner

from runner.cli.typed import as_typed


@click.group()
def top():
    pass


@top.command()
@click.argument("ids", nargs=-1, type=int)
@click.option("-o", "--output", default="report.html")
@click.option("--model", "-m", "models", multiple=True)
@click.option("--linear", is_flag=True)
@click.option("--weights/--no-weights", default=None)
@click.option("--points", type=int, default=2000)
@click.option("--title", envvar="TITLE")
@click.option("--db", envvar="DB")
def show(**kwargs):
    click.echo(as_typed(click.get_current_context()))


def typed(*args: str, **env: str) -> str:
    result = CliRunner().invoke(top, list(args), env=env, prog_name="python -m runner")
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_defaults_are_not_repeated():
    assert typed("show") == "runner show"
    assert typed("show", "--points", "2000") == "runner show --points 2000"  # given, even at its default value


def test_each_given_option_in_the_commands_order_with_its_first_flag():
    assert typed("show", "--no-weights", "-m", "a", "3", "--output", "x y.html", "--model", "b", "--linear", "4") == (
        "runner show 3 4 -o 'x y.html' --model a --model b --linear --no-weights")
    assert typed("show", "--weights") == "runner show --weights"


def test_the_environment_counts_and_the_database_is_left_out():
    assert typed("show", "--db", "postgresql://u:secret@h/d", TITLE="lr <sweep>", DB="sqlite:///x.db") == (
        "runner show --title 'lr <sweep>'")
