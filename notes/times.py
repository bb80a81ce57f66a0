"""Times in a video as people and extensions write them: 90, "90.5", "1:30", "1:01:30.25".

Pure functions (no Django): `parse_time` reads one; `sage.formatting.clock_milliseconds`, the
home of every timecode written, writes one that `parse_time` reads back to the same millisecond.
"""

from __future__ import annotations

import math
import re

# Sanity bound for videos whose length is not known (a YouTube video before its captions): longer
# than any real video, small enough that every value stays an exact number of milliseconds.
MAX_SECONDS = 100 * 3600
# Enough characters for "100:00:00.000" and then some; longer text is not a time.
MAX_TEXT_LENGTH = 24

_FRACTION = r"(?:\.[0-9]{1,9})?"
_SECONDS = re.compile(rf"[0-9]{{1,9}}{_FRACTION}")
_MINUTES_SECONDS = re.compile(rf"(?P<m>[0-9]{{1,6}}):(?P<s>[0-5]?[0-9]{_FRACTION})")
_HOURS_MINUTES_SECONDS = re.compile(rf"(?P<h>[0-9]{{1,4}}):(?P<m>[0-5]?[0-9]):(?P<s>[0-5]?[0-9]{_FRACTION})")
# The three forms as one regular expression without groups, for a schema (ECMAScript reads it too).
TIME_PATTERN = "|".join(
    re.sub(r"\(\?P<\w+>", "(?:", form.pattern) for form in (_SECONDS, _MINUTES_SECONDS, _HOURS_MINUTES_SECONDS)
)

FORMAT_HELP = "Give the time as seconds (90 or 90.5), mm:ss (1:30) or hh:mm:ss (1:01:30)."


class TimeFormatError(ValueError):
    """Not a time in the video; the message says what was expected."""


def parse_time(value: object) -> float:
    """Seconds (rounded to the millisecond) from a number, a numeric string, "mm:ss" or "hh:mm:ss"
    (seconds may have a fraction: "1:02.5"). Raises TimeFormatError for anything else, a negative
    time or one past MAX_SECONDS."""
    if isinstance(value, bool):  # JSON true/false: a bool is an int to Python, not a time to anyone
        raise TimeFormatError(FORMAT_HELP)
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an integer too big for a float
            raise TimeFormatError(_too_long()) from None
    elif isinstance(value, str):
        seconds = _parse_text(value)
    else:
        raise TimeFormatError(FORMAT_HELP)
    if not math.isfinite(seconds):
        raise TimeFormatError(FORMAT_HELP)
    if seconds < 0:
        raise TimeFormatError("The time cannot be negative.")
    if seconds > MAX_SECONDS:
        raise TimeFormatError(_too_long())
    return round(seconds, 3)


def _parse_text(value: str) -> float:
    text = value.strip()
    if text.startswith("-") and _parses(text[1:]):
        raise TimeFormatError("The time cannot be negative.")
    if len(text) > MAX_TEXT_LENGTH:
        raise TimeFormatError(FORMAT_HELP)
    if _SECONDS.fullmatch(text):
        return float(text)
    if match := _MINUTES_SECONDS.fullmatch(text):
        return int(match["m"]) * 60 + float(match["s"])
    if match := _HOURS_MINUTES_SECONDS.fullmatch(text):
        return int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"])
    raise TimeFormatError(FORMAT_HELP)


def _parses(text: str) -> bool:
    try:
        _parse_text(text)
    except TimeFormatError:
        return False
    return True


def _too_long() -> str:
    return f"The time is longer than any video ({MAX_SECONDS // 3600} hours at most)."
