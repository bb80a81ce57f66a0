"""Text from outside that goes into a database query."""

from __future__ import annotations


def storable(text: str) -> bool:
    """False for text Postgres can neither hold nor search: a NUL (it refuses one in any string, so a
    filter with one raises instead of matching nothing) or a lone surrogate (not encodable as UTF-8).
    No stored text contains either, so a search for such text finds nothing."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
