"""The upload page offers, for a file the balance cannot pay for, the pack the server offers for that
shortfall (the API's 402 names the same one), and its Buy link opens that pack's payment; also when
the two largest packs tie on tokens, where a page script that picked for itself chose the dearer."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from sage.synthetic_media import make_video
from tests.browser.signing_in import log_in
from tests.browser.test_buy_tokens import shop  # noqa: F401 -- the site with payments on
from tests.factories import TokenPackFactory, empty_wallet_user

pytestmark = pytest.mark.browser


def test_the_upload_rows_buy_link_the_402_and_the_billing_page_offer_the_same_pack(
    shop,  # noqa: F811
    page: Page,
    tmp_path: Path,
    settings,
) -> None:
    site, relay = shop
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_offer", "whsec_offer"  # as the site's
    relay.release()
    user = empty_wallet_user()
    TokenPackFactory(name="One", tokens=1, amount=100)
    TokenPackFactory(name="Pair dear", tokens=2, amount=300)
    cheap = TokenPackFactory(name="Pair cheap", tokens=2, amount=200)
    api = APIClient()
    api.force_authenticate(user)
    refused = api.post("/api/v1/uploads", {"filename": "a.mp4", "size": 10, "duration_seconds": 3}, format="json")
    assert refused.json()["error"]["buy_pack"]["name"] == "Pair cheap"
    log_in(page, site, user.email)

    page.goto(f"{site}/videos/upload/")
    page.get_by_label("Choose files").set_input_files(make_video(tmp_path / "holiday.mp4", seconds=3))

    row = page.locator(".upload-row")
    expect(row.locator(".upload-state")).to_have_text("Needs tokens")
    buy = row.get_by_role("link", name="Buy Pair cheap (2 tokens, $2)")
    expect(buy).to_have_attribute("href", f"/billing/?pack={cheap.pk}&short=3#buy-tokens")
    buy.click()
    chosen = page.locator(".pack-card.pack-chosen")
    expect(chosen).to_have_attribute("data-pack-id", str(cheap.pk))
    expect(chosen).to_contain_text("You are 3 tokens short: this is the largest pack; more than one is needed.")
