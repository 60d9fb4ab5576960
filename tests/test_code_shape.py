"""The shape of runner's own code, kept true as it grows: no function takes more than MAX_PARAMETERS,
and every click command is annotated.

A function that needs more takes the object they describe (runner.request.RunRequest, a Page, a
Selection): the parameters are then defined, documented and passed on in one place.
"""

from __future__ import annotations

import ast
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[1] / "runner"
MAX_PARAMETERS = 8


def parameter_count(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Positional and keyword parameters, less a method's self or cls (``*args`` and ``**kwargs`` are not counted)."""
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return len(names) - (1 if names and names[0] in ("self", "cls") else 0)


def over_the_limit(source: str, where: str) -> list[str]:
    return [
        f"{where}:{node.lineno} {node.name}() takes {count} parameters"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (count := parameter_count(node)) > MAX_PARAMETERS
    ]


def test_no_function_in_runner_takes_more_than_eight_parameters():
    offenders = [line for path in sorted(RUNNER.rglob("*.py"))
                 for line in over_the_limit(path.read_text(encoding="utf-8"), str(path.relative_to(RUNNER.parent)))]
    assert not offenders, f"more than {MAX_PARAMETERS} parameters (pass a dataclass instead):\n" + "\n".join(offenders)


def test_the_count_leaves_out_self_and_star_arguments_and_names_each_offender():
    source = (
        "class A:\n"
        "    def fine(self, a, b, c, d, e, f, g, h, *args, **kwargs): ...\n"
        "def nine(a, b, c, d, e, f, g, h, *, i): ...\n"
        "async def also(a, b, c, d, e, f, g, h, i, /): ...\n"
    )
    assert over_the_limit(source, "x.py") == ["x.py:3 nine() takes 9 parameters", "x.py:4 also() takes 9 parameters"]


def commands_unannotated(source: str, where: str) -> list[str]:
    """The click commands (a function decorated with ...command(...) or ...group(...)) with a parameter or the
    return left unannotated."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        if not any(ast.unparse(d).split("(")[0].rsplit(".", 1)[-1] in ("command", "group") for d in node.decorator_list):
            continue
        args = node.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, (args.vararg, args.kwarg))]
        missing = [a.arg for a in every if a.annotation is None] + (["return"] if node.returns is None else [])
        if missing:
            found.append(f"{where}:{node.lineno} {node.name}(): {', '.join(missing)}")
    return found


def test_every_click_command_is_annotated():
    """mypy checks a command's body against its options' types only where they are written down."""
    found = [line for path in sorted((RUNNER / "cli").glob("*.py"))
             for line in commands_unannotated(path.read_text(encoding="utf-8"), str(path.relative_to(RUNNER.parent)))]
    assert not found, "click commands with unannotated parameters:\n" + "\n".join(found)
    assert commands_unannotated("@click.command()\ndef c(a, b: int): ...\n", "x.py") == ["x.py:2 c(): a, return"]
