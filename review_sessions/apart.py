"""A move shown apart, in the presenter's state (`state.apart`).

On the compare page, picking a difference of kind "moved" shows A where the stretch was and B where
it is now, each player at a time of its own, off the timeline's one position; Play plays both through
the stretch and stops at its end (static/js/compare/transport.js, `showApart`). The timeline's
position then follows A, so a follower given only the position would show B at the wrong place: the
state carries each player's own time at `at` and where the move ends, and followers show the same.

`{"a": s, "b": s, "ends": {"a": s, "b": s} | null}`: `ends` null once the move has played through
(both still apart, the next Play goes on in step)."""

from __future__ import annotations

import math
from typing import TypedDict

from review_sessions.selectors import StateLimits
from sage.errors import FieldInvalid

# A time may run a little past the end (a player's last frame, rounding), as a state's position may.
END_SLACK_S = 1.0


class Ends(TypedDict):
    a: float
    b: float


class Apart(TypedDict):
    a: float
    b: float
    ends: Ends | None


def _seconds(value: object, field: str, limits: StateLimits) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise FieldInvalid("A time in seconds, at or after 0.", field=field)
    if limits.max_position is not None and value > limits.max_position + END_SLACK_S:
        raise FieldInvalid("Past the end of the videos.", field=field)
    return float(value)


def _times(value: object, field: str, limits: StateLimits) -> Ends:
    if not isinstance(value, dict):
        raise FieldInvalid("An object with `a` and `b`, times in seconds.", field=field)
    return {"a": _seconds(value.get("a"), f"{field}.a", limits), "b": _seconds(value.get("b"), f"{field}.b", limits)}


def apart_of(data: object, limits: StateLimits) -> Apart | None:
    """A `state` frame's `apart`, checked: only a comparison's players can be apart."""
    value = data.get("apart") if isinstance(data, dict) else None
    if value is None:
        return None
    if limits.sides != ("a", "b"):
        raise FieldInvalid("Only a comparison's two players can be apart.", field="apart")
    times = _times(value, "apart", limits)
    given_ends = value.get("ends")
    ends = None if given_ends is None else _times(given_ends, "apart.ends", limits)
    return {"a": times["a"], "b": times["b"], "ends": ends}


def apart_played(apart: Apart | None, seconds: float) -> Apart | None:
    """Where the players of a move that played on for `seconds` of A's time are: A went on, B at the
    move's own pace (its length on B over its length on A), neither past the move's end."""
    if apart is None or apart["ends"] is None:
        return apart
    ends = apart["ends"]
    length_a = ends["a"] - apart["a"]
    pace = (ends["b"] - apart["b"]) / length_a if length_a > 0 else 1.0
    a = min(apart["a"] + max(seconds, 0.0), max(ends["a"], apart["a"]))
    return {"a": a, "b": apart["b"] + (a - apart["a"]) * pace, "ends": ends}
