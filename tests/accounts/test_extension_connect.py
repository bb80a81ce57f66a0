"""Connecting the browser extension: the page on the site (`/settings/connect`), the extension's poll
(`POST /api/v1/extension/connect`) and its disconnect (`DELETE /api/v1/tokens/current`)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, ExtensionConnect
from accounts.services import ConnectUsed, connect_check_code, extension_connect_redeem
from accounts.tasks import clear_expired_sessions
from accounts.throttling import PrincipalRateThrottle
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/settings/connect"
CONNECT = "/api/v1/extension/connect"
CURRENT = "/api/v1/tokens/current"
BROWSER = "Chromium on Linux"


class Extension:
    """What the extension does: a verifier it keeps, the challenge it puts in the page's address."""

    def __init__(self) -> None:
        self.verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        digest = hashlib.sha256(self.verifier.encode()).digest()
        self.challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        self.api = APIClient()

    def page_url(self, browser: str = BROWSER) -> str:
        return f"{PAGE}?challenge={self.challenge}&browser={browser.replace(' ', '+')}"

    def poll(self, verifier: str | None = None):
        return self.api.post(CONNECT, {"verifier": verifier or self.verifier}, format="json")


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def decide(client: Client, extension: Extension, decision: str):
    return client.post(PAGE, {"challenge": extension.challenge, "decision": decision})


def approved_token(user, extension: Extension) -> dict:
    client = browser_of(user)
    assert client.get(extension.page_url()).status_code == 200
    assert decide(client, extension, "approve").status_code == 302
    response = extension.poll()
    assert response.status_code == 200, response.content
    return response.json()


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]["code"]


# --- the page ------------------------------------------------------------------------------------


def test_the_page_asks_about_the_browser_shows_the_check_code_and_no_secret(user):
    extension = Extension()

    response = browser_of(user).get(extension.page_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Connect the SAGE extension in {BROWSER}?" in html
    code = connect_check_code(extension.challenge)
    assert len(code) == 9 and code[4] == "-" and code in html
    assert "billing" in html and "Approve" in html and "Cancel" in html
    assert extension.verifier not in html
    assert response["Referrer-Policy"] == "same-origin"
    # Approve is one click: no other site may frame the page and trick a person into it.
    assert response["X-Frame-Options"] == "DENY"


def test_the_check_code_is_the_protocols(user):
    # The extension computes it on its own: first 8 of base32(SHA-256("sage-connect:" + challenge)).
    challenge = "A" * 43
    expected = base64.b32encode(hashlib.sha256(b"sage-connect:" + challenge.encode()).digest()).decode()[:8]

    assert connect_check_code(challenge) == f"{expected[:4]}-{expected[4:]}"


def test_a_signed_out_visitor_logs_in_and_comes_back_to_the_page(user):
    extension = Extension()
    client = Client()

    to_login = client.get(extension.page_url())

    assert to_login.status_code == 302
    login_url = urlsplit(to_login["Location"])
    assert login_url.path == "/accounts/login/"
    back = parse_qs(login_url.query)["next"][0]
    logged_in = client.post(to_login["Location"], {"login": user.email, "password": DEFAULT_PASSWORD})
    assert logged_in.status_code == 302 and logged_in["Location"] == back
    page = client.get(back)
    assert page.status_code == 200
    assert f"Connect the SAGE extension in {BROWSER}?" in page.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "challenge=short&browser=Chromium",
        "challenge=" + "%21" * 43 + "&browser=Chromium",
        "challenge=" + "A" * 43,
        "challenge=" + "A" * 43 + "&browser=" + "x" * 61,
        "challenge=" + "A" * 43 + "&browser=%01bad",
    ],
)
def test_a_malformed_challenge_or_browser_name_gets_a_clear_error_page(user, query):
    response = browser_of(user).get(f"{PAGE}?{query}")

    assert response.status_code == 400
    assert "Cannot connect" in response.content.decode()
    assert not ExtensionConnect.objects.exists()


def test_approving_says_connected_and_the_page_never_holds_the_token(user):
    extension = Extension()
    client = browser_of(user)
    client.get(extension.page_url())

    decided = decide(client, extension, "approve")
    after = client.get(decided["Location"])
    token = extension.poll().json()["token"]
    again = client.get(decided["Location"])

    assert "Connected" in after.content.decode()
    assert "go back to the extension" in after.content.decode().lower()
    for response in (after, again, client.get("/settings/")):
        assert token not in response.content.decode()
    assert token not in decided["Location"]


def test_cancelling_says_not_connected_and_the_extension_gets_403(user):
    extension = Extension()
    client = browser_of(user)
    client.get(extension.page_url())

    decided = decide(client, extension, "cancel")

    assert "Not connected" in client.get(decided["Location"]).content.decode()
    assert error_code(extension.poll(), 403) == "connect_denied"
    assert not ApiToken.objects.filter(user=user).exists()


def test_a_request_is_decided_once(user):
    extension = Extension()
    client = browser_of(user)
    client.get(extension.page_url())
    decide(client, extension, "cancel")

    decide(client, extension, "approve")  # a second tab, or a forged POST

    assert ExtensionConnect.objects.get().outcome == "denied"
    assert error_code(extension.poll(), 403) == "connect_denied"


def test_another_account_cannot_see_decide_or_take_over_someones_request(user, other_user):
    extension = Extension()
    owner, intruder = browser_of(user), browser_of(other_user)
    owner.get(extension.page_url())

    shown = intruder.get(extension.page_url())
    posted = decide(intruder, extension, "approve")

    assert shown.status_code == 404 and posted.status_code == 404
    assert "Connect the SAGE extension" not in shown.content.decode()
    assert ExtensionConnect.objects.get().outcome == "pending"
    assert extension.poll().status_code == 202
    # The owner decides; the intruder still cannot re-decide it or make it give anything to them.
    decide(owner, extension, "approve")
    assert decide(intruder, extension, "cancel").status_code == 404
    body = extension.poll().json()
    assert body["user"]["email"] == user.email
    assert not ApiToken.objects.filter(user=other_user).exists()


def test_a_request_expires_from_when_the_page_first_showed_it(user, settings):
    settings.EXTENSION_CONNECT_SECONDS = 600
    extension = Extension()
    client = browser_of(user)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(extension.page_url())
        clock.shift(timedelta(seconds=599))
        assert extension.poll().status_code == 202
        clock.shift(timedelta(seconds=2))

        page = client.get(extension.page_url())
        posted = decide(client, extension, "approve")
        polled = extension.poll()

    assert page.status_code == 410 and "expired" in page.content.decode()
    assert posted.status_code == 404
    assert error_code(polled, 404) == "connect_unknown"


def test_approved_but_not_collected_in_time_gives_no_token(user, settings):
    extension = Extension()
    client = browser_of(user)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(extension.page_url())
        decide(client, extension, "approve")
        clock.shift(timedelta(seconds=settings.EXTENSION_CONNECT_SECONDS + 1))

        assert error_code(extension.poll(), 404) == "connect_unknown"
    assert not ApiToken.objects.exists()


# --- the extension's poll --------------------------------------------------------------------------


def test_polling_waits_then_gets_one_token_with_the_extensions_scopes_and_name(user):
    extension = Extension()
    client = browser_of(user)
    with time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), tick=False):
        client.get(extension.page_url())
        waiting = extension.poll()
        decide(client, extension, "approve")
        got = extension.poll()

    assert waiting.status_code == 202 and waiting.json() == {"status": "pending"}
    assert got.status_code == 200
    assert got["Cache-Control"] == "no-store"
    body = got.json()
    assert set(body) == {"token", "token_id", "name", "scopes", "user"}
    assert body["name"] == "Chromium on Linux extension, 25 Nov 2026"
    assert sorted(body["scopes"]) == ["chat", "notes:write", "read", "videos:write"]
    assert body["user"] == {"email": user.email, "display_name": user.display_name}
    token = ApiToken.objects.get(user=user)
    assert token.pk == body["token_id"] and token.name == body["name"]
    assert body["token"] not in token.secret_hash  # only the hash is kept
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.get("/api/v1/me").json()["email"] == user.email


def test_the_token_is_listed_and_revocable_like_any_other(user):
    extension = Extension()
    body = approved_token(user, extension)
    session = APIClient()
    session.force_login(user)

    listed = session.get("/api/v1/tokens").json()
    page = browser_of(user).get("/settings/").content.decode()

    assert [(t["id"], t["name"], t["state"]) for t in listed] == [(body["token_id"], body["name"], "active")]
    assert body["name"] in page
    assert session.delete(f"/api/v1/tokens/{body['token_id']}").json()["state"] == "revoked"


def test_a_second_redeem_gets_410_and_no_second_token(user):
    extension = Extension()
    approved_token(user, extension)

    assert error_code(extension.poll(), 410) == "connect_used"
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_wrong_verifier_is_unknown_even_while_someone_elses_request_waits(user):
    extension, stranger = Extension(), Extension()
    browser_of(user).get(extension.page_url())

    assert error_code(stranger.poll(), 404) == "connect_unknown"
    assert error_code(extension.poll(verifier=extension.challenge), 404) == "connect_unknown"
    assert error_code(extension.poll(verifier="x" * 42 + "="), 400) == "invalid"
    assert extension.poll().status_code == 202


def test_a_request_never_shown_is_unknown():
    assert error_code(Extension().poll(), 404) == "connect_unknown"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redeems_issue_one_token():
    user = UserFactory()
    extension = Extension()
    client = browser_of(user)
    client.get(extension.page_url())
    decide(client, extension, "approve")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem() -> None:
        try:
            start.wait()
            redeemed = extension_connect_redeem(verifier=extension.verifier)
            outcomes.append("token" if redeemed.token else "pending")
        except ConnectUsed:
            outcomes.append("used")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["token", "used"]
    assert ApiToken.objects.filter(user=user).count() == 1


def test_the_poll_is_limited_per_client_address(user, monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "600/min", "extension_connect": "3/min"})
    extension = Extension()
    browser_of(user).get(extension.page_url())

    statuses = [extension.poll().status_code for _ in range(4)]
    elsewhere = APIClient(REMOTE_ADDR="192.0.2.7").post(CONNECT, {"verifier": extension.verifier}, format="json")

    assert statuses == [202, 202, 202, 429]
    assert elsewhere.status_code == 202


def test_the_poll_needs_no_csrf_token_and_ignores_a_session(user):
    extension = Extension()
    browser_of(user).get(extension.page_url())
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)

    assert api.post(CONNECT, {"verifier": extension.verifier}, format="json").status_code == 202


# --- disconnecting ---------------------------------------------------------------------------------


def test_disconnecting_revokes_the_token_and_it_gets_401_after(user):
    body = approved_token(user, Extension())
    extension_api = APIClient()
    extension_api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")

    described = extension_api.get(CURRENT)
    revoked = extension_api.delete(CURRENT)

    assert described.status_code == 200 and described.json()["id"] == body["token_id"]
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert error_code(extension_api.get("/api/v1/me"), 401) == "token_revoked"
    assert error_code(extension_api.delete(CURRENT), 401) == "token_revoked"


def test_a_token_revokes_only_itself(user):
    first, second = approved_token(user, Extension()), approved_token(user, Extension())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first['token']}")

    api.delete(CURRENT)

    states = dict(ApiToken.objects.values_list("pk", "revoked_at"))
    assert states[first["token_id"]] is not None and states[second["token_id"]] is None


def test_the_browser_session_has_no_current_token(user):
    session = APIClient()
    session.force_login(user)

    assert session.delete(CURRENT).status_code == 401


# --- operators -------------------------------------------------------------------------------------


def test_an_operator_sees_who_connected_which_browser_but_cannot_change_it(user):
    extension = Extension()
    approved_token(user, extension)
    operator = browser_of(UserFactory(is_staff=True, is_superuser=True))
    connect = ExtensionConnect.objects.get()

    listed = operator.get("/admin/accounts/extensionconnect/")
    changed = operator.post(f"/admin/accounts/extensionconnect/{connect.pk}/change/", {"outcome": "denied"})

    assert listed.status_code == 200
    assert BROWSER in listed.content.decode() and user.email in listed.content.decode()
    assert changed.status_code == 403
    connect.refresh_from_db()
    assert connect.outcome == "approved"


def test_the_daily_clean_up_drops_requests_that_ended_without_a_token(user, settings):
    collected, cancelled, waiting = Extension(), Extension(), Extension()
    client = browser_of(user)
    with time_machine.travel(timezone.now() - timedelta(seconds=settings.EXTENSION_CONNECT_SECONDS + 1)):
        approved_token(user, collected)
        client.get(cancelled.page_url())
        decide(client, cancelled, "cancel")
    client.get(waiting.page_url())

    clear_expired_sessions()

    assert set(ExtensionConnect.objects.values_list("challenge", flat=True)) == {
        collected.challenge,
        waiting.challenge,
    }
