"""Reading and writing times in a video: seconds, mm:ss, hh:mm:ss (property-based with hypothesis)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sage.formatting import (
    MAX_SECONDS,
    TimeFormatError,
    clock,
    clock_milliseconds,
    clock_range,
    clock_tenths,
    parse_time,
)

# Times to the millisecond, the precision notes keep.
millisecond_times = st.integers(min_value=0, max_value=MAX_SECONDS * 1000).map(lambda ms: ms / 1000)


@pytest.mark.parametrize(
    ("given_value", "seconds"),
    [
        (0, 0.0),
        (90, 90.0),
        (90.5, 90.5),
        ("90", 90.0),
        (" 90.25 ", 90.25),
        ("1:30", 90.0),
        ("01:30", 90.0),
        ("1:30 ", 90.0),
        ("1:02.5", 62.5),
        ("0:05", 5.0),
        ("90:00", 5400.0),  # minutes past the hour without hours, as YouTube's ?t= allows
        ("1:01:30", 3690.0),
        ("01:00:00.125", 3600.125),
        (12.34567, 12.346),  # kept to the millisecond
    ],
)
def test_every_accepted_form_gives_seconds(given_value: object, seconds: float) -> None:
    assert parse_time(given_value) == seconds


@pytest.mark.parametrize(
    ("given_value", "message"),
    [
        ("abc", "Give the time as seconds"),
        ("1:60", "Give the time as seconds"),  # 60 seconds is the next minute
        ("1:60:00", "Give the time as seconds"),
        ("1:2:3:4", "Give the time as seconds"),
        ("1e3", "Give the time as seconds"),
        ("inf", "Give the time as seconds"),
        ("nan", "Give the time as seconds"),
        ("1_000", "Give the time as seconds"),
        ("٣", "Give the time as seconds"),  # an Arabic-Indic digit: a digit to Python, not a time
        ("", "Give the time as seconds"),
        (True, "Give the time as seconds"),
        (None, "Give the time as seconds"),
        ([90], "Give the time as seconds"),
        (float("nan"), "Give the time as seconds"),
        (float("inf"), "Give the time as seconds"),
        (-1, "cannot be negative"),
        ("-1:30", "cannot be negative"),
        ("-0.5", "cannot be negative"),
        (MAX_SECONDS + 1, "longer than any video"),
        (10**400, "longer than any video"),
    ],
)
def test_anything_else_is_refused_with_a_reason(given_value: object, message: str) -> None:
    with pytest.raises(TimeFormatError, match=message):
        parse_time(given_value)


@given(millisecond_times)
def test_a_formatted_time_reads_back_to_the_same_millisecond(seconds: float) -> None:
    assert parse_time(clock_milliseconds(seconds)) == pytest.approx(seconds, abs=1e-9)


@given(millisecond_times)
def test_a_clock_label_reads_back_to_its_whole_seconds(seconds: float) -> None:
    assert parse_time(clock(seconds)) == math.floor(seconds)


@given(millisecond_times)
def test_numbers_and_numeric_strings_read_the_same(seconds: float) -> None:
    assert parse_time(seconds) == parse_time(repr(seconds)) == seconds


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(10**30), max_value=10**30))
def test_any_number_is_a_time_within_bounds_or_refused(value: float) -> None:
    try:
        seconds = parse_time(value)
    except TimeFormatError as exc:
        assert str(exc)
        assert not (math.isfinite(value) and 0 <= value <= MAX_SECONDS)
    else:
        assert 0 <= seconds <= MAX_SECONDS
        assert seconds == pytest.approx(value, abs=0.0005)


@given(st.text(max_size=30))
def test_garbage_never_parses(text: str) -> None:
    """Any text either is a time (digits, colons and one fraction, nothing else) or gets a reason."""
    try:
        seconds = parse_time(text)
    except TimeFormatError as exc:
        assert str(exc)
    else:
        assert re.fullmatch(r"\s*[0-9]+(:[0-9]+){0,2}(\.[0-9]+)?\s*", text)
        assert 0 <= seconds <= MAX_SECONDS


@given(st.text(alphabet=st.characters(categories=["L", "P", "S"], exclude_characters=".:-"), min_size=1, max_size=12))
def test_text_with_letters_or_symbols_is_never_a_time(noise: str) -> None:
    for text in (noise, f"1:{noise}", f"{noise}90", f"90{noise}"):
        with pytest.raises(TimeFormatError):
            parse_time(text)


def test_a_clock_range_is_one_time_without_an_end_after_the_start() -> None:
    assert clock_range(62.5, 90.0) == "01:02–01:30"
    assert clock_range(3599.0, 3601.0) == "59:59–1:00:01"
    assert [clock_range(62.5), clock_range(62.5, 62.5), clock_range(62.5, 10.0)] == ["01:02"] * 3
    # The admin, the digest and the comment export write a stored zero-length range as a range.
    assert clock_range(62.5, 62.5, keep_empty=True) == "01:02–01:02"
    # An EDL's marker names: tenths, and an ASCII dash.
    assert clock_range(19.96, 30.0, clock=clock_tenths, dash="-") == "00:20.0-00:30.0"
