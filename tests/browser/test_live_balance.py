"""The header balance changes without a reload when an operator grants tokens in admin."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from billing.holds import hold_create
from tests.browser.signing_in import log_in
from tests.browser.threads import in_worker_thread
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.browser

FREE_GRANT = 1_800
GRANT = 250


def test_header_balance_updates_live_when_an_operator_grants_tokens(site_url: str, browser, page) -> None:
    person = UserFactory()
    operator = UserFactory(is_staff=True, is_superuser=True)

    log_in(page, site_url, person.email)
    header_balance = page.locator("#header-balance .balance-value")
    expect(header_balance).to_have_text(f"{FREE_GRANT:,}")
    page.evaluate("window.__notReloaded = true")  # gone if the page reloads

    admin_context = browser.new_context()
    admin_context.set_default_timeout(15_000)
    try:
        admin = admin_context.new_page()
        admin.goto(f"{site_url}/admin/login/")
        admin.locator("input[name=username]").fill(operator.email)
        admin.locator("input[name=password]").fill(DEFAULT_PASSWORD)
        admin.locator("input[type=submit], button[type=submit]").first.click()
        admin.wait_for_url(f"{site_url}/admin/")

        admin.goto(f"{site_url}/admin/billing/wallet/")
        admin.locator(f"input[name=_selected_action][value='{person.wallet.pk}']").check()
        admin.locator("select[name=action]").select_option("grant_or_adjust_tokens")
        admin.get_by_role("button", name="Go").click()
        admin.locator("input[name=amount]").fill(str(GRANT))
        admin.locator("[name=reason]").fill("Goodwill credit for a failed upload")
        admin.get_by_role("button", name="Apply").click()
        admin.wait_for_load_state()
    finally:
        admin_context.close()

    new_balance = f"{FREE_GRANT + GRANT:,}"
    expect(header_balance).to_have_text(new_balance, timeout=15_000)
    expect(page.locator('[data-live="balance"] .balance-value').last).to_have_text(new_balance)
    assert page.evaluate("window.__notReloaded") is True
    person.wallet.refresh_from_db()
    assert person.wallet.balance == FREE_GRANT + GRANT


def test_billing_page_shows_new_holds_live_and_offers_a_reload(site_url: str, page) -> None:
    person = UserFactory()
    log_in(page, site_url, person.email)
    with page.expect_websocket() as socket_opened:
        page.goto(f"{site_url}/billing/")
    assert socket_opened.value.url.endswith("/ws/events/")
    # An event pushed before the server has accepted the socket would be missed; a local handshake
    # takes milliseconds, and there is no open event to wait on from here.
    page.wait_for_timeout(1_000)
    expect(page.locator("#billing-live-notice p")).to_be_hidden()

    in_worker_thread(lambda: hold_create(user=person, amount=300, key="live-hold", memo="Processing talk.mp4"))

    expect(page.locator(".billing-summary [data-live='held'] .held-value")).to_have_text("300", timeout=15_000)
    expect(page.locator(".billing-summary [data-live='balance'] .balance-value")).to_have_text(f"{FREE_GRANT - 300:,}")
    expect(page.locator("#header-balance .balance-value")).to_have_text(f"{FREE_GRANT - 300:,}")
    expect(page.locator("#billing-live-notice p")).to_be_visible()
    page.get_by_role("link", name="Reload").click()
    expect(page.locator("#holds")).to_contain_text("Processing talk.mp4")
