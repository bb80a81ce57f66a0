"""The OpenAPI generator: drf-spectacular's, with what it says about blank-allowed text made exact."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers

_EMPTY_TEXT = {"type": "string", "maxLength": 0}


class AutoSchema(openapi.AutoSchema):
    def _insert_field_validators(self, field: serializers.Field[Any, Any, Any, Any], schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)  # type: ignore[no-untyped-call]
        # For text that may be blank and has a pattern, drf-spectacular writes oneOf [the text, ""]. When
        # the pattern allows "" too (e.g. "no NUL"), "" matches both branches and so violates the oneOf:
        # a client checking the schema would refuse an empty search. anyOf says what is meant.
        if schema.get("oneOf", [])[-1:] == [_EMPTY_TEXT]:
            schema["anyOf"] = schema.pop("oneOf")
