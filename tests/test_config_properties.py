"""Properties of ``--set key=value`` parsing (runner/config.py: apply_set, parse_value), over made-up values.

A value takes the type of the setting's default: a value written as Python writes it comes back equal, and
anything else is one ConfigError naming the setting and the type it expects.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from runner.config import SECTIONS, apply_set, parse_value
from runner.errors import ConfigError

FAST = settings(max_examples=100, deadline=None, database=None)  # the fast tier: the module well under 3 s

finite = st.floats(allow_nan=False, allow_infinity=False)
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def any_case(word: str):
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper)))


@FAST
@given(st.integers(min_value=-2**63, max_value=2**63 - 1), st.integers())
def test_a_whole_number_comes_back_itself(value, default):
    assert parse_value("hidden", str(value), default) == value


@FAST
@given(st.one_of(st.integers(min_value=2**63), st.integers(max_value=-2**63 - 1)), st.integers())
def test_a_whole_number_past_64_bits_is_refused_naming_the_range(value, default):
    with pytest.raises(ConfigError, match=r"from -2\*\*63 to 2\*\*63-1"):
        parse_value("hidden", str(value), default)


@FAST
@given(finite, finite)
def test_a_finite_number_comes_back_bitwise(value, default):
    parsed = parse_value("eps", repr(value), default)
    assert type(parsed) is float and math.copysign(1, parsed) == math.copysign(1, value) and parsed == value


@FAST
@given(st.sampled_from(TRUE + FALSE).flatmap(any_case), st.booleans())
def test_a_switch_takes_its_words_in_any_case(word, default):
    assert parse_value("nesterov", word, default) is (word.lower() in TRUE)


@FAST
@given(st.lists(finite, min_size=1, max_size=4), st.sampled_from(["({})", "[{}]", "{}", "( {} )"]), st.sampled_from([",", ", "]))
def test_a_tuple_comes_back_with_its_default_s_type_and_length(values, brackets, comma):
    default = tuple(0.5 for _ in values)
    parsed = parse_value("betas", brackets.format(comma.join(map(repr, values))), default)
    assert parsed == tuple(values) and type(parsed) is tuple
    assert parse_value("sizes", brackets.format(comma.join(map(repr, values))), list(default)) == values


@FAST
@given(st.lists(finite, min_size=1, max_size=4), st.integers(min_value=1, max_value=3))
def test_a_tuple_of_another_length_is_refused(values, extra):
    default = tuple(0.5 for _ in range(len(values) + extra))
    with pytest.raises(ConfigError, match=rf"^--set betas=.*: expected {len(default)} comma-separated values like "):
        parse_value("betas", "(" + ",".join(map(repr, values)) + ")", default)


@FAST
@given(st.text(), st.one_of(st.integers(), finite, st.booleans()))
def test_text_that_is_not_of_the_default_s_type_is_one_error_naming_the_setting(raw, default):
    if isinstance(default, bool):
        assume(raw.lower() not in TRUE + FALSE)
    else:
        try:
            assume(not math.isfinite(float(raw)) if isinstance(default, float) else not isinstance(int(raw), int))
        except ValueError:
            pass
    with pytest.raises(ConfigError) as refused:
        parse_value("lr_decay", raw, default)
    assert str(refused.value).startswith(f"--set lr_decay={raw}: expected ")


@FAST
@given(st.text(), st.sampled_from([None, "", "relu"]))
def test_a_text_setting_takes_the_text_as_written(raw, default):
    assert parse_value("activation", raw, default) == raw


@FAST
@given(st.sampled_from(SECTIONS), st.integers(-10**18, 10**18), st.booleans(), st.sampled_from(["", " "]))
def test_set_changes_the_one_setting_it_names_and_no_other(section, value, prefixed, space):
    sections = {s: {"hidden": 10, f"{s}_only": 1.5} for s in SECTIONS}
    before = {s: dict(v) for s, v in sections.items()}
    key = f"{section}.hidden" if prefixed else f"{section}_only"
    apply_set(sections, f"{space}{key}{space}={space}{value}{space}")
    changed = {(s, k) for s in SECTIONS for k in sections[s] if sections[s][k] != before[s][k] or
               type(sections[s][k]) is not type(before[s][k])}
    name = "hidden" if prefixed else f"{section}_only"
    assert sections[section][name] == (value if prefixed else float(value))
    assert changed <= {(section, name)}


@FAST
@given(st.integers())
def test_a_setting_in_two_sections_is_refused_unless_its_section_is_named(value):
    sections = {s: {"hidden": 10} for s in SECTIONS}
    with pytest.raises(ConfigError, match="^--set hidden is ambiguous: write "):
        apply_set(sections, f"hidden={value}")
    assert all(v == {"hidden": 10} for v in sections.values())  # nothing applied
