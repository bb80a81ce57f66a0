"""What a session's socket accepts from a client, checked field by field: the presenter's state,
a drawing draft, a guest's hello. Refusals are FieldInvalid naming the field, sent as error frames."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from review_sessions.selectors import StateLimits
from reviews.comments import AUTHOR_NAME_MAX, clean_text
from reviews.drawings import drawing_shapes
from sage.errors import FieldInvalid
from sage.text import NAME_BIDI_MESSAGE, has_bidi_controls

RATE = (0.25, 4.0)
# A presenter's `at` (its estimate of the server's clock) is taken when this close to the server's own.
AT_TOLERANCE_MS = 3000
# A position may run a little past the end (a player's last frame, rounding).
END_SLACK_S = 1.0


def server_ms() -> int:
    """The server's clock, epoch milliseconds: every `at` and `server_ms` in the protocol."""
    return int(time.time() * 1000)


def client_ms(value: object) -> float:
    """A client's clock reading (a ping's `t0`), sent back as it came."""
    return _finite(value, "t0")


@dataclass(frozen=True)
class PresenterState:
    playing: bool
    position: float
    rate: float
    difference: int | None
    threshold: float | None
    at: int
    seek: bool


def _flag(data: dict[str, Any], name: str, default: bool | None = None) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise FieldInvalid("true or false.", field=name)
    return value


def _finite(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldInvalid("A finite number is required.", field=field)
    return float(value)


def _position(value: object, limits: StateLimits, field: str = "position") -> float:
    position = _finite(value, field)
    if position < 0:
        raise FieldInvalid("At or after 0.", field=field)
    if limits.max_position is not None and position > limits.max_position + END_SLACK_S:
        raise FieldInvalid(f"At most the end of the timeline ({limits.max_position:.1f} s).", field=field)
    return position


def presenter_state(data: object, limits: StateLimits, *, received_ms: int) -> PresenterState:
    """A `state` frame's data, checked against the session's object. `at` is kept when within
    AT_TOLERANCE_MS of `received_ms`, else the receipt time stands for it (a presenter whose clock
    estimate is off, or still settling)."""
    if not isinstance(data, dict):
        raise FieldInvalid("Send the state as an object under `data`.", field="data")
    rate = _finite(data.get("rate", 1.0), "rate")
    if not RATE[0] <= rate <= RATE[1]:
        raise FieldInvalid(f"Between {RATE[0]} and {RATE[1]}.", field="rate")
    difference = data.get("difference")
    if difference is not None:
        if isinstance(difference, bool) or not isinstance(difference, int):
            raise FieldInvalid("The index of a difference, or null.", field="difference")
        if limits.differences is None or not 0 <= difference < limits.differences:
            raise FieldInvalid("No such difference here.", field="difference")
    threshold = data.get("threshold")
    if threshold is not None:
        threshold = _finite(threshold, "threshold")
        if not 0.0 <= threshold <= 1.0:
            raise FieldInvalid("Between 0 and 1, or null.", field="threshold")
    at = received_ms
    given_at = data.get("at")
    if given_at is not None:
        given = _finite(given_at, "at")
        if abs(given - received_ms) <= AT_TOLERANCE_MS:
            at = int(given)
    return PresenterState(
        playing=_flag(data, "playing"),
        position=_position(data.get("position"), limits),
        rate=rate,
        difference=difference,
        threshold=threshold,
        at=at,
        seek=_flag(data, "seek", False),
    )


def drawing_draft(data: object, limits: StateLimits) -> dict[str, Any]:
    """A `drawing.draft` frame's data: `side` (one of the object's), `time` on that side, `shapes`
    (checked as a stored drawing's are; none while a drawing is started or wiped)."""
    if not isinstance(data, dict):
        raise FieldInvalid("Send the draft as an object under `data`.", field="data")
    side = data.get("side")
    if side not in limits.sides:
        raise FieldInvalid(f"One of {', '.join(limits.sides)}.", field="side")
    return {
        "side": side,
        "time": _position(data.get("time"), limits, "time"),
        "shapes": drawing_shapes(data.get("shapes"), field="shapes"),
    }


def guest_name(value: object) -> str:
    name = clean_text(value, field="name", limit=AUTHOR_NAME_MAX)
    if has_bidi_controls(name):
        raise FieldInvalid(NAME_BIDI_MESSAGE, field="name")
    return name
