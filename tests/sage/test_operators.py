"""What operators and browsers get from the site itself: the admin titled SAGE with one Accounts
section, a favicon at /favicon.ico, and "contact us" as a link to the operators' address."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_is_titled_sage_with_one_accounts_section(operator) -> None:
    response = operator.get("/admin/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Accounts, billing, videos, notes and chat | SAGE admin</title>" in html
    assert "SAGE administration" in html
    sections = [app["name"] for app in response.context["app_list"]]
    assert sections.count("Accounts") == 1, sections
    accounts = next(app for app in response.context["app_list"] if app["name"] == "Accounts")
    assert {model["object_name"] for model in accounts["models"]} == {"User", "ApiToken", "ExtensionConnect"}


def test_a_persons_e_mail_addresses_are_on_their_page_in_the_admin(operator) -> None:
    person = UserFactory(email="ada@example.org", email_verified=True)

    page = operator.get(f"/admin/accounts/user/{person.pk}/change/")

    assert page.status_code == 200
    assert "e-mail addresses (sign-in and verification)" in page.content.decode().lower()
    assert page.context["inline_admin_formsets"][0].formset.queryset.get().verified
    assert operator.get("/admin/account/emailaddress/").status_code == 404  # no second section


def test_favicon_ico_is_the_brand_mark_and_pages_link_the_svg(client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO directory
    assert int.from_bytes(response.content[4:6], "little") == 3  # 16, 32 and 48 px
    assert "max-age=86400" in response["Cache-Control"]
    page = client.get("/").content.decode()
    assert 'href="/favicon.ico"' in page and "img/favicon.svg" in page


def test_contact_us_on_the_billing_page_writes_to_the_operators(client, user, settings) -> None:
    settings.SUPPORT_EMAIL = "help@sage.example"
    client.force_login(user)

    page = client.get("/billing/").content.decode()

    assert 'href="mailto:help@sage.example?subject=Change%20my%20SAGE%20plan" data-contact>contact us</a>' in page
