"""The page's Comparisons section: built from a real sweep, escaped, capped, and said plainly when there is nothing."""

from __future__ import annotations

import re

import pytest

from runner.report import Selection, gather, to_html
from runner.report.comparisons import HEAD, comparisons_section
from runner.report.verdicts import Basis, verdicts
from tests.report.conftest import HOSTILE, add_run

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]


def section(page: str) -> str:
    return page.split('<section id="comparisons">', 1)[1].split("</section>", 1)[0]


def rows(html: str) -> list[list[str]]:
    body = html.split('id="table-comparisons"', 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r'<tr class="comparison[^"]*">(.*?)</tr>', body)]


def test_a_report_of_a_real_sweep_has_the_comparisons_table(cli, store, tmp_path):
    cli("run", "--model", "numpy", "--optimizer", "gd,adam", "--lr", "1e-3", "--seed", "0-1", "--steps", "5",
        "--sweep", "opt", "-j", "2", *DATA, "-q")
    out = tmp_path / "r.html"
    cli("report", "--sweep", "opt", "-o", str(out))
    page = out.read_text()
    assert '<a href="#comparisons">Comparisons</a>' in page
    html = section(page)
    assert re.findall(r"<th scope[^>]*>(.*?)</th>", html) == list(HEAD)
    (row,) = rows(html)
    assert row[0] == "optimizer" and row[4].startswith("2 shared<details") and row[7] == "paired t"
    assert re.search(r"<li>seed 0: A [^,]+, B [^,]+, A − B [^<]+</li><li>seed 1: ", row[4])  # each seed's values
    assert re.fullmatch(r"(<b>)?((adam|gd) lower than (adam|gd) in \d of 2 seeds|no clear difference with 2 seeds).*", row[8])
    data = gather(store, Selection(sweep="opt"))
    (c,) = verdicts(data).comparisons
    assert {c.first.name, c.second.name} == {"adam", "gd"} and c.seeds == 2
    assert c.first.mean <= c.second.mean and sorted(c.first.values) == [0, 1]
    if c.clear:  # two seeds: a clear difference crowns the better, else the two are tied and nothing is bold
        assert f'<p class="best-line"><b>Best configuration:</b> numpy · {c.first.name} · lr=0.001, final loss ' in html
    else:
        assert ('<p class="best-line tied">Tied for best (2 configurations the data cannot tell apart): numpy · '
                f'{c.first.name} · lr=0.001, final loss ') in html and "Best configuration" not in html
    cli("report", "--sweep", "opt", "--compare", "best", "-o", str(out))
    page = out.read_text()
    assert "--compare best" in page and "compared on each run&#x27;s best loss (lower is better)" in page


def test_verdicts_are_escaped_and_clear_ones_bold(store):
    for seed in range(3):
        add_run(store, [5.0, 1.0 + seed / 10], seed=seed, hidden=HOSTILE)
        add_run(store, [5.0, 2.0 + seed / 10], seed=seed, hidden=50)
    html = section(to_html(gather(store)))
    assert HOSTILE not in html and "hidden=&lt;img src=x onerror=alert(1)&gt; lower than hidden=50 in 3 of 3 seeds" in html
    (row,) = rows(html)
    assert row[8].startswith("<b>") and row[5] == "−1"


def test_nothing_to_compare_is_said_plainly(store):
    add_run(store, [3.0, 1.0], optimizer="sgd")
    add_run(store, [3.0, 2.0], optimizer="adam", lr=0.1)  # two settings differ
    html = comparisons_section(gather(store))
    assert "No two groups or runs differ in exactly one setting" in html and "table-comparisons" not in html
    assert ('<p class="best-line tied">Tied for best (2 configurations the data cannot tell apart): #1 · numpy · sgd · '
            "lr=0.001, final loss 1 (one seed: no interval); #2 · numpy · adam · lr=0.1, 2 (one seed: no interval).") in html


def test_a_large_table_is_capped_keeping_those_with_an_interval(store, monkeypatch):
    monkeypatch.setattr("runner.report.comparisons.MAX_ROWS", 2)
    for lr in (0.1, 0.2, 0.3):
        add_run(store, [3.0, 1.0 + lr], lr=lr)  # one seed each: three comparisons without an interval
    for seed in range(2):
        add_run(store, [3.0, 1.0], optimizer="adam", seed=seed, lr=1.0, sweep="s")
        add_run(store, [3.0, 1.5], optimizer="sgd", seed=seed, lr=1.0, sweep="s")
    html = comparisons_section(gather(store))
    assert "Showing 2 of 4 comparisons (those with an interval first)." in html
    found = rows(html)
    assert len(found) == 2 and found[0][7] == "paired t" and found[1][7] == "—"


def test_the_basis_defaults_to_the_best_metric(store):
    add_run(store, [3.0, 1.0], metrics={"accuracy": [0.2, 0.9]})
    add_run(store, [3.0, 2.0], lr=0.1, metrics={"accuracy": [0.2, 0.5]})
    data = gather(store, best="accuracy")
    assert verdicts(data).basis == Basis("accuracy") and "final accuracy (higher is better)" in comparisons_section(data)
    with pytest.raises(ValueError, match="'accuracy' was not gathered"):
        verdicts(gather(store), Basis("accuracy"))
