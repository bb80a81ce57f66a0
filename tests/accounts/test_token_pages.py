"""The API-token part of the settings page: create (secret shown once), validation, revoke."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils.html import escape

from accounts.models import ApiToken
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

SETTINGS = "/settings/"
CREATE = "/settings/tokens/"


def revoke_url(token: ApiToken) -> str:
    return f"/settings/tokens/{token.pk}/revoke/"


@pytest.fixture
def browser_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_settings_page_needs_a_signed_in_user(db):
    response = Client().get(SETTINGS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_created_token_secret_is_shown_on_the_next_page_only(browser_client, user):
    created = browser_client.post(CREATE, {"name": "Laptop extension", "scopes": ["read", "chat"]})

    assert created.status_code == 302
    assert created["Location"] == SETTINGS
    token = ApiToken.objects.get(user=user)
    assert token.name == "Laptop extension"
    assert token.scopes == ["chat", "read"]

    first = browser_client.get(SETTINGS)
    secret = first.context["new_token_secret"]
    assert secret.startswith(token.prefix)
    assert secret in first.content.decode()
    assert "Copy it now" in first.content.decode()

    second = browser_client.get(SETTINGS)
    assert second.context["new_token_secret"] is None
    assert secret not in second.content.decode()
    assert 'id="new-token-secret"' not in second.content.decode()
    assert token.prefix in second.content.decode()  # still listed, by its prefix only

    # What was shown is the real credential.
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me").json()["email"] == user.email


def test_a_token_can_be_created_with_an_expiry(browser_client, user):
    browser_client.post(CREATE, {"name": "Trial", "scopes": ["read"], "expires_in_days": "30"})

    token = ApiToken.objects.get(user=user)
    assert token.expires_at is not None
    assert (token.expires_at - token.created_at).days in (29, 30)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "No scopes"}, "scopes"),
        ({"name": "Bad scope", "scopes": ["admin"]}, "scopes"),
        ({"name": "   ", "scopes": ["read"]}, "name"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "Bad expiry", "scopes": ["read"], "expires_in_days": "7"}, "expires_in_days"),
    ],
)
def test_invalid_token_forms_are_shown_again_with_400(browser_client, user, form, field):
    response = browser_client.post(CREATE, form)

    assert response.status_code == 400
    token_form = response.context["token_form"]
    assert list(token_form.errors) == [field]
    page = response.content.decode()
    for message in token_form.errors[field]:
        assert escape(message) in page
    assert 'id="new-token-secret"' not in page
    assert response.context["new_token_secret"] is None
    assert not ApiToken.objects.filter(user=user).exists()


def test_the_page_lists_my_tokens_only(browser_client, user, other_user):
    mine = ApiTokenFactory(user=user, name="My laptop")
    theirs = ApiTokenFactory(user=other_user, name="Their server")

    response = browser_client.get(SETTINGS)

    assert list(response.context["tokens"]) == [mine]
    assert theirs.name not in response.content.decode()


def test_revoking_my_token_from_the_page(browser_client, user):
    token = ApiTokenFactory(user=user)

    response = browser_client.post(revoke_url(token))

    assert response.status_code == 302
    assert response["Location"] == SETTINGS
    token.refresh_from_db()
    assert token.state == "revoked"
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}").get("/api/v1/me").status_code == 401


def test_another_user_cannot_revoke_my_token_from_the_page(user, other_user):
    mine = ApiTokenFactory(user=user)
    intruder = Client()
    intruder.force_login(other_user)

    response = intruder.post(revoke_url(mine))

    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.state == "active"


def test_revoking_needs_a_post(browser_client, user):
    token = ApiTokenFactory(user=user)

    assert browser_client.get(revoke_url(token)).status_code == 405
    token.refresh_from_db()
    assert token.state == "active"


def test_revoking_from_the_page_needs_the_csrf_token(user):
    token = ApiTokenFactory(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(revoke_url(token)).status_code == 403
    token.refresh_from_db()
    assert token.state == "active"


def test_the_secret_waiting_to_be_shown_is_not_stored_in_the_database(browser_client, user):
    browser_client.post(CREATE, {"name": "Laptop extension", "scopes": ["read"]})
    # The person has not loaded the next page yet (closed the tab, lost the connection…).

    stored = [str(session.get_decoded()) for session in Session.objects.all()]

    assert ApiToken.objects.filter(user=user).exists()
    assert not any("sage_" in data for data in stored)
