"""Drawings over the picture: the one check of their plain-data shape (issue 53's contract).

A drawing is `{"shapes": [shape, ...]}` in coordinates normalised to the picture (0..1, origin top
left), so it lands on the same place at any displayed size and on the still (`reviews.stills`):
- `{"tool": "pen", "color", "width", "points": [[x, y], ...]}` (2–500 points)
- `{"tool": "arrow"|"rect"|"ellipse", "color", "width", "from": [x, y], "to": [x, y]}`
- `{"tool": "text", "color", "at": [x, y], "text", "size"}`
Only these keys, palette colours, widths and sizes as fractions of the picture's height. The same
check guards stored drawings (comments) and the live session's drafts, so nothing else ever
reaches a page's canvas or the still's renderer.
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

from sage.errors import FieldInvalid
from sage.text import has_bidi_controls

PALETTE = ("#e53935", "#fb8c00", "#fdd835", "#43a047", "#1e88e5", "#8e24aa", "#ffffff", "#000000")
LINE_TOOLS = ("arrow", "rect", "ellipse")
TOOLS = ("pen", *LINE_TOOLS, "text")
MAX_SHAPES = 50
MAX_POINTS = 2_000
PEN_POINTS = (2, 500)
MAX_JSON_BYTES = 32 * 1024
WIDTH_RANGE = (0.002, 0.02)
SIZE_RANGE = (0.02, 0.1)
TEXT_MAX = 200

_KEYS = {
    "pen": {"tool", "color", "width", "points"},
    "arrow": {"tool", "color", "width", "from", "to"},
    "rect": {"tool", "color", "width", "from", "to"},
    "ellipse": {"tool", "color", "width", "from", "to"},
    "text": {"tool", "color", "at", "text", "size"},
}


def _invalid(message: str) -> FieldInvalid:
    return FieldInvalid(message, field="drawing")


def _number(value: object, where: str, low: float, high: float) -> float:
    # bool is an int in Python: refused, as are NaN and the infinities.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(f"{where}: a number is required.")
    if not low <= value <= high:
        raise _invalid(f"{where}: must lie between {low:g} and {high:g}.")
    return float(value)


def _point(value: object, where: str) -> list[float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _invalid(f"{where}: a point is [x, y].")
    return [_number(value[0], f"{where} x", 0.0, 1.0), _number(value[1], f"{where} y", 0.0, 1.0)]


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{where}: text of 1 to {TEXT_MAX} characters is required.")
    text = value.strip()
    if len(text) > TEXT_MAX:
        raise _invalid(f"{where}: at most {TEXT_MAX} characters.")
    # Bidi controls too: they would reorder what the drawing's viewers read.
    if any(unicodedata.category(char) == "Cc" for char in text) or has_bidi_controls(text):
        raise _invalid(f"{where}: control characters are not allowed.")
    return text


def _shape(value: object, index: int) -> tuple[dict[str, Any], int]:
    """One shape checked and rebuilt from its known keys, and how many points it holds."""
    where = f"Shape {index + 1}"
    if not isinstance(value, dict):
        raise _invalid(f"{where}: a shape is an object.")
    tool = value.get("tool")
    if tool not in TOOLS:
        raise _invalid(f"{where}: tool must be one of {', '.join(TOOLS)}.")
    extra = set(value) - _KEYS[tool]
    if extra:
        raise _invalid(f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}.")
    missing = _KEYS[tool] - set(value)
    if missing:
        raise _invalid(f"{where}: missing {', '.join(sorted(missing))}.")
    color = value["color"]
    if color not in PALETTE:
        raise _invalid(f"{where}: color must be one of the palette ({' '.join(PALETTE)}).")
    shape: dict[str, Any] = {"tool": tool, "color": color}
    if tool == "text":
        shape["at"] = _point(value["at"], f"{where} at")
        shape["text"] = _text(value["text"], f"{where} text")
        shape["size"] = _number(value["size"], f"{where} size", *SIZE_RANGE)
        return shape, 1
    shape["width"] = _number(value["width"], f"{where} width", *WIDTH_RANGE)
    if tool == "pen":
        points = value["points"]
        low, high = PEN_POINTS
        if not isinstance(points, list) or not low <= len(points) <= high:
            raise _invalid(f"{where}: a pen line has {low} to {high} points.")
        shape["points"] = [_point(point, f"{where} point {n + 1}") for n, point in enumerate(points)]
        return shape, len(points)
    shape["from"] = _point(value["from"], f"{where} from")
    shape["to"] = _point(value["to"], f"{where} to")
    return shape, 2


def drawing_shapes(shapes: object, *, field: str = "drawing") -> list[dict[str, Any]]:
    """`shapes` checked and rebuilt as a drawing's list of shapes; FieldInvalid on `field` naming the
    first thing wrong. An empty list stays empty: a live session's draft (`field` "shapes") that is
    just started or wiped, where a stored drawing of no shapes is none (`clean_drawing`)."""
    try:
        return _shapes(shapes)
    except FieldInvalid as error:
        if field == error.field:
            raise
        raise FieldInvalid(error.reason, field=field) from None


def clean_drawing(value: object) -> dict[str, Any] | None:
    """`value` checked as a drawing and rebuilt as plain data (None for none: null or no shapes);
    FieldInvalid (field `drawing`) naming the first thing wrong."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"shapes"}:
        raise _invalid('A drawing is {"shapes": [...]}.')
    shapes = _shapes(value["shapes"])
    return {"shapes": shapes} if shapes else None


def _shapes(shapes: object) -> list[dict[str, Any]]:
    if not isinstance(shapes, list):
        raise _invalid("shapes must be a list.")
    if len(shapes) > MAX_SHAPES:
        raise _invalid(f"At most {MAX_SHAPES} shapes.")
    cleaned = []
    points = 0
    for index, raw in enumerate(shapes):
        shape, count = _shape(raw, index)
        points += count
        if points > MAX_POINTS:
            raise _invalid(f"At most {MAX_POINTS:,} points in all.")
        cleaned.append(shape)
    if len(json.dumps({"shapes": cleaned}, separators=(",", ":"))) > MAX_JSON_BYTES:
        raise _invalid(f"A drawing is at most {MAX_JSON_BYTES // 1024} KB.")
    return cleaned
