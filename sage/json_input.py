"""JSON from outside (API bodies, socket frames), read strictly.

Python's `json` accepts documents the rest of the site cannot handle: nesting deep enough to exhaust
the interpreter's recursion limit (RecursionError, not ValueError), lone UTF-16 surrogates
(`"\\ud800"`: a str that cannot be encoded as UTF-8, so rendering or storing it fails), numbers too
large for a float (`1e400` becomes infinity) and the non-standard `NaN`/`Infinity`. Each is refused
here as `MalformedJson`, so the API answers 400 and a socket sends an error frame. A document that is
stored whole in a Postgres `jsonb` column (a Stripe event) must also be free of NUL (`"\\u0000"`),
which `jsonb` refuses: `nul_allowed=False` refuses it here too.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sage.errors import MalformedJson

# No input of this site nests more than a few levels; the cap keeps every later walk (validation,
# error messages) far from the recursion limit.
MAX_DEPTH = 32


def loads(text: str, *, nul_allowed: bool = True) -> Any:
    """The document in `text`; MalformedJson (with a reason safe to show) if it is not acceptable."""
    try:
        document = json.loads(text, parse_float=_finite_float, parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedJson(_too_deep()) from None
    except ValueError as error:  # JSONDecodeError, an integer over Python's digit limit, a refused number
        raise MalformedJson(f"JSON parse error - {error}") from None
    _check(document, nul_allowed=nul_allowed)
    return document


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"the number {literal[:40]} is too large")
    return number


def _refuse_constant(literal: str) -> float:
    raise ValueError(f"{literal} is not a JSON number")


def _too_deep() -> str:
    return f"The JSON is nested too deeply (at most {MAX_DEPTH} levels)."


def _check(document: Any, *, nul_allowed: bool) -> None:
    """Depth and text of every value and key, walked without recursion."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value, nul_allowed=nul_allowed)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise MalformedJson(_too_deep())
            items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            for key, item in items:
                if key is not None:
                    _check_text(key, nul_allowed=nul_allowed)
                pending.append((item, depth + 1))


def _check_text(text: str, *, nul_allowed: bool) -> None:
    if not nul_allowed and "\x00" in text:
        raise MalformedJson("JSON parse error - a NUL character (U+0000) is not accepted.")
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        surrogate = f"U+{ord(text[error.start]):04X}"
        raise MalformedJson(f"JSON parse error - a lone surrogate ({surrogate}) is not a character.") from None
