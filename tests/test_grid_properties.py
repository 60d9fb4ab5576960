"""Properties of the grid's value parsing (runner/grid.py), over inputs Hypothesis makes up.

``--seed 0-3,7``, ``--steps 10,20``: whole numbers and ranges; ``--lr 1e-3,1e-2``: positive numbers;
``--set hidden=50,100`` and ``--set betas=(0.9,0.999),(0.8,0.99)``: one grid axis per ``--set``.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.errors import ConfigError
from runner.grid import parse_floats, parse_ints, set_axis, split

FAST = settings(max_examples=100, deadline=None, database=None)  # the fast tier: the module well under 3 s

naturals = st.integers(min_value=0, max_value=10**12)
# A part of --seed: one whole number (negative ones too), or an ascending range of naturals.
parts = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12).map(lambda n: (str(n), [n])),
    st.tuples(naturals, st.integers(min_value=0, max_value=20)).map(
        lambda t: (f"{t[0]}-{t[0] + t[1]}", list(range(t[0], t[0] + t[1] + 1)))),
)
spaces = st.sampled_from(["", " ", "  "])
words = st.text(st.characters(blacklist_characters=",()[]", blacklist_categories=("Cs",)), min_size=1, max_size=8)


@FAST
@given(st.lists(parts, min_size=1, max_size=6), spaces)
def test_whole_numbers_and_ranges_are_the_values_they_name_in_order(chosen, space):
    text = f"{space},{space}".join(written for written, _ in chosen)
    expected = [n for _, values in chosen for n in values]
    values = parse_ints(text, "--seed")
    assert list(values) == expected and len(values) == len(expected)
    assert [values[i] for i in range(len(values))] == expected
    assert values.bounds() == (min(expected), max(expected))
    with pytest.raises(IndexError):
        values[len(expected)]


@FAST
@given(naturals, st.integers(min_value=1, max_value=10**6))
def test_a_reversed_range_is_refused_not_dropped(low, gap):
    """``5-3`` names no seed: refused even beside a range that names some, never silently left out."""
    for text in (f"{low + gap}-{low}", f"0-2,{low + gap}-{low}"):
        with pytest.raises(ConfigError, match=f"--seed: '{low + gap}-{low}' is an empty range; write {low}-{low + gap}"):
            parse_ints(text, "--seed")


def test_the_cli_refuses_a_reversed_range_beside_others_and_stores_nothing(cli, db_path):
    result = cli("run", "--model", "numpy", "--seed", "0-2,5-3", "--dry-run", code=2)
    assert "Invalid value for '--seed': '0-2,5-3' is not" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not db_path.exists()


@FAST
@given(st.lists(words, min_size=1, max_size=5))
def test_anything_but_whole_numbers_and_ranges_is_refused_in_one_line(chosen):
    if all(_is_int_or_range(w) for w in chosen):
        return
    with pytest.raises(ConfigError) as refused:
        parse_ints(",".join(chosen), "--seed")
    assert "\n" not in str(refused.value) and str(refused.value).startswith("--seed: ")


def _is_int_or_range(word: str) -> bool:
    low, dash, high = word.strip().partition("-")
    try:
        if dash and low:
            int(low), int(high)  # noqa: B018 (parsed for the check)
        else:
            int(word)
    except ValueError:
        return not word.strip()  # a blank part is dropped
    return True


positive = st.floats(min_value=0, exclude_min=True, allow_infinity=False, allow_nan=False)


@FAST
@given(st.lists(positive, min_size=1, max_size=6), st.sampled_from([repr, "{:.16e}".format, "{:.17g}".format]), spaces)
def test_positive_numbers_come_back_exactly_however_they_are_written(numbers, form, space):
    assert parse_floats(f"{space},{space}".join(form(x) for x in numbers), "--lr") == numbers


@FAST
@given(st.lists(positive, max_size=3), st.one_of(st.floats(max_value=0), st.sampled_from([math.inf, math.nan]), words),
       st.lists(positive, max_size=3))
def test_a_number_that_is_not_positive_and_finite_is_refused(before, bad, after):
    written = str(bad)
    try:
        if math.isfinite(float(written)) and float(written) > 0:
            return  # a word that happens to be a positive number
    except ValueError:
        pass
    if not written.strip():
        return
    with pytest.raises(ConfigError, match=r"^--lr: .* is not a positive number \(try 1e-4\)$"):
        parse_floats(",".join([*map(repr, before), written, *map(repr, after)]), "--lr")


tuples = st.lists(positive, min_size=2, max_size=3).map(lambda xs: "(" + ",".join(map(repr, xs)) + ")")


@FAST
@given(st.lists(st.one_of(words, tuples), min_size=1, max_size=5))
def test_split_cuts_at_commas_outside_parentheses_only(chosen):
    expected = [w.strip() for w in chosen if w.strip()]
    assert split(",".join(chosen)) == expected


@FAST
@given(st.lists(words.filter(lambda w: "=" not in w and w.strip()), min_size=1, max_size=5))
def test_a_set_of_a_plain_setting_is_one_grid_value_per_listed_value(values):
    axis = set_axis("model.hidden=" + ",".join(values), sequence_keys={"betas"})
    listed = [f"model.hidden={v.strip()}" for v in values]
    assert axis == (listed if len(values) > 1 else ["model.hidden=" + values[0]])


@FAST
@given(st.lists(tuples, min_size=1, max_size=4))
def test_a_set_of_a_tuple_setting_is_one_grid_value_per_parenthesized_tuple(values):
    joined = ",".join(values)
    axis = set_axis(f"betas={joined}", sequence_keys={"betas"})
    assert axis == ([f"betas={v}" for v in values] if len(values) > 1 else [f"betas={joined}"])
    bare = joined.strip("()")  # one tuple written without its parentheses: one value, not split
    assert set_axis(f"betas={bare}", sequence_keys={"betas"}) == [f"betas={bare}"]
