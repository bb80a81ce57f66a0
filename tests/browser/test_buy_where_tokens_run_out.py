"""Running out of tokens on the upload page leads to buying the right pack, never to a failed video:
a file the balance cannot pay for is offered the pack covering what is short and is not uploaded; an
upload the server refuses for tokens (402) shows the same offer, whose Buy link opens that pack's
payment on the billing page. Against localstripe, as test_buy_tokens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from billing.ledger import ledger_debit, ledger_grant
from billing.models import Wallet
from sage.synthetic_media import make_video
from tests.browser.signing_in import log_in, signed_in_to
from tests.browser.test_buy_tokens import fill_card, shop  # noqa: F401 -- `shop`: the site with payments on
from tests.browser.threads import in_worker_thread
from tests.factories import MembershipFactory, TeamWorkspaceFactory, TokenPackFactory, UserFactory, empty_wallet_user
from videos.models import Upload, Video
from workspaces.models import Role

pytestmark = pytest.mark.browser


def test_a_file_the_balance_cannot_pay_for_offers_the_right_pack_and_is_not_uploaded(
    shop,  # noqa: F811
    page: Page,
    tmp_path: Path,
) -> None:
    site, relay = shop
    relay.release()
    user = empty_wallet_user()
    ledger_grant(user=user, amount=2, key="grant:two", memo="test")
    small = TokenPackFactory(name="Small", tokens=500, amount=299)
    TokenPackFactory(name="Large", tokens=5_000, amount=1_999)
    log_in(page, site, user.email)

    page.goto(f"{site}/videos/upload/")
    page.get_by_label("Choose files").set_input_files(make_video(tmp_path / "holiday.mp4", seconds=3))

    row = page.locator(".upload-row")
    expect(row.locator(".upload-state")).to_have_text("Needs tokens")
    expect(row.locator(".upload-cost")).to_contain_text(
        "Processing costs 3 tokens (00:03 of video, 1 token a second). You have 2 tokens. "
        "Buy 1 token more to upload it."
    )
    buy = row.get_by_role("link", name="Buy Small (500 tokens, $2.99)")
    expect(buy).to_have_attribute("href", f"/billing/?pack={small.pk}&short=1#buy-tokens")
    expect(row.get_by_role("button", name="Start upload")).to_be_hidden()
    page.wait_for_timeout(500)  # nothing is sent meanwhile
    assert not Upload.objects.filter(owner=user).exists()
    assert not Video.objects.filter(owner=user).exists()
    expect(page.locator('.upload-row[data-state="failed"], .upload-row[data-state="refused"]')).to_have_count(0)

    # Tokens arrive (a purchase in another tab, here a grant): the row may be uploaded now.
    in_worker_thread(lambda: ledger_grant(user=user, amount=1_000, key="grant:more", memo="test"))
    expect(row.locator(".upload-state")).to_have_text("Not started")
    expect(row.get_by_role("link", name=re.compile("^Buy"))).to_have_count(0)
    row.get_by_role("button", name="Start upload").click()
    expect(row.locator(".upload-state")).not_to_have_text(
        re.compile("Not started|Waiting to upload|Uploading|Finishing"), timeout=30_000
    )
    assert Upload.objects.filter(owner=user).count() == 1


def test_an_upload_refused_for_tokens_shows_the_figures_and_buys_the_right_pack(
    shop,  # noqa: F811
    page: Page,
    tmp_path: Path,
) -> None:
    site, relay = shop
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="grant:some", memo="test")
    TokenPackFactory(name="Tiny", tokens=2, amount=100)
    starter = TokenPackFactory(name="Starter", tokens=900, amount=300)
    log_in(page, site, user.email)
    page.goto(f"{site}/videos/upload/")
    page.get_by_label("Choose files").set_input_files(make_video(tmp_path / "holiday.mp4", seconds=3))
    row = page.locator(".upload-row")
    expect(row.locator(".upload-cost")).to_contain_text("You have 100 tokens.")

    # The tokens are spent elsewhere while the upload is being created: the server refuses it (402).
    held = []
    page.route("**/api/v1/uploads", lambda route: held.append(route))
    row.get_by_role("button", name="Start upload").click()
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    in_worker_thread(lambda: ledger_debit(user=user, amount=99, key="spent:elsewhere", memo="another tab"))
    held[0].continue_()
    page.unroute("**/api/v1/uploads")

    expect(row.locator(".upload-state")).to_have_text("Needs tokens")
    expect(row.locator(".upload-cost")).to_contain_text("This needs 3 tokens but only 1 are available.")
    assert not Upload.objects.filter(owner=user).exists() and not Video.objects.filter(owner=user).exists()

    row.get_by_role("link", name="Buy Tiny (2 tokens, $1)").click()  # 2 short: the smallest pack that covers it
    page.wait_for_url(re.compile(r"/billing/\?pack=\d+&short=2#buy-tokens$"))
    tiny = page.locator(".pack-card.pack-chosen")
    expect(tiny).to_contain_text("You are 2 tokens short: this pack covers it.")
    expect(page.locator("#card-form")).to_be_visible()
    expect(page.locator("[data-card-pack]")).to_have_text("Tiny ($1)")
    assert starter.pk != int(tiny.get_attribute("data-pack-id") or 0)
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{site}/billing/payments/pi_*/")
    relay.release()
    expect(page.locator("[data-payment-message]")).to_have_text("Paid: 2 tokens added.", timeout=15_000)
    assert Wallet.objects.get(user=user).balance == 3


def test_two_files_the_balance_pays_for_only_one_of_upload_one_and_offer_buying_for_the_other(
    shop,  # noqa: F811
    page: Page,
    tmp_path: Path,
) -> None:
    site, relay = shop
    relay.release()
    user = empty_wallet_user()
    ledger_grant(user=user, amount=5, key="grant:five", memo="test")
    small = TokenPackFactory(name="Small", tokens=500, amount=299)
    log_in(page, site, user.email)
    page.goto(f"{site}/videos/upload/")
    files = [make_video(tmp_path / name, seconds=3) for name in ("first.mp4", "second.mp4")]

    page.get_by_label("Choose files").set_input_files(files)
    first, second = page.locator(".upload-row").nth(0), page.locator(".upload-row").nth(1)
    expect(first.locator(".upload-cost")).to_contain_text("You have 5 tokens.")
    expect(second.locator(".upload-cost")).to_contain_text("You have 5 tokens.")  # each alone is paid for
    page.get_by_role("button", name="Start all uploads").click()

    expect(second.locator(".upload-state")).to_have_text("Needs tokens")
    expect(second.locator(".upload-cost")).to_contain_text("Buy 1 token more to upload it.")
    expect(second.get_by_role("link", name="Buy Small (500 tokens, $2.99)")).to_have_attribute(
        "href", f"/billing/?pack={small.pk}&short=1#buy-tokens"
    )
    # Uploaded through to the end (its completion in flight at the end would hold the server's stop).
    expect(first.locator(".upload-state")).not_to_have_text(
        re.compile("Not started|Needs tokens|Waiting to upload|Uploading|Finishing"),
        timeout=30_000,  # "Finishing" waits on the server's checks of the file: long on a busy machine
    )
    page.wait_for_timeout(1_000)
    assert [upload.filename for upload in Upload.objects.filter(owner=user)] == ["first.mp4"]


def test_an_editor_in_a_team_short_of_tokens_is_told_whom_to_ask_not_offered_a_pack(
    shop,  # noqa: F811
    page: Page,
    tmp_path: Path,
) -> None:
    # Issue 65: only a team's owner and admins buy tokens for it.
    site, relay = shop
    relay.release()
    olivia = UserFactory(display_name="Olivia")
    team = TeamWorkspaceFactory(name="Northlight", created_by=olivia)
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user
    team_wallet = Wallet.objects.get(workspace=team)
    ledger_debit(user=olivia, amount=team_wallet.balance - 2, key="drain", memo="test", workspace_id=team.pk)
    TokenPackFactory(name="Small", tokens=500, amount=299)
    signed_in_to(page, site, editor, team)

    page.goto(f"{site}/videos/upload/")
    page.get_by_label("Choose files").set_input_files(make_video(tmp_path / "holiday.mp4", seconds=3))

    row = page.locator(".upload-row")
    expect(row.locator(".upload-state")).to_have_text("Needs tokens")
    expect(row.locator(".upload-cost")).to_contain_text(
        "Processing costs 3 tokens (00:03 of video, 1 token a second). The team has 2 tokens. "
        "It needs 1 token more to upload it."
    )
    expect(row.locator("[data-ask-buyers]")).to_contain_text(
        "Only the owner and admins of “Northlight” can buy tokens for it: ask Olivia (owner); they have been told."
    )
    expect(row.get_by_role("link", name=re.compile("^Buy"))).to_have_count(0)
    assert not Upload.objects.filter(owner=editor).exists()
