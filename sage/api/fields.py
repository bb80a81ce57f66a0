"""Input fields as strict as the schema they publish, and schemas as strict as the fields."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from rest_framework import serializers

from sage.text import BIDI_CONTROLS, refuse_bidi_controls

# Whitespace as Python's `str.strip` (DRF's trimming) sees it, for a character class; written out
# because `\s` is not the same set in Python and in ECMAScript:
SPACE_CHARACTERS = r"\t\n\u000b\u000c\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NUL_MESSAGE = "Null characters are not allowed."


def _text_pattern(*, needs_text: bool, name: bool) -> str:
    """What text may hold, as a pattern the schema publishes: no NUL (Postgres can neither hold nor
    search one), no direction control in a name, and with `needs_text` at least one character that
    is not whitespace. Written with escapes, so the schema carries them as text; Python, ECMAScript
    and Rust regexes read them alike."""
    refused = r"\u0000" + (BIDI_CONTROLS if name else "")
    if needs_text:
        return rf"^[^{refused}]*[^{refused}{SPACE_CHARACTERS}][^{refused}]*$"
    return rf"^[^{refused}]*$"


def any_case(text: str) -> str:
    """A pattern matching `text` in any case, without a flag (a schema's pattern has none)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


class _TextValidator(RegexValidator):
    """`_text_pattern`, as a pattern drf-spectacular publishes, with the message for what is wrong:
    a NUL, a direction control, or (`blank_message`) nothing but spaces."""

    def __init__(self, *, needs_text: bool, name: bool, blank_message: str) -> None:
        super().__init__(_text_pattern(needs_text=needs_text, name=name), message=_NUL_MESSAGE)
        self.name = name
        self.blank_message = blank_message

    def __call__(self, value: Any) -> None:
        text = str(value)
        if "\x00" in text:
            super().__call__(value)
        if self.name:
            refuse_bidi_controls(text)
        if not re.search(self.regex, text):
            raise ValidationError(self.blank_message, code="blank")


class TextField(serializers.CharField):
    """A JSON string, and only a string: DRF's CharField also takes `0` or `1.5` and makes them text,
    while the schema says `type: string`. Its schema also says what DRF refuses in text: a NUL and,
    when `allow_blank` is off and whitespace is trimmed (or `require_text` says so where it is kept),
    text of spaces only. A pattern given in `validators` is published before these (drf-spectacular
    publishes the first), so it must refuse a NUL too. `name=True` is for names people give (a
    display name, a title, a link's name): they may not hold direction controls (`sage.text`)."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def __init__(self, *, require_text: bool = False, name: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        needs_text = not self.allow_blank and (self.trim_whitespace or require_text)
        # The same check as DRF's NUL validator, as a pattern drf-spectacular publishes.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        blank_message = str(self.error_messages["blank"])
        self.validators.append(_TextValidator(needs_text=needs_text, name=name, blank_message=blank_message))

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        # The schema's maxLength is of the text as sent: DRF checks it after trimming, so 600 carriage
        # returns around one letter would pass.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class NumberField(serializers.FloatField):
    """A JSON number, and only a number: DRF's FloatField also takes `false` (0.0) or `"1.5"`, while
    the schema says `type: number`."""

    default_error_messages = {"not_a_number": "Must be a number."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("not_a_number")
        return super().to_internal_value(data)


# A sender's own id for what it sends (a chat question, a guest's comment), so that sending it again
# after a lost reply stores it once: the column's length.
CLIENT_ID_MAX = 64


# No control characters (Unicode's "Cc", NUL included), as a pattern the schema publishes.
_CLIENT_ID_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"


class ClientIdField(serializers.CharField):
    """A sender's own id for what it sends (`client_id_or_none`): optional, at most CLIENT_ID_MAX
    characters, none of them a control character, and the schema says so (its pattern)."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", CLIENT_ID_MAX)
        kwargs.setdefault("trim_whitespace", False)  # an id is what was sent: a tab around it is refused
        kwargs["validators"] = [RegexValidator(_CLIENT_ID_PATTERN, message="No control characters.")]
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


def client_id_or_none(value: object) -> str | None:
    """The client id sent, "" when none was; None when what was sent cannot be one (not text, longer
    than CLIENT_ID_MAX, or holding control characters). Each door says so in its own error shape."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > CLIENT_ID_MAX or any(_is_control(char) for char in value):
        return None
    return value


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0  # Unicode's "Cc"


def is_id(value: object) -> TypeGuard[int]:
    """Whether a JSON value is a row's id: an integer from 1, and never `true` or `false`, which
    Python counts as 1 and 0 (so `int()`, a `pk=` lookup and DRF's related fields take them)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class IdField(serializers.IntegerField):
    """A row's id: a whole number from 1, from a JSON number or a query string's digits. Never a
    boolean (`{"parent": true}` once replied to comment 1) nor a float: DRF's IntegerField refuses
    `true` only because `int("True")` happens to fail, and takes `1.0`."""

    default_error_messages = {"not_an_id": "Must be an id: a whole number from 1."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("not_an_id")
        # A query string's id is its digits: DRF reads "5.0" as 5 (it strips a decimal zero).
        if isinstance(data, str) and not (data.isascii() and data.isdigit()):
            self.fail("not_an_id")
        return int(super().to_internal_value(data))


class FlagField(serializers.BooleanField):
    """A JSON boolean, and only a boolean: DRF's BooleanField also takes `0`, `1`, `"yes"` or
    `"off"`, while the schema says `type: boolean`."""

    default_error_messages = {"not_a_boolean": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("not_a_boolean")
        return data
