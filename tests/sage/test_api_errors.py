"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import include, path
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db


class NestedInput(serializers.Serializer):
    title = serializers.CharField(max_length=5)
    tags = serializers.ListField(child=serializers.ChoiceField(choices=["a", "b"]))
    span = serializers.DictField(child=serializers.IntegerField())


class Raises(APIView):
    """Test-only: raises what `?raise=` names."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        kind = request.query_params.get("raise", "")
        if kind == "django-404":
            raise Http404("No such video.")
        if kind == "django-403":
            raise PermissionDenied("Not your video.")
        if kind == "non-field":
            raise exceptions.ValidationError("The start must come before the end.")
        if kind == "throttled":
            raise exceptions.Throttled(wait=42)
        if kind == "crash":
            raise RuntimeError("a bug")
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        NestedInput(data=request.data).is_valid(raise_exception=True)
        return Response({"ok": True})


urlpatterns = [path("api/test/raises", Raises.as_view()), path("", include("sage.urls"))]
handler404 = "sage.views.not_found"
handler500 = "sage.views.server_error"


def get_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"]
    assert list(body["error"]) == ["code", "message", "fields"]
    return body["error"]


@pytest.mark.urls(__name__)
def test_field_errors_name_every_bad_field_with_readable_messages():
    response = APIClient().post(
        "/api/test/raises", {"title": "too long", "tags": ["a", "z"], "span": {"x": "y"}}, format="json"
    )

    error = get_error(response, 400)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"title", "tags", "span"}
    assert error["fields"]["title"] == ["Ensure this field has no more than 5 characters."]
    assert error["fields"]["tags"] == ['1: "z" is not a valid choice.']
    assert error["fields"]["span"] == ["x: A valid integer is required."]
    assert error["message"] == "title: Ensure this field has no more than 5 characters."


@pytest.mark.urls(__name__)
def test_an_error_about_the_whole_input_is_a_non_field_error():
    error = get_error(APIClient().get("/api/test/raises", {"raise": "non-field"}), 400)

    assert error == {
        "code": "invalid",
        "message": "The start must come before the end.",
        "fields": {"non_field_errors": ["The start must come before the end."]},
    }


@pytest.mark.urls(__name__)
def test_a_django_404_keeps_its_message():
    error = get_error(APIClient().get("/api/test/raises", {"raise": "django-404"}), 404)

    assert error == {"code": "not_found", "message": "No such video.", "fields": {}}


@pytest.mark.urls(__name__)
def test_a_django_permission_denied_is_a_403():
    error = get_error(APIClient().get("/api/test/raises", {"raise": "django-403"}), 403)

    assert error == {"code": "permission_denied", "message": "Not your video.", "fields": {}}


@pytest.mark.urls(__name__)
def test_throttling_says_when_to_come_back():
    response = APIClient().get("/api/test/raises", {"raise": "throttled"})

    error = get_error(response, 429)
    assert error["code"] == "throttled"
    assert "42 seconds" in error["message"]
    assert response["Retry-After"] == "42"


@pytest.mark.urls(__name__)
def test_an_unexpected_error_is_a_json_500_without_details():
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/test/raises", {"raise": "crash"})

    error = get_error(response, 500)
    assert error["code"] == "server_error"
    assert "a bug" not in response.content.decode()


def test_an_unknown_api_path_is_a_json_404():
    error = get_error(APIClient().get("/api/v1/no-such-thing"), 404)

    assert error["code"] == "not_found"
