"""The API's JSON parser: DRF's, reading the body with `sage.json_input` (deep nesting, lone
surrogates, numbers too large for a float are a 400 `parse_error`, not a 500)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from sage import json_input
from sage.errors import MalformedJson


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        # Text codecs only: DRF refuses bz2 & co (newer than the stubs).
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as error:
            raise ParseError(f"JSON parse error - the body is not {encoding}: {error.reason}.") from None
        try:
            return json_input.loads(text)
        except MalformedJson as error:
            raise ParseError(error.message) from None
