"""Query-string filters of list operations, validated like bodies: an unknown status, a NUL in a search
or a flag that is not a boolean is a 400 naming the parameter, never a filter silently dropped (which
answers "everything") or a database error."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from sage.api.fields import TextField


def query_filters(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """The filters `serializer_class` declares, from the request's query string (absent ones left out)."""
    present = {name: value for name, value in request.query_params.items() if name in serializer_class().fields}
    filters = serializer_class(data=present)
    filters.is_valid(raise_exception=True)
    return dict(filters.validated_data)


def text_filter(help_text: str) -> serializers.CharField:
    """Words to look for: a NUL (Postgres cannot hold or search one) is refused, and the schema says so."""
    return TextField(required=False, allow_blank=True, max_length=200, help_text=help_text)


def choice_filter(choices: list[str], help_text: str) -> serializers.ChoiceField:
    allowed = ", ".join(choices)
    return serializers.ChoiceField(
        choices=choices,
        required=False,
        help_text=help_text,
        error_messages={"invalid_choice": f'"{{input}}" is not one of the allowed values: {allowed}.'},
    )
