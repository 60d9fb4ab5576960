"""The one Jinja2 environment of the report and watch pages, and the one way JSON goes inside a <script>.

Templates live in runner/report/templates (``report/…``) and
runner/watch/templates (``watch/…``), package data both. Autoescape is on,
so every value a template prints is HTML-escaped unless it is ``Markup``;
a missing variable raises (``StrictUndefined``) instead of printing
nothing. Markup built from data comes in only through this module's
filters, which do their own escaping: ``script_json`` (any value) and
``figures_json`` (Plotly figures) write JSON with ``<``, ``>``, ``&`` and
U+2028/U+2029 escaped, so nothing in it can close the script or end a
JavaScript line; ``e`` is the tables' escaping, which printed values share.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, PrefixLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["asset", "e", "environment", "render", "script_json", "script_safe"]

# In a <script>, "</" ends it and "<!--" changes how it ends; U+2028/2029 end a line in older JavaScript.
SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def e(value: Any) -> str:
    """Escape for HTML text and attribute values (``'`` and ``"`` too); None is empty."""
    return escape("" if value is None else str(value), quote=True)


def script_safe(text: str) -> str:
    """JSON text made safe inside a <script>: the same JSON to a parser, with nothing that can close the tag."""
    for raw, escaped in SCRIPT_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def script_json(value: Any) -> Markup:
    """``value`` as JSON safe inside a <script>."""
    return Markup(script_safe(json.dumps(value)))


def figure_json(fig: Any) -> str:
    """A Plotly figure as JSON safe inside a <script>."""
    return script_safe(fig.to_json(validate=False))


def figures_json(figs: Iterable[tuple[str, Any]]) -> Markup:
    """``{"name": figure, ...}`` of (name, figure) pairs, one figure a line, safe inside a <script>."""
    specs = ",\n".join(f"{script_safe(json.dumps(name))}: {figure_json(fig)}" for name, fig in figs)
    return Markup(f"{{\n{specs}\n}}")


@cache
def asset(name: str, package: str = "runner.report") -> Markup:
    """A file of the package's assets folder (the pages' CSS and scripts), inlined as it is: it is ours."""
    return Markup(resources.files(package).joinpath("assets").joinpath(name).read_text(encoding="utf-8"))


def _printed(value: Any) -> Any:
    """What ``{{ value }}`` prints: Markup as it is, anything else escaped as the tables escape it."""
    return value if hasattr(value, "__html__") else Markup(e(value))


@cache
def environment() -> Environment:
    """The environment every page is rendered with (made once)."""
    env = Environment(
        loader=PrefixLoader({"report": PackageLoader("runner.report"), "watch": PackageLoader("runner.watch")}),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_printed,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(script_json=script_json, figures_json=figures_json)
    env.globals.update(asset=asset)
    return env


def render(name: str, **context: Any) -> Markup:
    """The template ``name`` (``report/page.html``, ...) rendered with ``context``."""
    return Markup(environment().get_template(name).render(**context))
