"""The words for a comparison's differences, said once for the page, the summary and the marker
exports: what each kind is called, how the counts name it, and, for engine 3's findings (a move,
A/V sync, a speed change, changed text on screen, a stretch replaced in place), the sentence that
says what was found ("B's sound is 0.40 s late from 00:00.0 to the end").

static/js/compare/findings.js writes the same sentences in the browser, word for word."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sage.formatting import clock_range, clock_tenths

KIND_LABELS = {
    "visual": "Picture",
    "audio": "Sound",
    "both": "Picture and sound",
    "only_a": "Only in A",
    "only_b": "Only in B",
    "moved": "Moved",
    "av_sync": "A/V sync",
    "speed": "Speed",
    "text": "Text on screen",
}
# A "both" that replaced a stretch in place (engine 3) is named for what happened to it.
REPLACED_LABEL = "Replaced: picture and sound"
# How the counts name each kind: "3 differences: 1 picture, 1 moved, 1 A/V sync".
COUNT_WORDS = {
    "visual": "picture",
    "audio": "sound",
    "both": "picture and sound",
    "only_a": "only in A",
    "only_b": "only in B",
    "moved": "moved",
    "av_sync": "A/V sync",
    "speed": "speed",
    "text": "text on screen",
}
# The kinds engine 3 added: they say what was found in a sentence of their own.
FINDING_KINDS = ("moved", "av_sync", "speed", "text")
# An end this close to a video's end is "the end" (the engine's ranges stop a frame or two short).
END_TOLERANCE_S = 0.25
# A lag under this is "in sync" where a drifting lag starts (the engine reports lags from 40 ms).
IN_SYNC_S = 0.005
# Speed changes large enough to be said as a factor too ("50.0 % fast (1.50×)").
FACTOR_FROM = 0.1


def kind_label(segment: Mapping[str, Any]) -> str:
    if segment["kind"] == "both" and segment.get("replaced"):
        return REPLACED_LABEL
    kind: str = segment["kind"]
    return KIND_LABELS.get(kind, kind)


def _from_to(start: float | None, end: float | None, duration: float | None) -> str:
    start = start or 0.0
    to_end = duration is not None and duration > 0 and end is not None and end >= duration - END_TOLERANCE_S
    until = "the end" if to_end or end is None else clock_tenths(end)
    return f"from {clock_tenths(start)} to {until}"


def _range(start: float | None, end: float | None, *, ascii_only: bool) -> str:
    if start is None or end is None:
        return "-" if ascii_only else "—"
    return clock_range(start, end, clock=clock_tenths, dash="-" if ascii_only else "–")


def _quoted(text: str | None) -> str:
    return f"'{text}'" if text else "(none)"


def finding_sentence(
    segment: Mapping[str, Any],
    *,
    duration_b: float | None = None,
    ascii_only: bool = False,
) -> str:
    """What an engine-3 finding says, in plain words; "" for the other kinds (their kind, severity
    and ranges say it). A/V sync and speed are said on B's time (it is B's sound, B's pace), to "the
    end" when they last until B's `duration_b`. `ascii_only` for an EDL: "->", "-" and "x" instead
    of "→", "–" and "×"."""
    kind = segment["kind"]
    arrow = "->" if ascii_only else "→"
    if kind == "av_sync":
        lag = segment.get("lag") or 0.0
        span = _from_to(segment.get("b_start"), segment.get("b_end"), duration_b)
        drift = segment.get("drift")
        if drift:
            # The lag grows (positive: the sound falls later and later) by `drift` ms a minute.
            at_start = "in sync" if abs(lag) < IN_SYNC_S else f"{abs(lag):.2f} s {'late' if lag > 0 else 'early'}"
            start = clock_tenths(segment.get("b_start") or 0.0)
            direction = "later" if drift > 0 else "earlier"
            return f"B's sound drifts {abs(drift):.0f} ms per minute {direction} {span} ({at_start} at {start})"
        return f"B's sound is {abs(lag):.2f} s {'late' if lag >= 0 else 'early'} {span}"
    if kind == "moved":
        on_a = _range(segment.get("a_start"), segment.get("a_end"), ascii_only=ascii_only)
        on_b = _range(segment.get("b_start"), segment.get("b_end"), ascii_only=ascii_only)
        return f"A {on_a} moved to B {on_b}"
    if kind == "speed":
        ratio = segment.get("ratio") or 1.0
        percent = abs(ratio - 1.0) * 100
        times = "x" if ascii_only else "×"
        factor = f" ({ratio:.2f}{times})" if abs(ratio - 1.0) >= FACTOR_FROM else ""
        span = _from_to(segment.get("b_start"), segment.get("b_end"), duration_b)
        return f"B runs {percent:.1f} % {'fast' if ratio > 1 else 'slow'}{factor} {span}"
    if kind == "text":
        return f"Text on screen: A {_quoted(segment.get('text_a'))} {arrow} B {_quoted(segment.get('text_b'))}"
    if kind == "both" and segment.get("replaced"):
        on_a = _range(segment.get("a_start"), segment.get("a_end"), ascii_only=ascii_only)
        on_b = _range(segment.get("b_start"), segment.get("b_end"), ascii_only=ascii_only)
        return f"A {on_a} replaced in place by B {on_b}"
    return ""
