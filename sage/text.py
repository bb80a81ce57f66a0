"""Text from outside: what a database query can hold, and what a name may hold."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Characters that set the direction of the text after them: the embeddings and overrides
# (U+202A-U+202E), the isolates (U+2066-U+2069) and the two marks (U+200E, U+200F). In a name
# shown in a line with other text (an author beside a time, a title in a sentence), one of them
# makes what follows read backwards, so names refuse them; bodies keep them, and pages isolate all
# user text. Written with escapes, as a regex class that Python and a published schema read alike.
BIDI_CONTROLS = r"\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI_CONTROL = re.compile(f"[{BIDI_CONTROLS}]")
NAME_BIDI_MESSAGE = "A name cannot hold characters that change the direction of text (such as U+202E)."


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


def has_bidi_controls(text: str) -> bool:
    return _BIDI_CONTROL.search(text) is not None


def without_bidi_controls(text: str) -> str:
    """A name from elsewhere (Google's), which nobody here can be asked to retype, made safe."""
    return _BIDI_CONTROL.sub("", text)


def refuse_bidi_controls(value: object) -> None:
    """A name's validator (forms and serializers): refuses the direction controls above."""
    if isinstance(value, str) and has_bidi_controls(value):
        raise ValidationError(NAME_BIDI_MESSAGE, code="bidi_control")
