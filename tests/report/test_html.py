"""The page: plotly.js exactly once (or from the CDN), nothing fetched, every user string escaped, statuses marked."""

from __future__ import annotations

import re

import pytest
from plotly.offline import get_plotlyjs

from runner.config import RunConfig
from runner.report import gather, to_html, write_html
from tests.report.conftest import HOSTILE, add_run, decay

PLOTLY_JS = get_plotlyjs()
PLOTLY_BANNER = PLOTLY_JS[:60]  # "/**\n* plotly.js v4.1.1\n* Copyright ..."
URL_ATTRIBUTE = re.compile(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def ours(page: str) -> str:
    """The page without the plotly.js bundle (whose own strings mention URLs and SVG)."""
    assert page.count(PLOTLY_JS) <= 1
    return page.replace(PLOTLY_JS, "/* plotly.js */")


@pytest.fixture
def page(store, mixed):
    return to_html(gather(store, command="runner report -o r.html"))


def test_offline_page_embeds_plotly_js_once_and_references_nothing_outside(page):
    assert page.count(PLOTLY_BANNER) == 1 and page.count(PLOTLY_JS) == 1
    page = ours(page)
    assert page.count("<script") == 3  # config, plotly.js, the figures and the table sorter
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"<link\b", page) and "@import" not in page and "url(" not in page.split("<script", 1)[0]
    assert not URL_ATTRIBUTE.search(page)
    assert page.count("Plotly.newPlot") == 1 and all(f'id="fig-{n}"' in page for n in ("loss", "final_loss", "wall_clock"))


def test_cdn_page_is_small_and_loads_plotly_js_with_its_integrity_hash(store, mixed):
    page = to_html(gather(store), plotlyjs="cdn")
    assert PLOTLY_BANNER not in page and len(page) < 300_000
    (tag,) = re.findall(r"<script[^>]*\bsrc=[^>]*>", page)
    assert re.search(r'src="https://cdn\.plot\.ly/plotly-[\d.]+\.min\.js"', tag) and 'integrity="sha256-' in tag


def test_a_hostile_run_name_is_only_escaped_text(store):
    add_run(store, decay(5), name=HOSTILE)
    add_run(store, decay(5), sweep="</script><script>alert(2)</script>", seed=1)
    config = RunConfig(model="<svg onload=alert(3)>", optimizer="gd", dataset="random", lr=0.1, steps=2, seed=0,
                       model_params={"<i>key</i>": "<u>value</u>"})
    run_id = store.create_run(config, "cpu")
    store.append_steps(run_id, [(0, 2.0, 0.1), (1, 1.0, 0.2)])
    store.finish_run(run_id, "completed", 1.0, 1.0)
    page = ours(to_html(gather(store, command="runner report --title '<h1>x</h1>'"), title="<marquee>t</marquee>"))
    for raw in (HOSTILE, "<img", "</script><script>", "alert(2)</script>", "<svg", "<i>key", "<u>value", "<h1>x", "<marquee"):
        assert raw not in page, raw
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # in the tables, as text
    assert "&lt;svg onload=alert(3)&gt;" in page and "&lt;u&gt;value&lt;/u&gt;" in page
    assert page.count("</script>") == page.count("<script")  # nothing closed a script early


def test_statuses_are_marked_not_dropped(store):
    for status in ("completed", "diverged", "failed", "interrupted", "lost", "running"):
        add_run(store, [3.0, 2.0], status=status, model=f"m{status}")
    page = ours(to_html(gather(store)))
    for status in ("diverged", "failed", "interrupted", "lost", "running"):
        assert f'class="status status-{status}"' in page
        assert f'status-row-{status}' in page


def test_sections_and_provenance(page):
    page = ours(page)
    for heading in ("Loss per step", "Summary", "Every run", "Final loss", "Loss against wall-clock time",
                    "Configuration differences", "Provenance"):
        assert f"<h2>{heading}</h2>" in page
    assert "runner report -o r.html" in page and "torch" in page and "numpy" in page
    assert '<table class="sortable" id="table-summary">' in page and "data-v=" in page


def test_write_html_is_all_or_nothing(store, mixed, tmp_path):
    data = gather(store)
    with pytest.raises(OSError):
        write_html(data, tmp_path / "missing" / "r.html")
    target = tmp_path / "r.html"
    assert write_html(data, target) == target and target.read_text().startswith("<!DOCTYPE html>")
    assert not list(tmp_path.glob(".r.html.*"))


def test_the_summary_shows_training_time_not_the_processes_wall_time(store):
    add_run(store, decay(4), dt=0.5)  # 2 s of training, recorded in a few milliseconds
    page = ours(to_html(gather(store)))
    (row,) = re.findall(r'<tr class="run[^"]*">.*?</tr>', page.split('id="table-summary"')[1])
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    head = re.findall(r"<th[^>]*>(.*?)</th>", page.split('id="table-summary"')[1].split("</thead>")[0])
    assert head[-2:] == ["Training", "Start-up"] and cells[-2] == "2.00 s"


def test_the_pages_style_and_script_are_package_data_inlined(page):
    from runner.report.html import asset

    css, js = asset("page.css"), asset("page.js")
    assert f"<style>\n{css}</style>" in page and js in page and "Plotly.newPlot" in js
    assert page.index("var FIGURES = ") < page.index(js)  # the data the script draws comes first


def test_the_assets_are_declared_as_package_data():
    import fnmatch
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    root = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["runner.report"]
    assets = sorted(p.relative_to(root / "runner" / "report").as_posix() for p in (root / "runner/report/assets").iterdir())
    assert assets and all(any(fnmatch.fnmatch(a, g) for g in globs) for a in assets), (assets, globs)


def test_the_report_imports_no_private_plotly_module():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "runner"
    private = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                parts = name.split(".")
                if parts[0] == "_plotly_utils" or (parts[0] == "plotly" and any(p.startswith("_") for p in parts[1:])):
                    private.append(f"{path.relative_to(root.parent)}: {name}")
    assert private == []
