"""The connect page in a real browser: a signed-out person logs in, lands back on it, compares the
check code and approves; the extension's poll then gets the token, which the page never shows."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import pytest
import requests

from accounts.services import connect_check_code
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def test_log_in_compare_the_code_approve_and_the_extension_gets_its_token(site_url: str, page) -> None:
    user = UserFactory()
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    poll = f"{site_url}/api/v1/extension/connect"

    page.goto(f"{site_url}/settings/connect?{urlencode({'challenge': challenge, 'browser': 'Chromium on Linux'})}")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    heading = page.get_by_role("heading", level=1, name="Connect the SAGE extension in Chromium on Linux?")
    heading.wait_for()
    assert page.locator("[data-check-code]").text_content() == connect_check_code(challenge)
    assert requests.post(poll, json={"verifier": verifier}, timeout=10).status_code == 202
    page.get_by_role("button", name="Approve").click()
    page.get_by_role("heading", level=1, name="Connected").wait_for()

    answer = requests.post(poll, json={"verifier": verifier}, timeout=10)
    assert answer.status_code == 200
    token = answer.json()["token"]
    assert token not in page.content() and token not in page.url
    page.goto(f"{site_url}/settings/")
    assert page.get_by_role("row", name=answer.json()["name"]).is_visible()
    assert token not in page.content()
