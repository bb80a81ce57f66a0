"""What a drawing on the picture may be: plain data, checked field by field (issue 53's contract).

`{"shapes": [shape, ...]}`, coordinates normalised to the picture (0..1, origin top-left), so a
drawing scales with the player. Widths and text sizes are fractions of the picture's height.
Nothing in it is ever HTML: text is shown as text. Live drafts (`drawing.draft` on a session's
socket) and stored drawings pass the same check."""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

from sage.errors import FieldInvalid

PALETTE = ("#e53935", "#fb8c00", "#fdd835", "#43a047", "#1e88e5", "#8e24aa", "#ffffff", "#000000")
LINE_TOOLS = ("arrow", "rect", "ellipse")
TOOLS = ("pen", *LINE_TOOLS, "text")
MAX_SHAPES = 50
MAX_POINTS = 2000
PEN_POINTS = (2, 500)
WIDTH = (0.002, 0.02)
TEXT_SIZE = (0.02, 0.1)
TEXT_LENGTH = (1, 200)
MAX_JSON_BYTES = 32 * 1024

Shape = dict[str, Any]


def _number(value: object, low: float, high: float, *, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldInvalid("A finite number is required.", field=field)
    if not low <= value <= high:
        raise FieldInvalid(f"Between {low:g} and {high:g}.", field=field)
    return float(value)


def _point(value: object, *, field: str) -> list[float]:
    if not isinstance(value, list) or len(value) != 2:
        raise FieldInvalid("A point is [x, y].", field=field)
    return [_number(value[0], 0.0, 1.0, field=field), _number(value[1], 0.0, 1.0, field=field)]


def _color(value: object, *, field: str) -> str:
    if value not in PALETTE:
        raise FieldInvalid(f"One of the palette's colours: {', '.join(PALETTE)}.", field=field)
    assert isinstance(value, str)
    return value


def _text(value: object, *, field: str) -> str:
    if not isinstance(value, str) or not TEXT_LENGTH[0] <= len(value) <= TEXT_LENGTH[1]:
        raise FieldInvalid(f"Text of {TEXT_LENGTH[0]} to {TEXT_LENGTH[1]} characters.", field=field)
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise FieldInvalid("Control characters are not allowed.", field=field)
    return value


def _shape(value: object, at: str) -> tuple[Shape, int]:
    """One shape, rebuilt from its known fields only (anything else is dropped), and its points."""
    if not isinstance(value, dict):
        raise FieldInvalid("A shape is an object.", field=at)
    tool = value.get("tool")
    if tool not in TOOLS:
        raise FieldInvalid(f"A tool is one of {', '.join(TOOLS)}.", field=f"{at}.tool")
    color = _color(value.get("color"), field=f"{at}.color")
    if tool == "text":
        shape: Shape = {
            "tool": tool,
            "color": color,
            "at": _point(value.get("at"), field=f"{at}.at"),
            "text": _text(value.get("text"), field=f"{at}.text"),
            "size": _number(value.get("size"), *TEXT_SIZE, field=f"{at}.size"),
        }
        return shape, 1
    width = _number(value.get("width"), *WIDTH, field=f"{at}.width")
    if tool == "pen":
        points = value.get("points")
        if not isinstance(points, list) or not PEN_POINTS[0] <= len(points) <= PEN_POINTS[1]:
            raise FieldInvalid(f"A pen stroke has {PEN_POINTS[0]} to {PEN_POINTS[1]} points.", field=f"{at}.points")
        clean = [_point(point, field=f"{at}.points") for point in points]
        return {"tool": tool, "color": color, "width": width, "points": clean}, len(clean)
    start = _point(value.get("from"), field=f"{at}.from")
    end = _point(value.get("to"), field=f"{at}.to")
    return {"tool": tool, "color": color, "width": width, "from": start, "to": end}, 2


def drawing_shapes(shapes: object, *, field: str = "shapes") -> list[Shape]:
    """The shapes of a drawing, checked and rebuilt (FieldInvalid, naming the shape's field, for
    anything the contract does not allow)."""
    if not isinstance(shapes, list):
        raise FieldInvalid("A list of shapes is required.", field=field)
    if len(shapes) > MAX_SHAPES:
        raise FieldInvalid(f"At most {MAX_SHAPES} shapes.", field=field)
    clean: list[Shape] = []
    points = 0
    for index, value in enumerate(shapes):
        shape, count = _shape(value, f"{field}.{index}")
        clean.append(shape)
        points += count
        if points > MAX_POINTS:
            raise FieldInvalid(f"At most {MAX_POINTS:,} points in all.", field=field)
    if len(json.dumps(clean, separators=(",", ":"))) > MAX_JSON_BYTES:
        raise FieldInvalid(f"A drawing is at most {MAX_JSON_BYTES // 1024} KB.", field=field)
    return clean


def drawing_clean(drawing: object, *, field: str = "drawing") -> dict[str, Any]:
    """A whole drawing, `{"shapes": [...]}`, checked and rebuilt."""
    if not isinstance(drawing, dict):
        raise FieldInvalid("A drawing is an object with `shapes`.", field=field)
    return {"shapes": drawing_shapes(drawing.get("shapes"), field=f"{field}.shapes")}
