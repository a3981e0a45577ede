"""Durations: parsing with units, and exact round trips through their text form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.units import format_days, parse_duration


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("90d", 90.0),
        ("8w", 56.0),
        ("6mo", 182.625),
        ("5y", 1826.25),
        (" 1.5 w ", 10.5),
        (".5d", 0.5),
    ],
)
def test_parse_duration(text: str, days: float) -> None:
    assert parse_duration(text) == days


@pytest.mark.parametrize("text", ["90", "90 days", "d", "-5d", "5x", "1e3d", ""])
def test_parse_duration_rejects_text_without_a_unit(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration; write a number with a unit"):
        parse_duration(text)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_format_then_parse_gives_the_same_days(days: float) -> None:
    assert parse_duration(format_days(days)) == days


@given(st.integers(1, 500), st.sampled_from(["d", "w", "mo", "y"]))
def test_whole_units_print_in_their_own_unit(count: int, unit: str) -> None:
    text = format_days(parse_duration(f"{count}{unit}"))
    assert parse_duration(text) == parse_duration(f"{count}{unit}")
    assert len(text) <= len(f"{count}{unit}") + 2
