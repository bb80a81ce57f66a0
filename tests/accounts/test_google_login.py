"""Google sign-in through allauth's Google provider, end to end against a local stub of Google.

The stub plays Google's part of the OAuth 2.0 authorization-code flow with PKCE: its authorization
endpoint "signs the person in" as a test identity and redirects back with a code; its token endpoint
checks the code, the client credentials, the redirect URI and the PKCE verifier as Google does, and
answers with an access token and an id_token (a JWT, iss https://accounts.google.com, aud = our client
id); its userinfo endpoint answers for that access token. allauth's Google adapter is pointed at the
stub by its class attributes; nothing reaches the network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import runpy
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.servers import RecordedRequest, StubServer, stub_server

pytestmark = pytest.mark.django_db

CLIENT_ID = "sage-test-client.apps.googleusercontent.com"
CLIENT_SECRET = "sage-test-client-secret"  # a test value known only to the stub
CALLBACK_URL = "http://testserver/accounts/google/login/callback/"
AUTHORIZE_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"
USERINFO_PATH = "/oauth2/v2/userinfo"
ISSUER = "https://accounts.google.com"


@dataclass
class GoogleIdentity:
    """The Google account the person picks on Google's sign-in page."""

    sub: str = "108000000000000000001"
    email: str = "ada.lovelace@gmail.com"
    email_verified: bool = True
    name: str = "Ada Lovelace"
    given_name: str | None = "Ada"
    family_name: str | None = "Lovelace"

    def profile_claims(self) -> dict[str, str]:
        claims = {"name": self.name, "given_name": self.given_name, "family_name": self.family_name}
        return {key: value for key, value in claims.items() if value is not None}


@dataclass
class FakeGoogle:
    """Google's side of the flow: issues codes, checks them like Google does, records what it saw."""

    identity: GoogleIdentity = field(default_factory=GoogleIdentity)
    # code -> what the authorization request asked for
    grants: dict[str, dict[str, str]] = field(default_factory=dict)
    access_tokens: dict[str, GoogleIdentity] = field(default_factory=dict)
    stub: StubServer | None = None

    @property
    def url(self) -> str:
        assert self.stub is not None
        return self.stub.url

    def requests_to(self, path: str) -> list[RecordedRequest]:
        assert self.stub is not None
        return [request for request in self.stub.requests if urlsplit(request.path).path == path]

    def authorize(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        query = {key: values[0] for key, values in parse_qs(urlsplit(request.path).query).items()}
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {"Content-Type": "text/plain"}, b"invalid_request"
        code = "4/" + secrets.token_urlsafe(16)
        self.grants[code] = query
        back = {"code": code, "scope": "email profile openid"}
        if "state" in query:
            back["state"] = query["state"]
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(back)}"}, b""

    def token(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        grant = self.grants.pop(form.get("code", ""), None)  # a code is good for one exchange
        checks = [
            grant is not None,
            form.get("grant_type") == "authorization_code",
            form.get("client_id") == CLIENT_ID,
            form.get("client_secret") == CLIENT_SECRET,
            grant is not None and form.get("redirect_uri") == grant["redirect_uri"],
            grant is not None and _pkce_s256(form.get("code_verifier", "")) == grant.get("code_challenge"),
        ]
        if not all(checks):
            return _json(400, {"error": "invalid_grant"})
        access_token = "ya29." + secrets.token_urlsafe(24)
        self.access_tokens[access_token] = self.identity
        return _json(
            200,
            {
                "access_token": access_token,
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": "openid https://www.googleapis.com/auth/userinfo.email",
                "id_token": self.id_token(),
            },
        )

    def userinfo(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        identity = self.access_tokens.get(bearer)
        if identity is None:
            return _json(401, {"error": "invalid_token"})
        return _json(
            200,
            {
                "id": identity.sub,
                "email": identity.email,
                "verified_email": identity.email_verified,
                **identity.profile_claims(),
                "picture": f"https://lh3.googleusercontent.com/a/{identity.sub}",
            },
        )

    def id_token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "sub": self.identity.sub,
            "email": self.identity.email,
            "email_verified": self.identity.email_verified,
            **self.identity.profile_claims(),
            "iat": now,
            "exp": now + 3600,
            **overrides,
        }
        # allauth skips the signature check for an id_token it fetched itself from the token
        # endpoint (OpenID Connect Core 3.1.3.7), but checks issuer, audience and expiry.
        return jwt.encode(claims, "stub-signing-key-of-at-least-32-bytes!", algorithm="HS256")


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def _pkce_s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _google_configured_providers() -> dict[str, dict[str, object]]:
    google = dict(django_settings.SOCIALACCOUNT_PROVIDERS["google"])
    google["APPS"] = [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET, "key": ""}]
    return {"google": google}


@pytest.fixture
def google(monkeypatch, settings) -> Iterator[FakeGoogle]:
    """Google configured with a test client, its endpoints served by a local stub."""
    fake = FakeGoogle()
    routes = {
        ("GET", AUTHORIZE_PATH): fake.authorize,
        ("POST", TOKEN_PATH): fake.token,
        ("GET", USERINFO_PATH): fake.userinfo,
    }
    with stub_server(routes) as stub:
        fake.stub = stub
        settings.GOOGLE_CLIENT_ID = CLIENT_ID
        settings.GOOGLE_CLIENT_SECRET = CLIENT_SECRET
        settings.SOCIALACCOUNT_PROVIDERS = _google_configured_providers()
        # The provider module reads its endpoint URLs into class attributes at import time.
        monkeypatch.setattr(GoogleOAuth2Adapter, "authorize_url", stub.url + AUTHORIZE_PATH)
        monkeypatch.setattr(GoogleOAuth2Adapter, "access_token_url", stub.url + TOKEN_PATH)
        monkeypatch.setattr(GoogleOAuth2Adapter, "identity_url", stub.url + USERINFO_PATH)
        # The id_token carries no picture, so allauth also asks the userinfo endpoint for one.
        monkeypatch.setattr(GoogleOAuth2Adapter, "fetch_userinfo", True)
        yield fake


@dataclass
class GoogleRound:
    authorize_query: dict[str, str]
    callback: Any  # the response to the callback request


def sign_in_with_google(client: Client, google: FakeGoogle) -> GoogleRound:
    """Click "Sign in with Google", pass Google's page, come back to the callback."""
    start = client.post("/accounts/google/login/")
    assert start.status_code == 302
    location = start["Location"]
    assert location.startswith(google.url + AUTHORIZE_PATH + "?")
    authorize_query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}

    # The browser follows the redirect to Google, which sends it back to our callback.
    with requests.Session() as browser:
        browser.trust_env = False
        at_google = browser.get(location, allow_redirects=False, timeout=10)
    assert at_google.status_code == 302, at_google.text
    back = urlsplit(at_google.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK_URL
    callback = client.get(f"{back.path}?{back.query}")
    return GoogleRound(authorize_query=authorize_query, callback=callback)


def logged_in_user_id(client: Client) -> int | None:
    raw = client.session.get("_auth_user_id")
    return int(raw) if raw is not None else None


# --- the round trip -------------------------------------------------------------------------------


def test_login_sends_the_browser_to_google_with_state_and_a_pkce_challenge(client, google):
    start = client.post("/accounts/google/login/")

    query = {key: values[0] for key, values in parse_qs(urlsplit(start["Location"]).query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK_URL
    assert query["response_type"] == "code"
    assert set(query["scope"].split()) == {"profile", "email"}
    assert query["state"]
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert google.requests_to(TOKEN_PATH) == []


def test_code_is_exchanged_with_the_client_secret_and_the_pkce_verifier(client, google):
    round_trip = sign_in_with_google(client, google)

    [token_request] = google.requests_to(TOKEN_PATH)
    form = {key: values[0] for key, values in parse_qs(token_request.body.decode()).items()}
    assert form["grant_type"] == "authorization_code"
    assert form["code"].startswith("4/")
    assert form["client_id"] == CLIENT_ID
    assert form["client_secret"] == CLIENT_SECRET
    assert form["redirect_uri"] == CALLBACK_URL
    assert _pkce_s256(form["code_verifier"]) == round_trip.authorize_query["code_challenge"]
    [userinfo_request] = google.requests_to(USERINFO_PATH)
    assert userinfo_request.headers["Authorization"] == f"Bearer {next(iter(google.access_tokens))}"


def test_a_new_google_user_gets_an_account_and_is_logged_in(client, google):
    round_trip = sign_in_with_google(client, google)

    assert round_trip.callback.status_code == 302
    assert round_trip.callback["Location"] == "/"
    user = User.objects.get(email="ada.lovelace@gmail.com")
    assert user.display_name == "Ada Lovelace"
    assert not user.has_usable_password()
    assert logged_in_user_id(client) == user.pk
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("google", google.identity.sub)
    assert account.extra_data["picture"].endswith(google.identity.sub)  # from the userinfo endpoint
    assert EmailAddress.objects.get(user=user).verified  # Google vouched for it
    assert client.get("/settings/").status_code == 200


@pytest.mark.parametrize(
    ("name", "given_name", "family_name"),
    [("山田 太郎", "太郎", "山田"), ("Plato", "Plato", None)],
    ids=["family-name-first", "single-name"],
)
def test_a_new_google_user_gets_their_name_as_google_writes_it(client, google, name, given_name, family_name):
    google.identity.name, google.identity.given_name, google.identity.family_name = name, given_name, family_name

    sign_in_with_google(client, google)

    assert User.objects.get().display_name == name


def test_a_google_name_loses_the_characters_that_change_the_direction_of_text(client, google):
    # A display name refuses them when typed here (tests/api/test_names_refuse_direction_controls.py).
    google.identity.name = "\u202eAna\u2066 Lima\u2069"

    sign_in_with_google(client, google)

    assert User.objects.get().display_name == "Ana Lima"


def test_a_returning_google_user_is_logged_into_the_same_account(client, google):
    sign_in_with_google(client, google)
    user = User.objects.get()
    client.post("/accounts/logout/")
    assert logged_in_user_id(client) is None

    # Same Google account (same `sub`), even after its address changed at Google.
    google.identity.email = "ada@analytical-engine.example"
    round_trip = sign_in_with_google(client, google)

    assert round_trip.callback.status_code == 302
    assert logged_in_user_id(client) == user.pk
    assert User.objects.count() == 1
    assert SocialAccount.objects.count() == 1


def test_a_verified_google_email_connects_and_logs_into_the_existing_account(client, google):
    existing = UserFactory(email="ada.lovelace@gmail.com", display_name="Ada (password)", email_verified=True)

    round_trip = sign_in_with_google(client, google)

    assert round_trip.callback.status_code == 302
    assert round_trip.callback["Location"] == "/"
    assert logged_in_user_id(client) == existing.pk
    assert User.objects.count() == 1
    assert SocialAccount.objects.get(user=existing).uid == google.identity.sub
    existing.refresh_from_db()
    assert existing.display_name == "Ada (password)"  # the person's own choice is kept
    assert existing.check_password(DEFAULT_PASSWORD)  # the password still works too


def test_a_verified_google_email_takes_over_an_unverified_password_account_and_locks_out_its_password(client, google):
    # Someone may have signed up with Ada's address without owning it (optional verification), to
    # wait for her. allauth lets Ada in through Google and wipes the password nobody proved to own.
    squatter_account = UserFactory(email="ada.lovelace@gmail.com", email_verified=False)

    sign_in_with_google(client, google)

    assert logged_in_user_id(client) == squatter_account.pk
    assert SocialAccount.objects.filter(user=squatter_account).count() == 1
    squatter_account.refresh_from_db()
    assert not squatter_account.has_usable_password()
    squatter = Client()
    squatter.post("/accounts/login/", {"login": squatter_account.email, "password": DEFAULT_PASSWORD})
    assert logged_in_user_id(squatter) is None


def test_an_unverified_google_email_neither_connects_nor_logs_into_the_existing_account(client, google):
    existing = UserFactory(email="ada.lovelace@gmail.com", email_verified=True)
    google.identity.email_verified = False

    round_trip = sign_in_with_google(client, google)

    # allauth falls back to its social sign-up form, asking for an address it can accept.
    assert round_trip.callback.status_code == 302
    assert round_trip.callback["Location"] == "/accounts/3rdparty/signup/"
    assert logged_in_user_id(client) is None
    assert SocialAccount.objects.filter(user=existing).count() == 0
    signup_page = client.get("/accounts/3rdparty/signup/")
    assert signup_page.status_code == 200
    assert signup_page.context["form"].initial["email"] == "ada.lovelace@gmail.com"

    # Insisting on the taken address is refused ...
    refused = client.post("/accounts/3rdparty/signup/", {"email": "ada.lovelace@gmail.com"})
    assert refused.status_code == 200
    assert "email" in refused.context["form"].errors
    assert logged_in_user_id(client) is None
    assert SocialAccount.objects.count() == 0
    assert User.objects.count() == 1

    # ... another address makes a separate account, still not the existing one.
    accepted = client.post("/accounts/3rdparty/signup/", {"email": "ada.elsewhere@example.com"})
    assert accepted.status_code == 302
    newcomer = User.objects.get(email="ada.elsewhere@example.com")
    assert logged_in_user_id(client) == newcomer.pk
    assert newcomer.pk != existing.pk
    assert SocialAccount.objects.get().user == newcomer
    assert SocialAccount.objects.filter(user=existing).count() == 0


@pytest.mark.parametrize("mode", ["optional", "mandatory"])
def test_a_google_verified_email_needs_no_further_verification(client, google, settings, mode):
    settings.ACCOUNT_EMAIL_VERIFICATION = mode

    round_trip = sign_in_with_google(client, google)

    assert round_trip.callback["Location"] == "/"
    assert logged_in_user_id(client) == User.objects.get().pk
    assert mail.outbox == []


def test_with_mandatory_verification_an_email_google_did_not_verify_must_be_verified_first(client, google, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    google.identity.email_verified = False

    round_trip = sign_in_with_google(client, google)

    assert round_trip.callback.status_code == 302
    assert round_trip.callback["Location"] == "/accounts/confirm-email/"
    assert logged_in_user_id(client) is None
    user = User.objects.get(email="ada.lovelace@gmail.com")
    assert not EmailAddress.objects.get(user=user).verified
    [message] = mail.outbox
    assert message.to == ["ada.lovelace@gmail.com"]
    assert "/accounts/confirm-email/" in message.body


# --- refusals ---------------------------------------------------------------------------------------


def test_a_get_on_the_login_url_does_not_start_the_flow(client, google):
    # Starting a login must be a POST (with CSRF), or any page could log a visitor in as someone else.
    response = client.get("/accounts/google/login/")

    assert response.status_code == 200
    assert google.stub is not None and google.stub.requests == []


def test_a_callback_for_another_browsers_state_is_refused(client, google):
    # An attacker starts a login, stops before our callback, and tricks a victim into finishing it.
    attacker = Client()
    start = attacker.post("/accounts/google/login/")
    with requests.Session() as browser:
        browser.trust_env = False
        at_google = browser.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_google.headers["Location"])

    response = client.get(f"{back.path}?{back.query}")

    assert response.status_code == 401
    assert "socialaccount/authentication_error.html" in [template.name for template in response.templates]
    assert logged_in_user_id(client) is None
    assert google.requests_to(TOKEN_PATH) == []
    assert User.objects.count() == 0


def test_cancelling_at_google_creates_nothing(client, google):
    start = client.post("/accounts/google/login/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]

    response = client.get("/accounts/google/login/callback/", {"error": "access_denied", "state": state})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/3rdparty/login/cancelled/"
    assert google.requests_to(TOKEN_PATH) == []
    assert logged_in_user_id(client) is None
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "bad_claims",
    [{"aud": "someone-elses-client.apps.googleusercontent.com"}, {"iss": "https://evil.example"}, {"exp": 1}],
    ids=["other-audience", "other-issuer", "expired"],
)
def test_an_id_token_not_meant_for_us_is_refused(client, google, monkeypatch, bad_claims):
    honest_id_token = google.id_token
    monkeypatch.setattr(google, "id_token", lambda: honest_id_token(**bad_claims))

    round_trip = sign_in_with_google(client, google)

    assert round_trip.callback.status_code == 401
    templates = [template.name for template in round_trip.callback.templates]
    assert "socialaccount/authentication_error.html" in templates
    assert logged_in_user_id(client) is None
    assert User.objects.count() == 0


# --- the button -------------------------------------------------------------------------------------


def _settings_namespace(monkeypatch, **env: str) -> dict[str, Any]:
    """sage/settings.py evaluated afresh under `env` (as a new process would see it)."""
    for name in ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://x@localhost/x")
    monkeypatch.setenv("REDIS_URL", "redis://localhost:1/0")
    monkeypatch.setenv("DEBUG", "true")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(django_settings.BASE_DIR) / "sage" / "settings.py"))


@pytest.mark.parametrize("configured", [False, True], ids=["unset", "set"])
def test_google_button_is_shown_only_when_google_is_configured(client, monkeypatch, settings, configured):
    env = {"GOOGLE_CLIENT_ID": CLIENT_ID, "GOOGLE_CLIENT_SECRET": CLIENT_SECRET} if configured else {}
    fresh = _settings_namespace(monkeypatch, **env)
    settings.GOOGLE_CLIENT_ID = fresh["GOOGLE_CLIENT_ID"]
    settings.GOOGLE_CLIENT_SECRET = fresh["GOOGLE_CLIENT_SECRET"]
    settings.SOCIALACCOUNT_PROVIDERS = fresh["SOCIALACCOUNT_PROVIDERS"]

    login_page = client.get("/accounts/login/")
    signup_page = client.get("/accounts/signup/")

    assert login_page.status_code == signup_page.status_code == 200
    assert (b"/accounts/google/login/" in login_page.content) is configured
    assert (b"/accounts/google/login/" in signup_page.content) is configured


def test_google_client_id_without_its_secret_is_a_configuration_error(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="GOOGLE_CLIENT_SECRET"):
        _settings_namespace(monkeypatch, GOOGLE_CLIENT_ID=CLIENT_ID)
