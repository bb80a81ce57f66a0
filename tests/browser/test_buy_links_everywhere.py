"""Every refusal for tokens a page shows says how many are short and links to buying the pack that
covers them (issue 32): a chat question on the chat page and in the video page's panel (the
socket's error frame), an AI note (the API's 402), a video whose processing failed for tokens (its
page and its library card) and a file the compare-two page cannot start for tokens. The links open
that pack's payment on the billing page. Against localstripe, as test_buy_tokens."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.guests import Viewer
from accounts.models import User
from billing.ledger import ledger_debit, ledger_grant
from billing.models import TokenPack
from chat.services import conversation_create
from notes.models import Note
from sage.synthetic_media import make_video
from tests import servers
from tests.billing.stripe_fake import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET
from tests.browser.signing_in import log_in
from tests.browser.test_buy_tokens import TEST_PUBLISHABLE_KEY, give_stripe_js_payment_methods
from tests.browser.test_video_pages import page_errors, ready_video
from tests.browser.threads import in_worker_thread
from tests.conftest import serve_this_tests_media, site_for_many_tests
from tests.factories import TokenPackFactory, VideoFactory, empty_wallet_user
from videos.models import Video

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def _selling_servers(django_db_setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """SAGE under daphne selling tokens through localstripe, with AI notes priced (a Gemini key
    that is never called: every paid request here is refused before it). One for the module: each
    test is a new person with packs of their own, and a server each cost ~5 s, the first chat
    question in each another few (the embedding child loads its model)."""
    with servers.localstripe_server() as stripe_url:
        env = {
            "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
            "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY,
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_JS_URL": f"{stripe_url}/js.stripe.com/v3/",
            "GEMINI_API_KEY": f"never-called-{uuid.uuid4().hex[:6]}",
        }
        with site_for_many_tests(tmp_path_factory, **env) as site:
            yield site


@pytest.fixture
def selling_site(transactional_db, page: Page, settings, _selling_servers: tuple[str, Path]) -> str:
    give_stripe_js_payment_methods(page)
    url, media_link = _selling_servers
    serve_this_tests_media(media_link, settings)
    return url


def small_pack() -> TokenPack:
    TokenPackFactory(name="Large", tokens=5_000, amount=1_999)
    return TokenPackFactory(name="Small", tokens=500, amount=299)


def follow_buy_link(page: Page, link: Locator, pack: TokenPack, *, short: int) -> None:
    """The link opens the billing page on that pack's payment, saying what is short."""
    expect(link).to_have_attribute("href", re.compile(rf"/billing/\?pack={pack.pk}&short={short}#buy-tokens$"))
    link.click()
    page.wait_for_url(re.compile(rf"/billing/\?pack={pack.pk}&short={short}#buy-tokens$"))
    chosen = page.locator(".pack-card.pack-chosen")
    expect(chosen).to_have_attribute("data-pack-id", str(pack.pk))
    noun = "token" if short == 1 else "tokens"
    expect(chosen).to_contain_text(f"You are {short} {noun} short: this pack covers it.")


def poor_chatter(tmp_path: Path, settings) -> tuple[User, Video]:
    person = empty_wallet_user()
    return person, ready_video(person, tmp_path, settings)


def test_a_chat_question_refused_for_tokens_says_how_many_and_links_to_the_pack(
    selling_site: str, page: Page, tmp_path: Path, settings
) -> None:
    person, video = poor_chatter(tmp_path, settings)
    pack = small_pack()
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
    errors = page_errors(page)
    log_in(page, selling_site, person.email)

    page.goto(f"{selling_site}/chat/{conversation.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    page.get_by_label("Your question").fill("Where is the kitchen?")
    page.get_by_role("button", name="Send").click()

    error = page.locator("[data-composer-error]")
    expect(error).to_contain_text("This needs 2 tokens but only 0 are available.")
    expect(error).to_contain_text("Needs 2 more tokens — Buy Small (500 tokens, $2.99)")
    expect(page.get_by_label("Your question")).to_have_value("Where is the kitchen?")  # given back
    follow_buy_link(page, error.get_by_role("link", name="Buy Small (500 tokens, $2.99)"), pack, short=2)
    assert errors == []


def test_a_question_in_the_video_pages_chat_panel_refused_for_tokens_links_to_the_pack(
    selling_site: str, page: Page, tmp_path: Path, settings
) -> None:
    person, video = poor_chatter(tmp_path, settings)
    pack = small_pack()
    conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
    errors = page_errors(page)
    log_in(page, selling_site, person.email)

    page.goto(f"{selling_site}/videos/{video.pk}/")
    panel = page.locator("[data-chat-panel]")
    expect(panel.locator("[data-connection]")).to_have_text("Connected")
    panel.get_by_label("Your question").fill("Where is the kitchen?")
    panel.get_by_role("button", name="Send").click()

    error = panel.locator("[data-composer-error]")
    expect(error).to_contain_text("Needs 2 more tokens — Buy Small (500 tokens, $2.99)")
    follow_buy_link(page, error.get_by_role("link", name="Buy Small (500 tokens, $2.99)"), pack, short=2)
    assert errors == []


def test_an_ai_note_refused_for_tokens_says_how_many_and_links_to_the_pack(
    selling_site: str, page: Page, tmp_path: Path, settings
) -> None:
    person, video = poor_chatter(tmp_path, settings)
    pack = small_pack()
    errors = page_errors(page)
    log_in(page, selling_site, person.email)

    page.goto(f"{selling_site}/videos/{video.pk}/")
    panel = page.locator("[data-notes-panel]")
    panel.get_by_role("button", name="Add note").click()
    panel.get_by_role("button", name="Save").click()  # empty: the language model is to write it

    error = panel.locator("[data-note-error]")
    needed = settings.TOKEN_COST_AI_NOTE
    expect(error).to_contain_text(f"This needs {needed} tokens but only 0 are available.")
    expect(error).to_contain_text(f"Needs {needed} more tokens — Buy Small (500 tokens, $2.99)")
    assert not Note.objects.filter(owner=person).exists()
    follow_buy_link(page, error.get_by_role("link", name="Buy Small (500 tokens, $2.99)"), pack, short=needed)
    assert errors == []


def failed_for_tokens(person: User) -> Video:
    """A 30-second video whose processing was refused its hold, as ensure_hold leaves it."""
    return VideoFactory(
        owner=person,
        title="Holiday",
        status=Video.Status.FAILED,
        duration=30.0,
        storage_key="videos/holiday/original.mp4",  # its file is kept: Retry is offered
        error_code="insufficient_tokens",
        error_message="Processing this video needs 30 tokens but you have 10. "
        "See your balance and plans on the billing page.",
    )


def test_a_video_failed_for_tokens_shows_todays_shortfall_and_the_pack_on_its_page_and_card(
    selling_site: str, page: Page
) -> None:
    person = empty_wallet_user()
    ledger_grant(user=person, amount=25, key="grant:some", memo="test")  # 10 when it failed; 25 now
    pack = small_pack()
    video = failed_for_tokens(person)
    log_in(page, selling_site, person.email)
    offer = "This needs 30 tokens but you have 25. Buy Small (500 tokens, $2.99): it covers the 5 tokens you are short."

    page.goto(f"{selling_site}/videos/")
    card = page.locator(f"[data-video-card][data-video-id='{video.pk}']")
    expect(card).to_contain_text(offer)
    expect(card.get_by_role("link", name="Buy Small (500 tokens, $2.99)")).to_have_attribute(
        "href", f"/billing/?pack={pack.pk}&short=5#buy-tokens"
    )

    page.goto(f"{selling_site}/videos/{video.pk}/")
    state = page.locator("[data-video-state]")
    expect(state).to_contain_text(f"Processing failed. {offer}")
    expect(state.get_by_role("button", name="Retry processing")).to_be_visible()

    # Tokens bought meanwhile: the page no longer asks for them.
    in_worker_thread(lambda: ledger_grant(user=person, amount=5, key="grant:rest", memo="test"))
    page.reload()
    expect(state).to_contain_text("This needs 30 tokens, and your balance covers them now: retry processing.")
    expect(state.get_by_role("link", name=re.compile("^Buy"))).to_have_count(0)

    in_worker_thread(lambda: ledger_debit(user=person, amount=1, key="spent:one", memo="test"))
    page.reload()
    follow_buy_link(page, state.get_by_role("link", name="Buy Small (500 tokens, $2.99)"), pack, short=1)


def test_compare_two_says_it_cannot_start_until_tokens_are_bought_instead_of_waiting(
    selling_site: str, page: Page, tmp_path: Path
) -> None:
    person = empty_wallet_user()
    ledger_grant(user=person, amount=5, key="grant:five", memo="test")
    pack = small_pack()
    errors = page_errors(page)
    log_in(page, selling_site, person.email)
    page.goto(f"{selling_site}/videos/upload/compare/")
    files = [make_video(tmp_path / name, seconds=3) for name in ("first.mp4", "second.mp4")]
    page.get_by_label("Choose two files").set_input_files(files)
    side_b = page.locator("[data-slot=b]")
    expect(side_b.locator(".upload-cost")).to_contain_text("You have 5 tokens.")  # each alone is paid for

    # Both together cost 6: the second is not uploaded, and the page says so instead of waiting.
    page.get_by_role("button", name="Upload and compare").click()
    expect(side_b.locator(".upload-state")).to_have_text("Needs tokens")
    status = page.locator("[data-compare-status]")
    expect(status).to_have_text(
        "The comparison can't start until tokens are bought for video B. "
        "Needs 1 more token — Buy Small (500 tokens, $2.99)"
    )
    expect(page.get_by_role("button", name="Upload and compare")).to_be_disabled()
    page.on("dialog", lambda dialog: dialog.accept())  # leaving while the first file is still sent
    follow_buy_link(page, status.get_by_role("link", name="Buy Small (500 tokens, $2.99)"), pack, short=1)
    assert errors == []
