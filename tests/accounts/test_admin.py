"""Operators in the Django admin: find people, revoke API tokens, never see a secret."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import ApiToken, User
from tests.factories import DEFAULT_PASSWORD, ApiTokenFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"
TOKENS = "/admin/accounts/apitoken/"


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_operator_finds_people_by_email(operator):
    alice = UserFactory(email="alice@example.org")
    bob = UserFactory(email="bob@example.org")

    response = operator.get(USERS, {"q": "alice@"})

    assert response.status_code == 200
    found = list(response.context["cl"].result_list)
    assert found == [alice]
    assert bob.email not in response.content.decode()


def test_an_operator_can_add_a_person_with_a_password(operator):
    assert operator.get(f"{USERS}add/").status_code == 200

    response = operator.post(
        f"{USERS}add/",
        {
            "email": "new@example.org",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    created = User.objects.get(email="new@example.org")
    assert created.check_password(DEFAULT_PASSWORD)


def test_an_operator_can_open_a_person(operator, user):
    response = operator.get(f"{USERS}{user.pk}/change/")

    assert response.status_code == 200
    assert user.email in response.content.decode()


def test_an_operator_revokes_selected_tokens_with_the_action(operator, user, other_user):
    chosen = [ApiTokenFactory(user=user), ApiTokenFactory(user=other_user)]
    spared = ApiTokenFactory(user=user)

    response = operator.post(
        TOKENS,
        {"action": "revoke_tokens", "_selected_action": [token.pk for token in chosen]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Revoked 2 token(s)." in [str(message) for message in response.context["messages"]]
    assert {token.pk: token.state for token in ApiToken.objects.all()} == {
        chosen[0].pk: "revoked",
        chosen[1].pk: "revoked",
        spared.pk: "active",
    }
    api = Client(HTTP_AUTHORIZATION=f"Bearer {chosen[0].secret}")
    assert api.get("/api/v1/me").status_code == 401


def test_the_revoke_action_keeps_earlier_revocation_times(operator, user):
    earlier = ApiTokenFactory(user=user, revoked_at="2030-01-01T00:00:00Z")

    operator.post(TOKENS, {"action": "revoke_tokens", "_selected_action": [earlier.pk]})

    earlier.refresh_from_db()
    assert earlier.revoked_at.isoformat() == "2030-01-01T00:00:00+00:00"


def test_an_operator_filters_tokens_by_state(operator, user):
    active = ApiTokenFactory(user=user)
    revoked = ApiTokenFactory(user=user, revoked_at="2030-01-01T00:00:00Z")
    expired = ApiTokenFactory(user=user, expires_at="2001-01-01T00:00:00Z")

    def listed(state: str) -> list[ApiToken]:
        return list(operator.get(TOKENS, {"state": state}).context["cl"].result_list)

    assert listed("active") == [active]
    assert listed("revoked") == [revoked]
    assert listed("expired") == [expired]


def test_an_operator_sees_a_token_but_not_its_secret_or_hash(operator, user):
    token = ApiTokenFactory(user=user)

    page = operator.get(f"{TOKENS}{token.pk}/change/").content.decode()

    assert token.prefix in page
    assert token.secret not in page
    assert token.secret_hash not in page
    assert operator.get(f"{TOKENS}add/").status_code == 403


def test_people_who_are_not_staff_are_sent_to_the_admin_login(user):
    client = Client()
    client.force_login(user)

    for url in (USERS, TOKENS):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
