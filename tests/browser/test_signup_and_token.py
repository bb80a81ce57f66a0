"""A new person signs up in the browser, creates an API token, and the API accepts it; a person
with an account logs in with the form (other browser tests are handed a session: tests.browser.signing_in)."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a-long-and-unusual-passphrase-71"


def test_signup_then_token_from_settings_page_authenticates_the_api(site_url: str, page) -> None:
    email = "new.person@example.com"

    page.goto(f"{site_url}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(f"{site_url}/")
    assert page.get_by_role("heading", level=1, name="Welcome, new.person").is_visible()

    page.goto(f"{site_url}/settings/")
    tokens_section = page.locator("#api-tokens")
    tokens_section.get_by_label("Name", exact=True).fill("Test script")
    tokens_section.get_by_label("Read", exact=True).check()
    tokens_section.get_by_role("button", name="Create token").click()

    secret_element = page.locator("#new-token-secret")
    secret = (secret_element.text_content() or "").strip()
    assert secret and secret == secret_element.text_content()

    response = requests.get(f"{site_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["email"] == email

    page.reload()
    assert page.locator("#new-token-secret").count() == 0
    assert secret not in page.content()
    assert page.get_by_role("row", name="Test script").is_visible()


def test_the_login_form_signs_in_and_opens_the_library(site_url: str, page: Page) -> None:
    person = UserFactory(display_name="Ada")

    page.goto(f"{site_url}/videos/")  # a page for people signed in: the login form, then back here
    page.wait_for_url(f"{site_url}/accounts/login/?next=/videos/")
    page.locator("input[name=login]").fill(person.email)
    page.locator("input[name=password]").fill("not-" + DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()

    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    page.wait_for_url(f"{site_url}/videos/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
