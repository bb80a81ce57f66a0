"""`/api/v1/billing` and `/api/v1/billing/ledger`: read by session or a `billing:read` token, mine only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.guests import Viewer
from billing.holds import hold_create
from billing.ledger import InsufficientTokens, ledger_debit, ledger_grant
from billing.models import Plan, Wallet
from billing.quota import quota_consume
from billing.wallets import wallet_change_plan
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

BILLING = "/api/v1/billing"
LEDGER = "/api/v1/billing/ledger"
# Today at noon UTC: near enough to the real clock that sessions made before the freeze still hold.
NOON = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(12), tzinfo=dt.UTC)
NEXT_MIDNIGHT = NOON.replace(hour=0) + dt.timedelta(days=1)


# --- a test-only view raising the billing errors, to see them through the real handler ------------


class RaisesBillingErrors(APIView):
    def get(self, request: Request) -> Response:
        assert request.user.is_authenticated
        if request.query_params.get("raise") == "tokens":
            ledger_debit(user=request.user, amount=10**9, key="too-much", memo="more than anyone has")
        quota_consume(
            viewer=Viewer(user=request.user, guest_id=None, workspace_id=request.user.personal_workspace_id),
            key=request.query_params["key"],
        )
        return Response({"ok": True})


urlpatterns = [path("api/test/billing-errors", RaisesBillingErrors.as_view()), path("", include("sage.urls"))]
handler404 = "sage.views.not_found"
handler500 = "sage.views.server_error"


# --- helpers --------------------------------------------------------------------------------------


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def token_client(user, scopes: list[str]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiTokenFactory(user=user, scopes=scopes).secret}")
    return client


def get_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"]
    expected = ["code", "message", "fields", "tokens"] if status == 402 else ["code", "message", "fields"]
    assert list(body["error"]) == expected
    return body["error"]


@pytest.fixture(params=["session", "token"])
def client(request, user) -> APIClient:
    return session_client(user) if request.param == "session" else token_client(user, ["billing:read"])


# --- /api/v1/billing ------------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_billing_shows_my_plan_balance_held_and_quota(client, user):
    free = Plan.objects.get(slug="free")
    hold_create(user=user, amount=100, key="video:1")
    quota_consume(viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id), key="m1")
    quota_consume(viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id), key="m2")

    response = client.get(BILLING)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "plan": {
            "slug": "free",
            "name": "Free",
            "monthly_tokens": free.monthly_tokens,
            "price_cents": 0,
            "daily_chat_messages": free.daily_chat_messages,
            "max_video_seconds": free.max_video_seconds,
            "max_upload_bytes": free.max_upload_bytes,
            "storage_quota_bytes": free.storage_quota_bytes,
        },
        "balance": free.monthly_tokens - 100,
        "held": 100,
        "owed": 0,
        "quota": {
            "limit": free.daily_chat_messages,
            "used": 2,
            "remaining": free.daily_chat_messages - 2,
            "resets_at": NEXT_MIDNIGHT.isoformat().replace("+00:00", "Z"),
        },
    }


def test_billing_follows_a_plan_change(client, user):
    pro = Plan.objects.get(slug="pro")
    wallet_change_plan(wallet=Wallet.objects.get(user=user), plan=pro)

    body = client.get(BILLING).json()

    assert body["plan"]["slug"] == "pro"
    assert body["quota"]["limit"] == pro.daily_chat_messages


def test_billing_shows_only_my_wallet(client, user, other_user):
    ledger_grant(user=other_user, amount=999, key="promo:other", memo="not mine")

    body = client.get(BILLING).json()

    assert body["balance"] == Wallet.objects.get(user=user).balance
    assert body["held"] == 0


# --- /api/v1/billing/ledger -----------------------------------------------------------------------


def test_the_ledger_lists_my_entries_newest_first(client, user):
    ledger_grant(user=user, amount=50, key="promo:1", memo="welcome")
    entry = ledger_debit(user=user, amount=7, key="answer:1", memo="chat answer", ref=user)

    response = client.get(LEDGER)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3  # the sign-up grant too
    newest = body["results"][0]
    assert newest == {
        "id": entry.pk,
        "kind": "debit",
        "status": "",
        "amount": -7,
        "held": None,
        "balance_after": entry.balance_after,
        "memo": "chat answer",
        "ref_type": "user",
        "ref_id": str(user.pk),
        "created_at": newest["created_at"],
        "closed_at": None,
    }
    assert dt.datetime.fromisoformat(newest["created_at"]) == entry.created_at
    assert [row["kind"] for row in body["results"]] == ["debit", "grant", "grant"]


def test_the_ledger_is_paginated_and_shows_only_mine(client, user, other_user):
    for i in range(54):
        ledger_grant(user=user, amount=1, key=f"mine:{i}", memo="mine")
    for i in range(5):
        ledger_grant(user=other_user, amount=1, key=f"theirs:{i}", memo="theirs")

    first = client.get(LEDGER).json()
    second = client.get(LEDGER, {"page": 2}).json()

    assert first["count"] == second["count"] == 55
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert first["next"].endswith(f"{LEDGER}?page=2")
    assert len(second["results"]) == 5
    assert second["next"] is None
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(set(ids)) == 55
    assert all(row["memo"] != "theirs" for row in first["results"] + second["results"])


def test_a_page_past_the_end_is_a_404_in_the_error_shape(client):
    error = get_error(client.get(LEDGER, {"page": 9}), 404)

    assert error["code"] == "not_found"


def count_queries(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LEDGER).status_code == 200
    return len(queries)


@pytest.mark.parametrize("auth", ["session", "token"])
def test_the_ledger_query_count_does_not_grow_with_entries(user, auth):
    client = session_client(user) if auth == "session" else token_client(user, ["billing:read"])
    ledger_grant(user=user, amount=1, key="one", memo="one")
    count_queries(client)  # the first call may record the token's first use; later ones do not
    few = count_queries(client)

    for i in range(30):
        ledger_grant(user=user, amount=1, key=f"more:{i}", memo="more", ref=user)
        hold_create(user=user, amount=1, key=f"hold:{i}", ref=user)
    many = count_queries(client)

    assert many == few, f"{few} queries for 2 entries, {many} for 62"
    assert few <= 6


# --- who may read ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [BILLING, LEDGER])
def test_anonymous_callers_get_401(url):
    error = get_error(APIClient().get(url), 401)

    assert error["code"] == "not_authenticated"


@pytest.mark.parametrize("url", [BILLING, LEDGER])
def test_a_token_without_the_billing_read_scope_gets_403(user, url):
    # `read` (what the browser extension's token has) reads videos and notes, never money.
    error = get_error(token_client(user, ["read", "chat", "notes:write", "videos:write"]).get(url), 403)

    assert error["code"] == "insufficient_scope"
    assert "'billing:read'" in error["message"]


def test_a_billing_token_reads_its_owners_billing_not_someone_elses(user, other_user):
    ledger_grant(user=user, amount=999, key="promo:user", memo="not the token owner's")
    client = token_client(other_user, ["billing:read"])

    billing = client.get(BILLING)
    ledger = client.get(LEDGER)

    assert billing.status_code == ledger.status_code == 200
    assert billing.json()["balance"] == Wallet.objects.get(user=other_user).balance
    listed = {row["id"] for row in ledger.json()["results"]}
    assert listed == set(other_user.wallet.entries.values_list("pk", flat=True))


@pytest.mark.parametrize("url", [BILLING, LEDGER])
def test_the_billing_endpoints_are_read_only(client, url):
    assert client.post(url, {}, format="json").status_code in (403, 405)


# --- 402 and 429 through the real exception handler -----------------------------------------------


@pytest.mark.urls(__name__)
def test_not_enough_tokens_is_a_402_saying_what_was_needed_and_what_is_available(user):
    available = Wallet.objects.get(user=user).balance

    error = get_error(session_client(user).get("/api/test/billing-errors", {"raise": "tokens", "key": "x"}), 402)

    assert error["code"] == "insufficient_tokens"
    assert error["fields"] == {}
    assert str(10**9) in error["message"]
    assert str(available) in error["message"]
    assert error["tokens"] == {"needed": 10**9, "available": available, "owed": 0, "short": 10**9 - available}
    assert Wallet.objects.get(user=user).balance == available


@pytest.mark.urls(__name__)
def test_over_quota_is_a_429_with_retry_after_until_utc_midnight(user):
    Plan.objects.filter(slug="free").update(daily_chat_messages=1)
    client = session_client(user)

    with time_machine.travel(NEXT_MIDNIGHT - dt.timedelta(hours=1), tick=False):
        assert client.get("/api/test/billing-errors", {"key": "first"}).status_code == 200
        response = client.get("/api/test/billing-errors", {"key": "second"})

    error = get_error(response, 429)
    assert error["code"] == "quota_exceeded"
    assert error["fields"] == {}
    assert "1 chat messages" in error["message"]
    assert f"00:00 UTC ({NEXT_MIDNIGHT:%Y-%m-%d})" in error["message"]
    assert response["Retry-After"] == "3600"


def test_insufficient_tokens_carries_the_numbers_the_message_shows():
    exc = InsufficientTokens(needed=12, available=5)

    assert (exc.needed, exc.available) == (12, 5)
    assert str(exc) == "This needs 12 tokens but only 5 are available."
