"""The pages' templates: every one escapes what it is given, a missing variable raises, JSON in a script stays in it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from markupsafe import Markup

from runner.report.templating import environment, render, script_json, script_safe

HOSTILE = ("<script>alert(1)</script>", '"onmouseover=alert(2) x="', "</script>", "<!--", "a\u2028b\u2029c & d")
BAD = "".join(HOSTILE)  # one value that tries everything at once
SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL)
ROOT = Path(__file__).resolve().parents[2]


class Figure:
    """What the templates need of a Plotly figure: its JSON."""

    def to_json(self, validate: bool = True) -> str:
        return json.dumps({"data": [{"name": BAD, "text": [BAD]}], "layout": {"title": {"text": BAD}}})


def page_context() -> dict:
    return {
        "version": BAD, "title": BAD, "plotly_tag": render("report/plotlyjs.html", embedded=None, url=BAD, digest=BAD),
        "header": render("report/header.html", **header_context()), "sections": [(BAD, BAD, BAD)],
        "figures": [(BAD, Figure())], "plot_config": {BAD: BAD},
    }


def header_context() -> dict:
    return {"title": BAD, "n_runs": 2, "n_groups": 1, "selection": BAD, "database": BAD, "built": BAD,
            "sections": [(BAD, BAD, BAD)], "counts": [(BAD, 2)]}


def sections_macros() -> str:
    m = environment().get_template("report/sections.html").module
    return "".join([
        m.notes([BAD]), m.figure(BAD, [BAD]), m.summary(BAD), m.every_run(BAD, BAD),
        m.provenance([(BAD, BAD)], [((BAD,) * 7, BAD, BAD)]),
    ])


# Each template, rendered with a hostile string in every variable a user's data can reach (run, sweep, metric and
# plugin names and settings arrive as these: titles, section names and contents, figure names and JSON, settings).
RENDERED = {
    "report/page.html": lambda: render("report/page.html", **page_context()),
    "report/header.html": lambda: render("report/header.html", **header_context()),
    "report/plotlyjs.html": lambda: render("report/plotlyjs.html", embedded=None, url=BAD, digest=BAD),
    "report/sections.html": sections_macros,
    "watch/page.html": lambda: render("watch/page.html", watch={"watching": BAD, "database": BAD}, **page_context()),
}


def test_every_template_is_checked_here():
    assert sorted(environment().list_templates()) == sorted(RENDERED)


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_a_hostile_value_is_escaped_in_every_template(name):
    html = str(RENDERED[name]())
    scripts = SCRIPT.findall(html)
    assert html.count("<script") == html.count("</script>") == len(scripts)  # nothing closed a script early
    for body in scripts:
        assert not any(raw in body for raw in ("<script>alert", "</script", "<!--", "\u2028", "\u2029", "& d"))
    outside = SCRIPT.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)], html)  # each opening tag, attributes kept
    assert BAD in Markup(outside).unescape()  # shown, as text
    for raw in HOSTILE:
        assert raw not in outside, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in outside and "&quot;onmouseover=" in outside


def test_the_page_templates_write_the_hostile_json_so_it_reads_back_the_same():
    html = str(render("watch/page.html", watch={"watching": BAD}, **page_context()))
    figures = re.search(r"var FIGURES = (\{.*?\n\});", html, re.DOTALL)
    watch = re.search(r"var WATCH = (.*);", html)
    assert figures and watch
    assert json.loads(figures.group(1)) == {BAD: json.loads(Figure().to_json())}
    assert json.loads(watch.group(1)) == {"watching": BAD}


@pytest.mark.parametrize("name", ["report/page.html", "report/header.html", "report/plotlyjs.html", "watch/page.html"])
def test_a_missing_variable_raises_instead_of_printing_nothing(name):
    with pytest.raises(UndefinedError):
        render(name)
    context = page_context() if name.endswith("page.html") else header_context()
    if name == "report/header.html":
        del context["database"]
        with pytest.raises(UndefinedError, match="database"):
            render(name, **context)
    if name == "report/page.html":
        del context["title"]
        with pytest.raises(UndefinedError, match="title"):
            render(name, **context)


def test_a_missing_macro_argument_raises():
    m = environment().get_template("report/sections.html").module
    with pytest.raises(UndefinedError):
        m.notes()
    with pytest.raises(UndefinedError):
        m.provenance([("Host", "h")])


@pytest.mark.parametrize("value", [BAD, {"a": [BAD, 1.5, None]}, "plain"])
def test_script_json_is_the_same_json_with_nothing_that_ends_a_script(value):
    text = str(script_json(value))
    assert json.loads(text) == value
    assert not any(c in text for c in "<>&\u2028\u2029")
    assert json.loads(script_safe(json.dumps(value, ensure_ascii=False))) == value


def test_one_copy_of_the_script_escaping_and_of_the_canonical_formatter():
    sources = {p: p.read_text() for p in (ROOT / "runner").rglob("*.py")}
    escaping = [p.name for p, text in sources.items() if "u003c" in text]
    canonical = [p.name for p, text in sources.items() if "sort_keys=True, default=str" in text]
    assert escaping == ["templating.py"] and canonical == ["formatting.py"], (escaping, canonical)


@pytest.mark.parametrize("package", ["runner.report", "runner.watch"])
def test_the_templates_are_declared_as_package_data(package):
    import fnmatch

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][package]
    folder = ROOT.joinpath(*package.split("."))
    files = sorted(p.relative_to(folder).as_posix() for p in (folder / "templates").rglob("*") if p.is_file())
    assert files and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), (files, globs)
