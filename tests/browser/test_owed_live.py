"""The billing page's tokens-owed warning and the header balance follow the live `balance` message's
`owed`, without a reload: credits paying off part of what is owed change the figure, paying off the
rest takes the warning away."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from billing.ledger import ledger_grant
from billing.models import Wallet
from tests.browser.signing_in import log_in
from tests.browser.threads import in_worker_thread
from tests.factories import empty_wallet_user

pytestmark = pytest.mark.browser


def test_the_owed_warning_and_the_header_follow_tokens_owed_live(site_url: str, page) -> None:
    user = empty_wallet_user()
    Wallet.objects.filter(user=user).update(tokens_owed=500)  # as a refund of spent tokens leaves it
    log_in(page, site_url, user.email)

    page.goto(f"{site_url}/billing/")
    warning = page.locator("[data-tokens-owed]")
    header = page.locator("#header-balance")
    expect(warning).to_contain_text("500 tokens owed from a refund/dispute")
    expect(header).to_have_class("balance balance-owed")
    expect(header).to_have_attribute("title", "500 tokens owed from a refund or dispute")
    page.evaluate("window.__notReloaded = true")  # gone if the page reloads

    in_worker_thread(lambda: ledger_grant(user=user, amount=200, key="owed-live-1", memo="operator grant"))

    expect(warning).to_contain_text("300 tokens owed from a refund/dispute; new paid work is paused")
    expect(header).to_have_attribute("title", "300 tokens owed from a refund or dispute")
    expect(header.locator(".balance-value")).to_have_text("0")

    in_worker_thread(lambda: ledger_grant(user=user, amount=1000, key="owed-live-2", memo="operator grant"))

    expect(header.locator(".balance-value")).to_have_text("700")
    expect(warning).to_have_count(0)
    expect(header).to_have_class("balance")
    expect(header).not_to_have_attribute("title", "300 tokens owed from a refund or dispute")
    assert page.evaluate("window.__notReloaded") is True
    assert (Wallet.objects.get(user=user).balance, Wallet.objects.get(user=user).tokens_owed) == (700, 0)
