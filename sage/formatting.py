"""How numbers read on pages and in messages: sizes, lengths of video, times in a video, plurals.

The one home for timecodes, written and read (Python; `static/js/shared/clock.js` is the
browser's): `clock` (whole seconds), `clock_mark` (`[mm:ss]`, a time cited in text), `clock_tenths`
(the comparison page), `clock_range` (a time or a stretch: `01:02–01:30`), `clock_milliseconds`
(what a note's time reads back to), `vtt_timestamp` (WebVTT cue timings); `parse_time` reads a
time as people and extensions write it: 90, "90.5", "1:30", "1:01:30.25"."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from django.contrib.humanize.templatetags.humanize import intcomma


def plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def video_duration(seconds: int) -> str:
    """1 token = 1 second of video, so this also says how much video a number of tokens buys."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(plural(hours, "hour") if hours < 1000 else f"{intcomma(hours)} hours")
    if minutes:
        parts.append(plural(minutes, "minute"))
    if secs or not parts:
        parts.append(plural(secs, "second"))
    return " ".join(parts)


def clock(seconds: float) -> str:
    """`mm:ss`, or `h:mm:ss` from an hour on: a time as a player shows it."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def clock_mark(seconds: float) -> str:
    """`[mm:ss]` (`[h:mm:ss]` from an hour on): a time cited in text a model reads or writes, which
    chat links to that moment (chat.answering.CLOCK_MARK reads it back)."""
    return f"[{clock(seconds)}]"


def clock_tenths(seconds: float) -> str:
    """`clock` with the nearest tenth of a second: how the comparison page writes every time. Rounded
    to one place first, as the comparisons API rounds a difference's times, so a time written from the
    stored 19.96 s reads 00:20.0 like the one written from the API's 20.0."""
    tenths = round(round(max(0.0, seconds), 1) * 10)
    return f"{clock(tenths // 10)}.{tenths % 10}"


def clock_range(
    start: float,
    end: float | None = None,
    *,
    clock: Callable[[float], str] = clock,
    dash: str = "–",
    keep_empty: bool = False,
) -> str:
    """A stretch of a video, `01:02–01:30`; one time when there is no end or it is not after the
    start (`keep_empty`: an end equal to the start still writes a range, as the admin, the digest
    and the comment export always have). `clock` writes each time (`clock_tenths` on the comparison
    page); `dash` is "-" where a file format wants ASCII."""
    if end is None or end < start or (end == start and not keep_empty):
        return clock(start)
    return f"{clock(start)}{dash}{clock(end)}"


def clock_milliseconds(seconds: float) -> str:
    """`clock` with the milliseconds when there are any ("01:02.5", "1:00:00"): what
    `parse_time` reads back to the same millisecond, for messages about a note's times."""
    milliseconds = round(seconds * 1000)
    whole, fraction = divmod(milliseconds, 1000)
    written = clock(whole)
    return f"{written}.{fraction:03d}".rstrip("0") if fraction else written


def vtt_timestamp(seconds: float) -> str:
    """hh:mm:ss.ttt, as WebVTT cue timings are written."""
    milliseconds = max(0, round(seconds * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, thousandths = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}.{thousandths:03d}"


# --- reading a time -------------------------------------------------------------------------------

# Sanity bound for videos whose length is not known (a YouTube video before its captions): longer
# than any real video, small enough that every value stays an exact number of milliseconds.
MAX_SECONDS = 100 * 3600
# Enough characters for "100:00:00.000" and then some; longer text is not a time.
_MAX_TIME_CHARACTERS = 24

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
    if len(text) > _MAX_TIME_CHARACTERS:
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


def data_size(size_bytes: int) -> str:
    # Binary multiples, labelled the way people read them (as Django's filesizeformat does).
    if size_bytes < 1024:
        return plural(size_bytes, "byte")
    units = ["KB", "MB", "GB", "TB"]
    value = size_bytes / 1024
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    return f"{value:.0f} {units[unit]}" if value == int(value) else f"{value:.1f} {units[unit]}"
