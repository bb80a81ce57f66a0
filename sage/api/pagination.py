"""Page-numbered lists whose `?page=` is checked like any other input: a page that is not a whole
number from 1 (empty, `abc`, `０`) is a 400 naming `page`; a page past the end stays a 404."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

PAGE_NUMBER_DIGITS = 9  # a billion pages of 50 is past any list here; longer is refused, not counted


class PageNumberPagination(pagination.PageNumberPagination):
    last_page_strings = ()  # the schema says a page is an integer; `?page=last` is not one

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not (raw.isascii() and raw.isdigit() and len(raw) <= PAGE_NUMBER_DIGITS and int(raw) >= 1):
            raise serializers.ValidationError({self.page_query_param: ["A page is a whole number from 1."]})
        return int(raw)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 10**PAGE_NUMBER_DIGITS - 1}
        return parameters
