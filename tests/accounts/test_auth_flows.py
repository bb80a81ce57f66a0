"""Sign-up, log-in, log-out, password reset, e-mail verification and the login rate limit, through
allauth's real views (form field names, URLs, redirects, mail.outbox, the database)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.core.internal.ratelimit import parse_rates
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-77"


def logged_in_user_id(client: Client) -> int | None:
    """Whom the client's session belongs to (None when anonymous), as the next request would see it."""
    raw = client.session.get("_auth_user_id")
    return int(raw) if raw is not None else None


def log_in(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def link_in(message: mail.EmailMessage, path_prefix: str) -> str:
    """The path of the first link in `message` whose path starts with `path_prefix`."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}[^\s]*)", str(message.body))
    assert match, f"no {path_prefix} link in:\n{message.body}"
    return match.group(1)


# --- sign up -------------------------------------------------------------------------------------


def test_signup_creates_the_user_logs_them_in_and_redirects_home(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new.person@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_user_id(client) == user.pk
    assert client.get("/settings/").status_code == 200


def test_signup_with_an_email_already_registered_is_refused(client):
    existing = UserFactory(email="taken@example.com")

    response = client.post(
        "/accounts/signup/",
        {"email": "taken@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert b"already registered with this email" in response.content
    assert list(User.objects.filter(email__iexact="taken@example.com")) == [existing]
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [("12345678", "entirely numeric"), ("short1", "too short"), ("password123", "too common")],
)
def test_signup_with_a_weak_password_is_refused(client, password, reason):
    response = client.post(
        "/accounts/signup/", {"email": "weak@example.com", "password1": password, "password2": password}
    )

    assert response.status_code == 200
    assert reason in " ".join(response.context["form"].errors["password1"])
    assert not User.objects.filter(email="weak@example.com").exists()
    assert logged_in_user_id(client) is None


def test_signup_with_mismatched_passwords_is_refused(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "typo@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not User.objects.filter(email="typo@example.com").exists()


# --- log in / log out ------------------------------------------------------------------------------


def test_login_with_the_right_password_logs_in_and_redirects_home(client, user):
    response = log_in(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == user.pk


def test_login_honours_a_safe_next_url_and_ignores_an_offsite_one(client, user):
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD, "next": "/settings/"}
    )
    assert response["Location"] == "/settings/"

    client.post("/accounts/logout/")
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_login_with_a_wrong_password_shows_an_error_and_does_not_log_in(client, user):
    response = log_in(client, user.email, "not-the-password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert b"not correct" in response.content
    assert logged_in_user_id(client) is None


def test_login_for_an_unknown_email_looks_like_a_wrong_password(client, user):
    unknown = log_in(client, "nobody@example.com", DEFAULT_PASSWORD)
    wrong = log_in(client, user.email, "not-the-password")

    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()


def test_login_of_a_deactivated_account_is_refused(client):
    user = UserFactory(is_active=False)

    log_in(client, user.email, DEFAULT_PASSWORD)

    assert logged_in_user_id(client) is None


def test_logout_by_post_ends_the_session(client, user):
    client.force_login(user)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) is None
    assert client.get("/settings/").status_code == 302


def test_logout_by_get_only_asks_for_confirmation(client, user):
    # A GET (a link, an <img> on another site) must not log anyone out.
    client.force_login(user)

    response = client.get("/accounts/logout/")

    assert response.status_code == 200
    assert logged_in_user_id(client) == user.pk


# --- password reset --------------------------------------------------------------------------------


def test_password_reset_link_sets_a_new_password(client, user):
    response = client.post("/accounts/password/reset/", {"email": user.email})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    reset_path = link_in(mail.outbox[0], "/accounts/password/reset/key/")

    # allauth moves the key from the URL into the session, then shows the form.
    response = client.get(reset_path)
    assert response.status_code == 302
    form_path = response["Location"]
    response = client.get(form_path)
    assert response.status_code == 200
    response = client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/key/done/"

    fresh = Client()
    log_in(fresh, user.email, DEFAULT_PASSWORD)
    assert logged_in_user_id(fresh) is None
    log_in(fresh, user.email, NEW_PASSWORD)
    assert logged_in_user_id(fresh) == user.pk


def test_password_reset_link_works_only_once(client, user):
    client.post("/accounts/password/reset/", {"email": user.email})
    reset_path = link_in(mail.outbox[0], "/accounts/password/reset/key/")
    form_path = client.get(reset_path)["Location"]
    client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    other = Client()
    response = other.get(reset_path, follow=True)

    assert response.context["token_fail"] is True
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_email_sends_nothing_and_looks_the_same(client, user):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    # Same answer as for a real account, so the form cannot be used to find out who has one,
    # and no mail at all, so it cannot be used to send mail to strangers either.
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert mail.outbox == []


# --- mandatory e-mail verification ---------------------------------------------------------------------


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_with_mandatory_verification_a_new_account_logs_in_only_after_following_the_link(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "verify.me@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert logged_in_user_id(client) is None
    user = User.objects.get(email="verify.me@example.com")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["verify.me@example.com"]
    confirm_path = link_in(mail.outbox[0], "/accounts/confirm-email/")

    # Another browser (the person switched device) cannot log in with the right password yet.
    elsewhere = Client()
    response = log_in(elsewhere, "verify.me@example.com", NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert logged_in_user_id(elsewhere) is None

    # Following the link shows a confirmation page; confirming is a POST.
    link_visitor = Client()
    assert link_visitor.get(confirm_path).status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    response = link_visitor.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user, email="verify.me@example.com").verified

    log_in(elsewhere, "verify.me@example.com", NEW_PASSWORD)
    assert logged_in_user_id(elsewhere) == user.pk


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_with_mandatory_verification_a_forged_key_verifies_nothing(client):
    client.post(
        "/accounts/signup/",
        {"email": "verify.me@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    client.post("/accounts/confirm-email/not-a-real-key/")

    assert not EmailAddress.objects.get(email="verify.me@example.com").verified
    log_in(client, "verify.me@example.com", NEW_PASSWORD)
    assert logged_in_user_id(client) is None


# --- login rate limit ------------------------------------------------------------------------------------


def _per_account_login_failure_limit() -> tuple[int, float]:
    """(attempts, window in seconds) of the per-account part of the configured login_failed limit."""
    rates = [rate for rate in parse_rates(settings.ACCOUNT_RATE_LIMITS["login_failed"]) if rate.per == "key"]
    assert rates, "login_failed must limit per account (…/key), not only per IP"
    return rates[0].amount, rates[0].duration


def test_repeated_failed_logins_lock_the_account_even_for_the_right_password_until_the_window_passes(client):
    user = UserFactory()
    allowed_failures, window = _per_account_login_failure_limit()
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        for _ in range(allowed_failures):
            response = log_in(client, user.email, "guess")
            assert b"not correct" in response.content
        blocked = log_in(client, user.email, DEFAULT_PASSWORD)
        assert blocked.status_code == 200
        assert b"Too many failed login attempts" in blocked.content
        assert logged_in_user_id(client) is None

        # The limit follows the account, not the spelling of its address or the browser.
        other_browser = Client()
        log_in(other_browser, user.email.upper(), DEFAULT_PASSWORD)
        assert logged_in_user_id(other_browser) is None

    with time_machine.travel(start + timedelta(seconds=window - 5), tick=False):
        log_in(client, user.email, DEFAULT_PASSWORD)
        assert logged_in_user_id(client) is None

    with time_machine.travel(start + timedelta(seconds=window + 1), tick=False):
        log_in(client, user.email, DEFAULT_PASSWORD)
        assert logged_in_user_id(client) == user.pk


def test_a_locked_account_does_not_lock_other_accounts(client):
    victim, bystander = UserFactory(), UserFactory()
    allowed_failures, _ = _per_account_login_failure_limit()
    for _ in range(allowed_failures + 1):
        log_in(client, victim.email, "guess")

    log_in(client, bystander.email, DEFAULT_PASSWORD)

    assert logged_in_user_id(client) == bystander.pk


def test_a_successful_login_does_not_count_against_the_limit(client, user):
    allowed_failures, _ = _per_account_login_failure_limit()
    for _ in range(allowed_failures - 1):
        log_in(client, user.email, "guess")
    for _ in range(3):
        log_in(client, user.email, DEFAULT_PASSWORD)
        assert logged_in_user_id(client) == user.pk
        client.post("/accounts/logout/")

    log_in(client, user.email, "guess")  # the last allowed failure
    log_in(client, user.email, DEFAULT_PASSWORD)
    assert logged_in_user_id(client) is None
