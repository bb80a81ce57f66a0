"""Hostile input to the API and the pages: deep JSON, NUL, lone surrogates, huge numbers and unknown
filter values answer 400 in the error shape (pages ignore what they cannot use), never a 500."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.guests import Viewer
from accounts.models import User
from chat.models import Conversation
from chat.services import conversation_create
from devtools import processes
from tests.factories import ApiTokenFactory, UserFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert list(body) == ["error"] and list(body["error"]) == ["code", "message", "fields"], body
    return body["error"]


def token_client(user: User) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiTokenFactory(user=user).secret}")
    return client


def post_raw(client: Client, url: str, body: str):
    return client.post(url, data=body.encode("utf-8", "surrogatepass"), content_type="application/json")


@pytest.mark.parametrize("body", ["[" * 5000, '{"a":' * 5000, "[" * 5000 + "]" * 5000])
def test_deeply_nested_json_is_a_400_even_without_credentials(body):
    response = post_raw(APIClient(raise_request_exception=False), "/api/v1/conversations", body)

    error = error_of(response, 400)
    assert error["code"] == "parse_error"
    assert "nested" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        '{"video_a": 1, "video_b": 2, "metric": "\\ud800"}',  # a refused choice echoes the value back
        '{"video_a": 1, "video_b": 2, "\\udfff": 1}',
        '["\\ud83d"]',
    ],
)
def test_a_lone_surrogate_anywhere_in_json_is_a_400(body):
    response = post_raw(token_client(UserFactory()), "/api/v1/comparisons", body)

    error = error_of(response, 400)
    assert error["code"] == "parse_error"
    assert "surrogate" in error["message"]


def test_a_surrogate_pair_is_a_character_like_any_other():
    user = UserFactory()
    video = VideoFactory(owner=user, title="Talk", status=Video.Status.READY, duration=60)

    response = post_raw(
        token_client(user), f"/api/v1/videos/{video.pk}/notes", '{"start": 1, "text": "nice \\ud83d\\ude00"}'
    )

    assert response.status_code == 201, response.content
    assert response.json()["text"] == "nice \U0001f600"


@pytest.mark.parametrize("number", ["1e400", "-1e400", "9" * 400 + ".0"])
def test_a_number_too_large_for_a_float_is_a_400(number):
    response = post_raw(
        token_client(UserFactory()), "/api/v1/comparisons", f'{{"video_a": 1, "video_b": 2, "threshold": {number}}}'
    )

    error = error_of(response, 400)
    assert error["code"] in {"parse_error", "invalid"}


def test_an_integer_with_thousands_of_digits_is_a_400():
    response = post_raw(token_client(UserFactory()), "/api/v1/conversations", '{"video": ' + "9" * 5000 + "}")

    assert error_of(response, 400)["code"] == "parse_error"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/videos?q=%00", "/api/v1/notes?q=a%00b", "/api/v1/conversations?q=%00", "/api/v1/messages/search?q=%00"],
)
def test_a_nul_in_a_text_filter_is_a_400_naming_it(url):
    error = error_of(token_client(UserFactory()).get(url), 400)

    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["q"]


def test_text_over_the_length_limit_is_a_400_even_when_it_is_mostly_whitespace():
    # The schema's maxLength counts the text as sent; trimming must not make 600 characters fit in 500
    # (schemathesis found `?q=` one letter and 600 carriage returns accepted).
    error = error_of(token_client(UserFactory()).get("/api/v1/messages/search", {"q": "\x04" + "\r" * 600}), 400)

    assert list(error["fields"]) == ["q"]
    assert "500" in error["fields"]["q"][0]


@pytest.mark.parametrize("url", ["/api/v1/videos?status=bogus", "/api/v1/videos?status="])
def test_an_unknown_status_filter_is_a_400_naming_the_allowed_values(url):
    error = error_of(token_client(UserFactory()).get(url), 400)

    assert list(error["fields"]) == ["status"]
    for value in Video.Status.values:
        assert value in error["fields"]["status"][0]


def test_a_known_status_filter_still_filters():
    user = UserFactory()
    VideoFactory(owner=user, title="Done", status=Video.Status.READY)
    VideoFactory(owner=user, title="Broken", status=Video.Status.FAILED)

    response = token_client(user).get("/api/v1/videos", {"status": "failed"})

    assert response.status_code == 200
    assert [video["title"] for video in response.json()["results"]] == ["Broken"]


def _one_live_one_trashed(user: User) -> None:
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    conversation_create(viewer=viewer)
    trashed = conversation_create(viewer=viewer)
    Conversation.objects.filter(pk=trashed.pk).update(deleted_at="2020-01-01T00:00Z")


@pytest.mark.parametrize("flag", ["deleted", "trash"])
def test_the_trash_is_listed_with_deleted_true_as_documented_and_trash_true_as_before(flag):
    user = UserFactory()
    _one_live_one_trashed(user)
    client = token_client(user)

    listed = client.get("/api/v1/conversations", {flag: "true"}).json()["results"]
    not_listed = client.get("/api/v1/conversations", {flag: "false"}).json()["results"]

    assert [c["deleted_at"] is not None for c in listed] == [True]
    assert [c["deleted_at"] is None for c in not_listed] == [True]


def test_a_trash_flag_that_is_not_a_boolean_is_a_400():
    error = error_of(token_client(UserFactory()).get("/api/v1/conversations", {"deleted": "maybe"}), 400)

    assert list(error["fields"]) == ["deleted"]


@pytest.mark.parametrize("status", [Video.Status.QUEUED, Video.Status.PROCESSING, Video.Status.FAILED])
def test_a_conversation_about_a_video_that_is_not_ready_is_refused_with_409(status):
    user = UserFactory()
    video = VideoFactory(owner=user, title="Later", status=status)

    response = token_client(user).post("/api/v1/conversations", {"video": video.pk}, format="json")

    error = error_of(response, 409)
    assert error["code"] == "video_not_ready"
    assert "ready" in error["message"]
    assert not Conversation.objects.exists()


def test_a_conversation_about_a_ready_video_is_created():
    user = UserFactory()
    video = VideoFactory(owner=user, title="Now", status=Video.Status.READY, duration=10)

    response = token_client(user).post("/api/v1/conversations", {"video": video.pk}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["video"] == video.pk


# --- pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/chat/?q=%00", "/chat/?q=a%00b&show=trash", "/chat/search/?q=%00", "/videos/?q=%00", "/search/?q=%00"]
)
def test_a_nul_in_a_page_filter_is_ignored_not_a_500(url):
    user = UserFactory()
    conversation_create(viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id))
    client = Client(raise_request_exception=False)
    client.force_login(user)

    response = client.get(url)

    assert response.status_code == 200, (url, response.status_code)


@pytest.mark.parametrize("page", ["", "0", "-1", "abc", "１", "last", "9" * 12])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400(page):
    error = error_of(token_client(UserFactory()).get("/api/v1/billing/ledger", {"page": page}), 400)

    assert list(error["fields"]) == ["page"]


def test_a_page_past_the_end_is_still_a_404():
    error_of(token_client(UserFactory()).get("/api/v1/videos", {"page": "2"}), 404)


@pytest.mark.parametrize("value", [5, 1.5])
def test_a_string_field_given_a_number_is_a_400_not_text(value):
    user = UserFactory()
    video = VideoFactory(owner=user, title="Talk", status=Video.Status.READY, duration=60)

    response = token_client(user).post(f"/api/v1/videos/{video.pk}/notes", {"start": 1, "text": value}, format="json")

    error = error_of(response, 400)
    assert error["fields"] == {"text": ["Must be a string."]}


@pytest.mark.parametrize(
    ("url", "field"), [("/api/v1/search?q=hi&video=", "video"), ("/api/v1/messages/search?q=hi&limit=", "limit")]
)
def test_an_empty_number_in_a_query_is_a_400_not_no_filter(url, field):
    error = error_of(token_client(UserFactory()).get(url), 400)

    assert list(error["fields"]) == [field]


# --- NUL in a path, broken multipart bodies -------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/billing/payments/%00/",
        "/billing/receipts/payment/%00/",
        "/billing/payments/pi_%00abc/",
        "/billing/receipts/payment/pi_1%00/",
        "/videos/%00/",
        "/chat/%00/",
    ],
)
def test_a_nul_in_a_page_path_is_the_404_page_without_a_traceback(url, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 404, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html")
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


@pytest.mark.parametrize("url", ["/api/v1/videos/%00", "/api/v1/billing/ledger%00", "/api/v1/me/%00"])
def test_a_nul_in_an_api_path_is_a_404_in_the_error_shape(url):
    assert error_of(token_client(UserFactory()).get(url), 404)["code"] == "not_found"


BROKEN_MULTIPART = [
    "multipart/form-data",  # no boundary
    "multipart/form-data; boundary=é",  # not ASCII
]


@pytest.mark.parametrize("content_type", BROKEN_MULTIPART)
@pytest.mark.parametrize("url", ["/accounts/login/", "/settings/profile/", "/videos/upload/"])
def test_a_broken_multipart_body_on_a_page_is_the_400_page_saying_so(url, content_type):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    client.cookies["csrftoken"] = "a" * 32  # so the CSRF check reads the form, as a browser's post would

    response = client.post(url, data=b"--x\r\nbroken", content_type=content_type)

    assert response.status_code == 400, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html")
    assert b"multipart/form-data body could not be read" in response.content
    assert b'class="error-code"' in response.content


@pytest.mark.parametrize("content_type", BROKEN_MULTIPART)
@pytest.mark.parametrize("url", ["/api/v1/comparisons", "/api/v1/videos/youtube"])
def test_a_broken_multipart_body_on_the_api_is_json(url, content_type):
    client = APIClient(raise_request_exception=False)
    client.force_login(UserFactory())
    client.cookies["csrftoken"] = "a" * 32

    response = client.post(url, data=b"--x\r\nbroken", content_type=content_type)

    assert response.status_code in (400, 403, 415), response.content
    error_of(response, response.status_code)


@pytest.mark.parametrize("content_type", BROKEN_MULTIPART)
def test_a_broken_multipart_body_to_the_stripe_webhook_is_json(content_type, settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"

    response = Client(raise_request_exception=False).post(
        "/billing/stripe/webhook/", data=b"--x\r\nbroken", content_type=content_type
    )

    assert error_of(response, 400)["code"] == "invalid_webhook"


@pytest.mark.django_db(transaction=True)
def test_under_daphne_a_multipart_body_without_a_boundary_reaches_django_and_gets_its_answer():
    # Twisted parsed such a body itself and answered a bare 400 with no body, on every path.
    keys = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x", "STRIPE_PUBLISHABLE_KEY": "pk_x"}
    with processes.daphne_server(**keys) as site:
        address = urlsplit(site)

        def post(path: str) -> tuple[int, str, bytes]:
            connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
            headers = {"Content-Type": "multipart/form-data", "Cookie": "csrftoken=" + "a" * 32}
            connection.request("POST", path, body=b"--x\r\nbroken", headers=headers)
            reply = connection.getresponse()
            answer = (reply.status, reply.getheader("Content-Type") or "", reply.read())
            connection.close()
            return answer

        page, api, webhook = post("/accounts/login/"), post("/api/v1/comparisons"), post("/billing/stripe/webhook/")

    assert page[0] == 400 and page[1].startswith("text/html")
    assert b"multipart/form-data body could not be read" in page[2]
    assert api[0] in (400, 401) and api[1] == "application/json" and b'"error"' in api[2]
    assert webhook[0] == 400 and json.loads(webhook[2])["error"]["code"] == "invalid_webhook"
