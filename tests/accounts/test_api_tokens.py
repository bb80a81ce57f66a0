"""API tokens through `/api/v1/tokens` and `Authorization: Bearer`: create, use, revoke, expire, scopes."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.throttling import PrincipalRateThrottle
from tests.factories import ApiTokenFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/tokens"
ME = "/api/v1/me"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


# --- create --------------------------------------------------------------------------------------


def test_create_returns_the_secret_once_and_lists_without_it(user):
    client = signed_in(user)

    created = client.post(TOKENS, {"name": "Chrome extension", "scopes": ["read", "notes:write"]}, format="json")

    assert created.status_code == 201
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("sage_") and len(secret) > 40
    assert secret.startswith(body["prefix"])
    assert body["scopes"] == ["notes:write", "read"]
    assert body["state"] == "active"
    assert body["expires_at"] is None
    listed = client.get(TOKENS).json()
    detail = client.get(f"{TOKENS}/{body['id']}").json()
    for seen in (*listed, detail):
        assert "secret" not in seen
        assert secret not in str(seen)
    assert [token["name"] for token in listed] == ["Chrome extension"]


def test_only_a_hash_of_the_secret_reaches_the_database(user):
    secret = signed_in(user).post(TOKENS, {"name": "script", "scopes": ["read"]}, format="json").json()["secret"]

    token = ApiToken.objects.get(user=user)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Every row of every table, as text: the secret is nowhere.
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [name for (name,) in cursor.fetchall()]
        assert "accounts_apitoken" in tables
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}" AS row WHERE row::text LIKE %s', [f"%{secret}%"])
            assert cursor.fetchone() == (0,), f"the secret is stored in {table}"


def test_create_with_an_expiry_in_the_future(user):
    expires_at = timezone.now() + timedelta(days=30)

    response = signed_in(user).post(
        TOKENS, {"name": "month", "scopes": ["read"], "expires_at": expires_at.isoformat()}, format="json"
    )

    assert response.status_code == 201
    assert ApiToken.objects.get(user=user).expires_at == expires_at


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "no scopes", "scopes": []}, "scopes"),
        ({"name": "unknown scope", "scopes": ["admin"]}, "scopes"),
        ({"name": "   ", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"scopes": ["read"]}, "name"),
        ({"name": "past", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "garbage date", "scopes": ["read"], "expires_at": "next tuesday"}, "expires_at"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(user, payload, field):
    response = signed_in(user).post(TOKENS, payload, format="json")

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == [field]
    assert error["message"].startswith(f"{field}: ")
    assert not ApiToken.objects.exists()


# --- use -----------------------------------------------------------------------------------------


def test_a_bearer_token_authenticates_and_records_when_it_was_used(user):
    token = ApiTokenFactory(user=user, scopes=["read"])
    assert token.last_used_at is None

    with time_machine.travel("2031-05-01 12:00Z", tick=False):
        response = bearer(token.secret).get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == user.email
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at.isoformat() == "2031-05-01T12:00:00+00:00"


def test_last_used_moves_on_after_a_minute_not_on_every_request(user):
    token = ApiTokenFactory(user=user, scopes=["read"])
    client = bearer(token.secret)

    with time_machine.travel("2031-05-01 12:00Z", tick=False) as traveller:
        client.get(ME)
        traveller.shift(timedelta(seconds=30))
        client.get(ME)
        token.refresh_from_db()
        assert token.last_used_at is not None
        assert token.last_used_at.isoformat() == "2031-05-01T12:00:00+00:00"
        traveller.shift(timedelta(seconds=60))
        client.get(ME)

    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2031-05-01T12:01:30+00:00"


def test_a_request_without_credentials_gets_401_with_the_bearer_challenge(db):
    response = APIClient().get(ME)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Bearer sage_thisIsNotARealTokenAtAll0123456789abcdefghij", "token_invalid"),
        ("Bearer not-even-our-prefix", "token_invalid"),
        ("Bearer", "token_malformed"),
        ("Bearer two parts", "token_malformed"),
        ("bearer sage_lowercaseSchemeIsStillBearer", "token_invalid"),
    ],
)
def test_a_wrong_or_malformed_token_gets_401(user, authorization, code):
    ApiTokenFactory(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)

    response = client.get(ME)

    assert_error(response, 401, code)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_token_is_refused_even_with_a_valid_session(user):
    # The token is what the caller chose to present; falling back to the session would hide a bug.
    client = signed_in(user)
    client.credentials(HTTP_AUTHORIZATION="Bearer sage_wrong")

    assert_error(client.get(ME), 401, "token_invalid")


def test_a_revoked_token_gets_401(user):
    token = ApiTokenFactory(user=user)
    client = bearer(token.secret)
    assert client.get(ME).status_code == 200

    assert signed_in(user).delete(f"{TOKENS}/{token.pk}").status_code == 200

    error = assert_error(client.get(ME), 401, "token_revoked")
    assert "revoked" in error["message"]


def test_a_token_stops_working_when_it_expires(user):
    with time_machine.travel("2031-05-01 12:00Z", tick=False) as traveller:
        token = ApiTokenFactory(user=user, expires_at=timezone.now() + timedelta(days=1))
        client = bearer(token.secret)
        assert client.get(ME).status_code == 200

        traveller.shift(timedelta(days=1))
        error = assert_error(client.get(ME), 401, "token_expired")
        assert "expired" in error["message"]
        token.refresh_from_db()
        assert token.state == "expired"


def test_a_token_created_already_expired_in_the_database_is_refused(user):
    token = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(seconds=1))

    assert_error(bearer(token.secret).get(ME), 401, "token_expired")


def test_a_token_of_a_disabled_account_is_refused(user):
    token = ApiTokenFactory(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_error(bearer(token.secret).get(ME), 401, "account_disabled")


# --- scopes --------------------------------------------------------------------------------------


def test_a_token_without_the_read_scope_cannot_read(user):
    token = ApiTokenFactory(user=user, scopes=["notes:write"])

    for path in (ME, "/api/v1/videos", "/api/v1/notes"):
        error = assert_error(bearer(token.secret).get(path), 403, "insufficient_scope")
        assert "'read'" in error["message"]


def test_a_token_sees_only_itself_not_the_list_of_tokens(user):
    token = ApiTokenFactory(user=user)  # every scope
    ApiTokenFactory(user=user, name="Laptop script")

    listed = bearer(token.secret).get(TOKENS)
    detail = bearer(token.secret).get(f"{TOKENS}/{token.pk}")
    itself = bearer(token.secret).get(f"{TOKENS}/current")

    for refused in (listed, detail):
        assert_error(refused, 403, "session_required")
    assert "Laptop script" not in listed.content.decode()
    assert itself.status_code == 200 and itself.json()["name"] == token.name


def test_tokens_cannot_mint_tokens_revoke_tokens_or_change_the_profile(user):
    token = ApiTokenFactory(user=user)  # every scope
    client = bearer(token.secret)

    created = client.post(TOKENS, {"name": "offspring", "scopes": ["read"]}, format="json")
    revoked = client.delete(f"{TOKENS}/{token.pk}")
    patched = client.patch(ME, {"display_name": "Mallory"}, format="json")

    for response in (created, revoked, patched):
        error = assert_error(response, 403, "session_required")
        assert "sign in" in error["message"]
    assert ApiToken.objects.filter(user=user).count() == 1
    token.refresh_from_db()
    assert token.state == "active"
    user.refresh_from_db()
    assert user.display_name != "Mallory"


# --- session and CSRF ----------------------------------------------------------------------------


def test_session_writes_without_a_csrf_token_are_refused(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(TOKENS, {"name": "csrf", "scopes": ["read"]}, format="json")

    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not ApiToken.objects.exists()


def test_session_writes_with_the_csrf_token_are_accepted(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    csrf_secret = "a" * 32
    client.cookies["csrftoken"] = csrf_secret

    response = client.post(TOKENS, {"name": "csrf", "scopes": ["read"]}, format="json", HTTP_X_CSRFTOKEN=csrf_secret)

    assert response.status_code == 201


def test_session_reads_need_no_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get(ME).status_code == 200


# --- ownership and revocation --------------------------------------------------------------------


def test_another_user_can_neither_see_nor_revoke_my_token(user, other_user):
    mine = ApiTokenFactory(user=user)
    client = signed_in(other_user)

    assert_error(client.get(f"{TOKENS}/{mine.pk}"), 404, "not_found")
    assert_error(client.delete(f"{TOKENS}/{mine.pk}"), 404, "not_found")
    assert client.get(TOKENS).json() == []
    mine.refresh_from_db()
    assert mine.state == "active"
    assert bearer(mine.secret).get(ME).status_code == 200


def test_an_unknown_token_id_is_404(user):
    client = signed_in(user)

    assert_error(client.get(f"{TOKENS}/987654"), 404, "not_found")
    # Larger than a bigint: still a clean 404, not a database error.
    assert_error(client.get(f"{TOKENS}/99999999999999999999999"), 404, "not_found")


def test_revoking_twice_keeps_the_first_revocation_time(user):
    token = ApiTokenFactory(user=user)

    with time_machine.travel("2031-05-01 12:00Z", tick=False) as traveller:
        client = signed_in(user)
        first = client.delete(f"{TOKENS}/{token.pk}")
        traveller.shift(timedelta(hours=3))
        second = client.delete(f"{TOKENS}/{token.pk}")

    assert first.status_code == second.status_code == 200
    assert first.json()["revoked_at"] == second.json()["revoked_at"] == "2031-05-01T12:00:00Z"
    assert second.json()["state"] == "revoked"
    token.refresh_from_db()
    assert token.revoked_at.isoformat() == "2031-05-01T12:00:00+00:00"


def test_revoked_tokens_stay_listed_as_revoked(user):
    kept, revoked = ApiTokenFactory(user=user), ApiTokenFactory(user=user)
    client = signed_in(user)
    client.delete(f"{TOKENS}/{revoked.pk}")

    states = {item["id"]: item["state"] for item in client.get(TOKENS).json()}

    assert states == {kept.pk: "active", revoked.pk: "revoked"}


# --- throttling ----------------------------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch):
    rates = {"principal": "3/min", "token_create": "2/hour"}
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", rates)
    return rates


def test_each_token_has_its_own_rate_limit(user, low_rates):
    noisy, quiet = ApiTokenFactory(user=user), ApiTokenFactory(user=user)
    noisy_client = bearer(noisy.secret)

    assert [noisy_client.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    throttled = noisy_client.get(ME)

    error = assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert "throttled" in error["message"].lower()
    # Another token of the same person, and the person's browser session, are not held back.
    assert bearer(quiet.secret).get(ME).status_code == 200
    assert signed_in(user).get(ME).status_code == 200


def test_each_signed_in_user_has_their_own_rate_limit(user, other_user, low_rates):
    client = signed_in(user)

    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    assert_error(client.get(ME), 429, "throttled")
    assert signed_in(other_user).get(ME).status_code == 200


def test_creating_tokens_has_its_own_stricter_limit(user, low_rates):
    low_rates["principal"] = "100/min"
    client = signed_in(user)

    statuses = [client.post(TOKENS, {"name": f"t{n}", "scopes": ["read"]}, format="json").status_code for n in range(3)]

    assert statuses == [201, 201, 429]
    assert ApiToken.objects.filter(user=user).count() == 2
    assert client.get(TOKENS).status_code == 200  # listing is not creating


# --- queries -------------------------------------------------------------------------------------


def test_listing_tokens_takes_the_same_queries_for_one_token_or_many(user, django_assert_max_num_queries):
    ApiTokenFactory(user=user)
    client = signed_in(user)
    client.get(TOKENS)  # the session's first request loads what later ones reuse
    with CaptureQueriesContext(connection) as one_token:
        assert len(client.get(TOKENS).json()) == 1
    ApiTokenFactory.create_batch(15, user=user)
    ApiTokenFactory.create_batch(3, user=UserFactory())

    with django_assert_max_num_queries(len(one_token.captured_queries)):
        assert len(client.get(TOKENS).json()) == 16
