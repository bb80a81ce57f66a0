"""`/api/v1/me`: the signed-in account, read by session or token, changed by session only."""

from __future__ import annotations

from unittest.mock import ANY

import pytest
from rest_framework.test import APIClient

from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


@pytest.fixture
def client(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_me_shows_the_account(client, user):
    body = client.get(ME).json()

    assert body == {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "ai_notes_enabled": True,
        "review_digest_emails": True,
        "date_joined": body["date_joined"],
    }


def test_me_with_a_read_token_shows_the_token_owner(user, other_user):
    token = ApiTokenFactory(user=other_user, scopes=["read"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")

    assert api.get(ME).json()["email"] == other_user.email


def test_patch_changes_only_what_is_sent(client, user):
    response = client.patch(ME, {"ai_notes_enabled": False}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.ai_notes_enabled is False
    assert response.json()["display_name"] == user.display_name != ""

    client.patch(ME, {"display_name": "  Ada Lovelace  "}, format="json")
    user.refresh_from_db()
    assert user.display_name == "Ada Lovelace"
    assert user.ai_notes_enabled is False


def test_patch_may_clear_the_display_name(client, user):
    assert client.patch(ME, {"display_name": ""}, format="json").status_code == 200

    user.refresh_from_db()
    assert user.display_name == ""
    assert client.get(ME).json()["display_name"] == ""


def test_patch_refuses_a_name_that_is_too_long(client, user):
    before = user.display_name

    response = client.patch(ME, {"display_name": "x" * 81}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["display_name"]
    assert "80" in error["fields"]["display_name"][0]
    assert error["message"].startswith("display_name: ")
    user.refresh_from_db()
    assert user.display_name == before


@pytest.mark.parametrize("value", ["perhaps", 0, 1, "true", "off", None])
def test_patch_refuses_anything_but_true_or_false_and_changes_nothing(client, user, value):
    # The schema says boolean: DRF alone would read 0, 1, "true" or "off" as one.
    response = client.patch(ME, {"ai_notes_enabled": value}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"ai_notes_enabled": [ANY]}
    user.refresh_from_db()
    assert user.ai_notes_enabled is True


def test_patch_with_broken_json_gets_the_error_shape(client):
    response = client.generic("PATCH", ME, '{"display_name": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_patch_with_a_form_body_is_unsupported(client):
    response = client.generic("PATCH", ME, "display_name=x", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_an_unsupported_method_gets_405_in_the_error_shape(client):
    response = client.put(ME, {"display_name": "x"}, format="json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
