"""Input fields as strict as the schema they publish, and schemas as strict as the fields."""

from __future__ import annotations

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from rest_framework import serializers

# Written with escapes, so the schema carries them as text; Python, ECMAScript and Rust regexes read
# them alike. No NUL (Postgres can neither hold nor search one):
NO_NUL_PATTERN = r"^[^\u0000]*$"
# ...and at least one character that is not whitespace as Python's `str.strip` (DRF's trimming) sees it:
_SPACE = r"\u0000\t\n\u000b\u000c\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SOME_TEXT_PATTERN = rf"^[^\u0000]*[^{_SPACE}][^\u0000]*$"
_NUL_MESSAGE = "Null characters are not allowed."


class TextField(serializers.CharField):
    """A JSON string, and only a string: DRF's CharField also takes `0` or `1.5` and makes them text,
    while the schema says `type: string`. Its schema also says what DRF refuses in text: a NUL and,
    when `allow_blank` is off and whitespace is trimmed, text of spaces only."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        needs_text = not self.allow_blank and self.trim_whitespace
        # The same check as DRF's NUL validator, as a pattern drf-spectacular publishes.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(
            RegexValidator(SOME_TEXT_PATTERN if needs_text else NO_NUL_PATTERN, message=_NUL_MESSAGE)
        )

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        # The schema's maxLength is of the text as sent: DRF checks it after trimming, so 600 carriage
        # returns around one letter would pass.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
