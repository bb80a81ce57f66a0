"""One URL convention under /api/: no trailing slash in the schema, the slashed form answered by the same
operation (never a redirect, which would drop a POST's body), and every answer JSON in the error shape,
in DEBUG too: unknown paths, wrong methods, crashes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.test import APIClient
from rest_framework.views import APIView

from tests.factories import ApiTokenFactory, UserFactory

pytestmark = pytest.mark.django_db


def error_of(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert list(body) == ["error"] and list(body["error"]) == ["code", "message", "fields"], body
    return body["error"]


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings) -> bool:
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def client() -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiTokenFactory(user=UserFactory()).secret}")
    return client


def test_no_documented_path_ends_with_a_slash():
    paths = Client().get("/api/schema/", {"format": "json"}).json()["paths"]

    assert paths
    assert [p for p in paths if p.endswith("/")] == []
    assert {"/api/v1/billing", "/api/v1/billing/ledger", "/api/v1/comparisons"} <= set(paths)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/me",
        "/api/v1/tokens/current",
        "/api/v1/billing",
        "/api/v1/billing/ledger",
        "/api/v1/videos",
        "/api/v1/comparisons",
        "/api/v1/conversations",
        "/api/v1/notes",
        "/api/v1/uploads",
    ],
)
def test_every_list_answers_with_and_without_a_trailing_slash(debug, client, url):
    plain = client.get(url)
    slashed = client.get(url + "/")

    assert (plain.status_code, slashed.status_code) in {(200, 200), (405, 405)}, url
    assert plain.json() == slashed.json()


def test_posting_a_comparison_without_the_slash_reaches_the_api(debug, client):
    error = error_of(client.post("/api/v1/comparisons", {}, format="json"), 400)

    assert set(error["fields"]) == {"video_a", "video_b"}


def test_posting_a_conversation_with_a_slash_reaches_the_api(debug, client):
    response = client.post("/api/v1/conversations/", {}, format="json")

    assert response.status_code == 201, response.content


def test_a_slashed_detail_path_is_the_same_operation(debug, client):
    assert error_of(client.get("/api/v1/videos/12345/"), 404)["message"] == "No such video."
    assert client.get("/api/v1/me/").json()["email"]


def test_a_session_post_through_the_slashed_form_still_needs_the_csrf_token(debug):
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    browser.force_login(UserFactory())

    error = error_of(browser.post("/api/v1/conversations/", {}, content_type="application/json"), 403)

    assert "CSRF" in error["message"]


@pytest.mark.parametrize(
    "url", ["/api/v1/no-such-thing", "/api/v1/videos/abc", "/api/v1/videos//", "/api/v2/videos", "/api/", "/api"]
)
def test_an_unknown_api_path_is_a_json_404(debug, client, url):
    assert error_of(client.get(url), 404)["code"] == "not_found"


def test_an_unknown_api_path_is_a_json_404_for_a_post_too(debug, client):
    assert error_of(client.post("/api/v1/no-such-thing", {}, format="json"), 404)["code"] == "not_found"


@pytest.mark.parametrize("url", ["/api/v1/videos", "/api/v1/videos/"])
def test_a_method_the_operation_does_not_have_is_a_json_405(debug, url):
    browser = Client(raise_request_exception=False)
    browser.force_login(UserFactory())

    error = error_of(browser.put(url, {}, content_type="application/json"), 405)

    assert error["code"] == "method_not_allowed"


class Crashes(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> None:
        raise RuntimeError("a bug with a secret in it")


urlpatterns = [path("api/v1/test/crashes", Crashes.as_view()), path("", include("sage.urls"))]


@pytest.mark.urls(__name__)
def test_a_crash_is_a_json_500_without_details_in_debug_too(debug):
    response = APIClient(raise_request_exception=False).get("/api/v1/test/crashes")

    assert error_of(response, 500)["code"] == "server_error"
    assert b"secret" not in response.content


@pytest.mark.urls(__name__)
def test_a_crash_still_reaches_the_test_client_and_the_log(caplog):
    with pytest.raises(RuntimeError, match="a bug"):
        APIClient().get("/api/v1/test/crashes")

    assert any(record.name == "django.request" and record.exc_info for record in caplog.records)


def test_pages_keep_their_trailing_slash_redirect(debug):
    browser = Client()
    browser.force_login(UserFactory())

    response = browser.get("/chat")

    assert (response.status_code, response["Location"]) == (301, "/chat/")


def test_a_host_that_is_not_this_sites_is_a_json_400_under_api_and_django_s_400_on_pages(
    client: APIClient, debug: bool
) -> None:
    error = error_of(client.post("/api/v1/videos/1/cancel", HTTP_HOST="elsewhere.example"), 400)
    assert error["code"] == "bad_request" and "Host" in error["message"]

    page = Client(raise_request_exception=False).get("/", HTTP_HOST="elsewhere.example")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def test_every_operation_documents_the_400_any_request_can_get(client: APIClient) -> None:
    schema = client.get("/api/schema/?format=json").json()
    undocumented = [
        f"{method.upper()} {route}"
        for route, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"get", "post", "put", "patch", "delete"} and "400" not in operation["responses"]
    ]
    assert undocumented == []
