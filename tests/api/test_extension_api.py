"""The API is enough for the browser extension (issue 35 part 6): what it needs is public API, and its
token, made through the connect flow, reaches no billing, no token management and nobody else's
objects, under the same rate limits as any token."""

from __future__ import annotations

import base64
import hashlib
import secrets
from importlib import import_module

import pytest
from django.apps import apps
from django.test import Client
from rest_framework.test import APIClient

from accounts.guests import Viewer
from accounts.throttling import PrincipalRateThrottle
from billing.quota import quota_consume
from tests.factories import ApiTokenFactory, ConversationFactory, NoteFactory, VideoFactory

pytestmark = pytest.mark.django_db


def extension_client(user) -> tuple[APIClient, dict]:
    """An API client holding the token the connect flow gives `user`'s extension, and that answer."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    browser = Client()
    browser.force_login(user)
    assert browser.get("/settings/connect", {"challenge": challenge, "browser": "Chromium"}).status_code == 200
    assert browser.post("/settings/connect", {"challenge": challenge, "decision": "approve"}).status_code == 302
    answer = APIClient().post("/api/v1/extension/connect", {"verifier": verifier}, format="json").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer['token']}")
    return client, answer


def error_code(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response.json()["error"]["code"]


# --- what the extension's token cannot reach -------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/billing", "/api/v1/billing/ledger"])
def test_the_extensions_token_cannot_read_billing(user, url):
    client, _ = extension_client(user)

    assert error_code(client.get(url), 403) == "insufficient_scope"
    assert "billing:read" in client.get(url).json()["error"]["message"]


def test_the_extensions_token_cannot_manage_tokens_but_can_revoke_itself(user):
    other = ApiTokenFactory(user=user, name="Laptop script")
    client, answer = extension_client(user)

    refusals = [
        client.get("/api/v1/tokens"),
        client.post("/api/v1/tokens", {"name": "offspring", "scopes": ["read"]}, format="json"),
        client.get(f"/api/v1/tokens/{other.pk}"),
        client.delete(f"/api/v1/tokens/{other.pk}"),
        client.patch("/api/v1/me", {"display_name": "Mallory"}, format="json"),
    ]

    assert [error_code(response, 403) for response in refusals] == ["session_required"] * 5
    other.refresh_from_db()
    assert other.state == "active"
    assert user.api_tokens.count() == 2
    assert client.delete("/api/v1/tokens/current").json()["id"] == answer["token_id"]


def test_the_extensions_token_gets_404_for_another_users_objects(user, other_user):
    client, _ = extension_client(user)
    video = VideoFactory(owner=other_user, ready=True)
    note = NoteFactory(owner=other_user, video=video)
    conversation = ConversationFactory(owner=other_user, video=video)

    answers = {
        "video": client.get(f"/api/v1/videos/{video.pk}"),
        "video notes": client.get(f"/api/v1/videos/{video.pk}/notes"),
        "note": client.get(f"/api/v1/notes/{note.pk}"),
        "note edit": client.patch(f"/api/v1/notes/{note.pk}", {"text": "mine now"}, format="json"),
        "conversation": client.get(f"/api/v1/conversations/{conversation.pk}"),
        "messages": client.get(f"/api/v1/conversations/{conversation.pk}/messages"),
        "ask": client.post(f"/api/v1/conversations/{conversation.pk}/messages", {"text": "hi"}, format="json"),
    }

    assert {name: response.status_code for name, response in answers.items()} == dict.fromkeys(answers, 404)
    note.refresh_from_db()
    assert note.text != "mine now"


def test_the_extensions_token_does_what_the_extension_needs(user):
    client, answer = extension_client(user)
    video = VideoFactory(owner=user, ready=True)

    assert client.get("/api/v1/me").json()["email"] == user.email
    assert client.get(f"/api/v1/videos/{video.pk}").status_code == 200
    assert (
        client.post(f"/api/v1/videos/{video.pk}/notes", {"start": 3, "text": "a note"}, format="json").status_code
        == 201
    )
    assert client.post("/api/v1/conversations", {"video": video.pk}, format="json").status_code == 201
    assert client.get("/api/v1/prices").status_code == 200
    assert sorted(answer["scopes"]) == ["chat", "notes:write", "read", "videos:write"]


def test_the_extensions_token_has_the_same_rate_limit_as_any_token(user, monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "3/min", "extension_connect": "60/min"})
    client, _ = extension_client(user)

    statuses = [client.get("/api/v1/me").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/me")["Retry-After"]


# --- what the extension needed that the API lacked ---------------------------------------------------


def test_a_youtube_video_is_found_by_its_youtube_id_among_mine_only(user, other_user):
    client, _ = extension_client(user)
    mine = VideoFactory(owner=user, youtube=True, youtube_id="dQw4w9WgXcQ")
    VideoFactory(owner=other_user, youtube=True, youtube_id="dQw4w9WgXcQ")
    VideoFactory(owner=user, youtube=True, youtube_id="aaaaaaaaaaa")

    found = client.get("/api/v1/videos", {"youtube_id": "dQw4w9WgXcQ"}).json()
    missing = client.get("/api/v1/videos", {"youtube_id": "bbbbbbbbbbb"}).json()

    assert [video["id"] for video in found["results"]] == [mine.pk]
    assert found["results"][0]["status"] and "stage" in found["results"][0] and "percent" in found["results"][0]
    assert missing["results"] == []


@pytest.mark.parametrize("bad", ["short", "dQw4w9WgXcQ-", "https://youtu.be/dQw4w9WgXcQ", "dQw4w9WgXc%"])
def test_a_malformed_youtube_id_is_a_400_naming_the_parameter(user, bad):
    client, _ = extension_client(user)

    response = client.get("/api/v1/videos", {"youtube_id": bad})

    assert error_code(response, 400) == "invalid"
    assert set(response.json()["error"]["fields"]) == {"youtube_id"}


def test_prices_say_what_the_site_charges_and_the_questions_left_today(user, settings):
    settings.TOKEN_COST_CHAT_ANSWER = 3
    settings.TOKEN_COST_AI_NOTE = 7
    settings.GEMINI_API_KEY = ""
    client, _ = extension_client(user)
    before = client.get("/api/v1/prices").json()

    quota_consume(viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id), key="question-1")
    after = client.get("/api/v1/prices").json()

    assert before["chat_answer"] == 3
    assert before["youtube_video"] == 0 and before["video_second"] == 1
    # Without a language model a note saved empty is a free transcript excerpt, as the notes editor says.
    assert (before["written_note"], before["written_note_kind"]) == (0, "transcript_excerpt")
    assert after["chat_quota"]["remaining"] == before["chat_quota"]["remaining"] - 1
    assert after["chat_quota"]["limit"] == user.wallet.plan.daily_chat_messages
    assert before["billing_url"] == "http://testserver/billing/"


def test_prices_name_the_ai_notes_price_when_a_language_model_writes_them(user, settings):
    settings.TOKEN_COST_AI_NOTE = 7
    settings.GEMINI_API_KEY = "test-key"
    client, _ = extension_client(user)

    body = client.get("/api/v1/prices").json()

    assert (body["written_note"], body["written_note_kind"]) == (7, "ai_note")


def test_prices_are_mine_only_and_need_a_signed_in_caller(user, other_user):
    quota_consume(
        viewer=Viewer(user=other_user, guest_id=None, workspace_id=other_user.personal_workspace_id),
        key="someone-elses",
    )
    client, _ = extension_client(user)

    mine = client.get("/api/v1/prices").json()["chat_quota"]

    assert mine["used"] == 0
    assert error_code(APIClient().get("/api/v1/prices"), 401) == "not_authenticated"


def test_a_billing_token_still_reads_billing(user):
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiTokenFactory(user=user, scopes=['billing:read']).secret}")

    assert reader.get("/api/v1/billing").status_code == 200
    assert reader.get("/api/v1/billing/ledger").status_code == 200


def test_a_token_made_before_billing_had_its_own_scope_keeps_reading_it(user):
    # The migration gives every token that had `read` the new `billing:read`: nothing changes for it.
    migration = import_module("accounts.migrations.0004_api_token_billing_read_scope")
    old = ApiTokenFactory(user=user, scopes=["read"])
    chat_only = ApiTokenFactory(user=user, scopes=["chat"])

    migration.keep_billing_reads(apps, None)

    old.refresh_from_db()
    chat_only.refresh_from_db()
    assert sorted(old.scopes) == ["billing:read", "read"]
    assert chat_only.scopes == ["chat"]
