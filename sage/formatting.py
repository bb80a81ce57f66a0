"""How numbers read on pages and in messages: sizes, lengths of video, times in a video, plurals.

The one home for writing a time in a video (Python; `static/js/shared/clock.js` is the browser's):
`clock` (whole seconds), `clock_mark` (`[mm:ss]`, a time cited in text), `clock_tenths` (the
comparison page), `clock_milliseconds` (what a note's time reads back to), `vtt_timestamp` (WebVTT
cue timings). Reading times is `notes.times`."""

from __future__ import annotations

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


def clock_milliseconds(seconds: float) -> str:
    """`clock` with the milliseconds when there are any ("01:02.5", "1:00:00"): what
    `notes.times.parse_time` reads back to the same millisecond, for messages about a note's times."""
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
