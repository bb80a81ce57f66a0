"""The custom user: e-mail is the login, normalised and unique whatever its case; superusers; names."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError
from django.test import Client

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

PASSWORD = "a-brand-new-passphrase-77"


def sign_up(client: Client, email: str):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def logged_in_user_id(client: Client) -> int | None:
    raw = client.session.get("_auth_user_id")
    return int(raw) if raw is not None else None


def test_create_user_requires_an_email():
    with pytest.raises(ValueError, match="e-mail"):
        User.objects.create_user("", "whatever")


def test_create_user_hashes_the_password_and_lowercases_the_address():
    user = User.objects.create_user(" Ada@Example.COM ", PASSWORD)

    assert user.email == "ada@example.com"
    assert user.password != PASSWORD
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert not user.is_superuser


def test_create_superuser_can_use_the_admin():
    admin = User.objects.create_superuser("boss@example.com", PASSWORD)
    assert admin.is_staff
    assert admin.is_superuser

    client = Client()
    client.post("/accounts/login/", {"login": "boss@example.com", "password": PASSWORD})
    assert client.get("/admin/").status_code == 200


def test_an_ordinary_user_cannot_use_the_admin(client, user):
    client.force_login(user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_name_is_the_display_name_or_else_the_local_part_of_the_email():
    named = User.objects.create_user("ada@example.com", PASSWORD, display_name="Ada Lovelace")
    unnamed = User.objects.create_user("grace.hopper@example.com", PASSWORD)

    assert named.name == "Ada Lovelace"
    assert unnamed.name == "grace.hopper"
    assert str(unnamed) == "grace.hopper@example.com"


def test_signup_stores_the_email_in_lower_case(client):
    sign_up(client, "Ada.Lovelace@Example.COM")

    user = User.objects.get()
    assert user.email == "ada.lovelace@example.com"
    assert logged_in_user_id(client) == user.pk


def test_signup_refuses_an_email_already_registered_in_another_case(client):
    sign_up(Client(), "ada@example.com")

    response = sign_up(client, "ADA@Example.com")

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.count() == 1


def test_signup_refuses_an_email_an_operator_created_with_capitals(client):
    User.objects.create_user("Ada@Example.com", PASSWORD)

    response = sign_up(client, "ada@example.com")

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1


def test_login_ignores_the_case_of_the_email(client):
    sign_up(Client(), "ada@example.com")

    client.post("/accounts/login/", {"login": "ADA@EXAMPLE.COM", "password": PASSWORD})

    assert logged_in_user_id(client) == User.objects.get().pk


def test_login_works_in_any_case_for_an_account_created_with_capitals(client):
    user = User.objects.create_user("Ada@Example.com", DEFAULT_PASSWORD)

    client.post("/accounts/login/", {"login": "ada@example.com", "password": DEFAULT_PASSWORD})

    assert logged_in_user_id(client) == user.pk


def test_password_reset_reaches_an_account_created_with_capitals(client):
    User.objects.create_user("Ada@Example.com", DEFAULT_PASSWORD)

    client.post("/accounts/password/reset/", {"email": "ada@example.com"})

    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


def test_the_database_refuses_two_accounts_whose_addresses_differ_only_in_case():
    User.objects.create_user("ada@example.com", PASSWORD)

    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="ADA@example.com")])  # bulk_create skips save()
