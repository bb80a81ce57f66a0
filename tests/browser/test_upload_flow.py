"""Upload to result in one flow, in a real browser: an upload row says what processing will cost,
then follows its video to ready (Open, Compare) or to the failure's reason while the library adds the
card live; two files on "Compare two videos" are uploaded, processed by a real worker, and their
comparison opens by itself; a YouTube link is added from the upload page (YouTube is a local stub)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from billing.ledger import ledger_grant
from billing.models import Hold
from devtools import processes
from sage.synthetic_media import Scene, make_video
from tests.browser.signing_in import log_in
from tests.browser.threads import in_worker_thread
from tests.factories import UserFactory, VideoFactory, empty_wallet_user
from tests.servers import RecordedRequest, stub_server
from tests.youtube_stub import VIDEO_ID, youtube_stub
from videos.models import Comparison, Video
from videos.presenters import STAGE_LABELS

pytestmark = pytest.mark.browser

FREE_GRANT = "1,800"
UPLOADED = "Uploaded — processing will start shortly."
# Processing in this process (thumbnails, clips, fingerprint, transcript): the first run loads models.
PROCESSED_TIMEOUT_MS = 120_000
# A real worker processes two uploads one after the other, then the comparison is made.
COMPARED_TIMEOUT_MS = 240_000


def script_errors(page: Page) -> list[str]:
    """Uncaught errors and console errors from now on (a module that fails to import logs one)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def test_a_row_says_its_price_then_follows_its_video_to_ready_or_to_the_reason_it_failed(
    site_url: str, page: Page, tmp_path: Path
) -> None:
    from videos.tasks import process_video

    person = UserFactory()
    errors = script_errors(page)
    log_in(page, site_url, person.email)
    # The library, open in another tab with no video yet, gets the new cards without a reload.
    library = page.context.new_page()
    library_errors = script_errors(library)
    library.goto(f"{site_url}/videos/")
    expect(library.get_by_text("You have no videos yet")).to_be_visible()
    library.evaluate("window.__notReloaded = true")

    page.goto(f"{site_url}/videos/upload/")
    expect(page.locator("[data-upload-price]")).to_contain_text(f"You have {FREE_GRANT} tokens.")
    good = make_video(tmp_path / "holiday.mp4", seconds=3)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(os.urandom(40_000))  # no video inside: the browser cannot read a length, the probe refuses it
    page.get_by_label("Choose files").set_input_files([good, broken])

    row = page.locator(".upload-row", has_text="holiday.mp4")
    bad_row = page.locator(".upload-row", has_text="broken.mp4")
    expect(row.locator(".upload-state")).to_have_text("Not started")
    price = row.locator(".upload-cost")
    expect(price).to_have_text(
        re.compile(
            rf"^Processing costs (\d) tokens \(00:03 of video, 1 token a second\)\. You have {FREE_GRANT} tokens\.$"
        )
    )
    shown_price = int(re.search(r"costs (\d+) tokens", price.inner_text()).group(1))  # type: ignore[union-attr]
    expect(bad_row.locator(".upload-cost")).to_contain_text("Processing costs about 60 tokens for each minute of video")

    page.get_by_role("button", name="Start all uploads").click()
    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=20_000)
    expect(row.locator(".upload-state")).to_have_text("Queued")
    expect(row.locator(".upload-cost")).to_be_hidden()
    expect(bad_row.get_by_role("status")).to_have_text(UPLOADED, timeout=20_000)

    cards = library.locator(".video-card")
    expect(cards).to_have_count(2)
    card = library.locator(".video-card", has_text="holiday")
    expect(card.locator('[data-field="status"]')).to_have_text("Queued")
    expect(library.locator("[data-library-count]")).to_contain_text("2 videos")
    expect(library.get_by_text("You have no videos yet")).to_have_count(0)

    # What the row's badge and stage line say while the video is processed, in order.
    page.evaluate(
        """() => {
          window.__seen = [];
          const row = [...document.querySelectorAll(".upload-row")]
            .find((each) => each.textContent.includes("holiday.mp4"));
          const record = () => {
            const badge = row.querySelector(".upload-state").textContent;
            const stage = row.querySelector('[data-field="stage"]');
            window.__seen.push([badge, stage.closest("[hidden]") ? "" : stage.textContent]);
          };
          new MutationObserver(record)
            .observe(row, { subtree: true, childList: true, characterData: true, attributes: true });
        }"""
    )
    video = Video.objects.get(owner=person, title="holiday")
    bad_video = Video.objects.get(owner=person, title="broken")
    in_worker_thread(lambda: process_video(video.pk))
    in_worker_thread(lambda: process_video(bad_video.pk))

    expect(row.locator(".upload-state")).to_have_text("Ready", timeout=PROCESSED_TIMEOUT_MS)
    expect(row.get_by_role("link", name="Open")).to_have_attribute("href", f"/videos/{video.pk}/")
    expect(row.get_by_role("link", name="Compare")).to_have_attribute("href", f"/compare/?a={video.pk}")
    expect(row.get_by_role("progressbar")).to_have_count(0)  # neither the upload's nor processing's bar
    seen = page.evaluate("window.__seen")
    badges = [badge for badge, _ in seen]
    assert "Processing" in badges and badges.index("Processing") < badges.index("Ready")
    assert {stage for _, stage in seen} & set(STAGE_LABELS.values())  # e.g. "Making thumbnails"
    bad_video.refresh_from_db()
    assert bad_video.status == Video.Status.FAILED
    expect(bad_row.locator(".upload-state")).to_have_text("Failed")
    expect(bad_row.get_by_role("status")).to_have_text(bad_video.error_message)
    expect(bad_row.get_by_role("link", name="Compare")).to_be_hidden()
    # What the row said before the upload is what processing held and settled.
    video.refresh_from_db()
    assert video.hold is not None and video.hold.status == Hold.Status.SETTLED
    assert video.hold.amount == shown_price

    expect(card.locator('[data-field="status"]')).to_have_text("Ready")
    expect(card.locator("img")).to_have_attribute("src", f"/videos/{video.pk}/poster.jpg")
    assert library.evaluate("window.__notReloaded") is True

    row.get_by_role("link", name="Open").click()
    page.wait_for_url(f"{site_url}/videos/{video.pk}/")
    expect(page.locator("video[data-player]")).to_be_visible()
    assert errors == []
    assert library_errors == []


def test_a_price_the_balance_does_not_cover_is_said_and_follows_the_balance_live(
    site_url: str, page: Page, tmp_path: Path
) -> None:
    person = empty_wallet_user()
    ledger_grant(user=person, amount=2, key="grant:two", memo="test")
    errors = script_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/upload/")
    page.get_by_label("Choose files").set_input_files(make_video(tmp_path / "holiday.mp4", seconds=3))
    price = page.locator(".upload-row .upload-cost")
    expect(price).to_contain_text("You have 2 tokens. Buy 1 token more to upload it.")
    expect(price).to_have_class(re.compile(r"\bupload-message-error\b"))

    in_worker_thread(lambda: ledger_grant(user=person, amount=1_000, key="grant:more", memo="test"))
    expect(price).to_contain_text("You have 1,002 tokens.")
    expect(price).not_to_have_class(re.compile(r"\bupload-message-error\b"))
    assert errors == []


@pytest.mark.worker
def test_two_files_are_uploaded_and_processed_and_their_comparison_opens_by_itself(
    site_url: str, page: Page, tmp_path: Path
) -> None:
    person = UserFactory()
    errors = script_errors(page)
    log_in(page, site_url, person.email)
    page.get_by_role("link", name="Videos", exact=True).click()
    page.get_by_role("link", name="Compare two videos", exact=True).click()
    page.wait_for_url(f"{site_url}/videos/upload/compare/")
    # The original and a cut whose second half shows other content.
    first, second = Scene(3, "shapes", seed=1), Scene(3, "bars", seed=2)
    original = make_video(tmp_path / "original.mp4", scenes=[first, second])
    edited = make_video(tmp_path / "edited.mp4", scenes=[first, Scene(3, "noise", seed=9)])

    go = page.get_by_role("button", name="Upload and compare")
    expect(page.get_by_role("button", name="Compare", exact=True)).to_be_disabled()
    page.get_by_label("Choose two files").set_input_files([original, edited])
    side_a = page.locator("[data-slot=a]")
    side_b = page.locator("[data-slot=b]")
    expect(side_a.locator(".upload-row")).to_contain_text("original.mp4")
    expect(side_b.locator(".upload-row")).to_contain_text("edited.mp4")
    expect(side_a.locator(".upload-cost")).to_contain_text("Processing costs")
    expect(side_a.locator(".upload-state")).to_have_text("Not started")

    with processes.celery_worker():
        go.click()
        expect(page.get_by_role("status").filter(has_text="opens by itself")).to_be_visible(timeout=20_000)
        # The rows follow the processing live while the page waits for both.
        expect(side_a.locator(".upload-state")).to_have_text(re.compile("Queued|Processing|Ready"), timeout=20_000)
        page.wait_for_url(re.compile(r"/compare/\d+/$"), timeout=COMPARED_TIMEOUT_MS)

    comparison = Comparison.objects.get(owner=person)
    assert (comparison.video_a.title, comparison.video_b.title) == ("original", "edited")
    assert page.url.endswith(f"/compare/{comparison.pk}/")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    assert errors == []


@pytest.fixture
def oembed_site(transactional_db) -> Iterator[str]:
    """The site with YouTube's oEmbed (a video's title) answered by a local stub."""

    def oembed(request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        return stub.reply_json(200, {"title": "Never gonna give you up", "thumbnail_url": ""})

    with (
        stub_server({("GET", "/oembed"): oembed}) as stub,
        processes.daphne_server(YOUTUBE_OEMBED_URL=f"{stub.url}/oembed") as url,
    ):
        yield url


def test_a_youtube_link_added_on_the_upload_page_is_followed_until_its_captions_are_in(
    oembed_site: str, page: Page, settings
) -> None:
    from videos.tasks import process_video

    person = UserFactory()
    errors = script_errors(page)
    log_in(page, oembed_site, person.email)
    page.goto(f"{oembed_site}/videos/upload/")
    link = page.get_by_label("YouTube link")

    link.fill("https://www.youtube.com/playlist?list=PL123")
    with page.expect_response("**/api/v1/videos/youtube") as refused:
        page.get_by_role("button", name="Add video").click()
    assert refused.value.status == 400
    expect(page.locator("#youtube-url-error")).to_have_text(
        "Playlists are not supported: add the videos one at a time."
    )
    assert not Video.objects.filter(owner=person).exists()
    # The refusal is a failed request in the console, as the browser reports it; nothing else may fail.
    assert [error for error in errors if "status of 400" not in error] == []
    errors.clear()

    link.fill(f"https://youtu.be/{VIDEO_ID}")
    page.get_by_role("button", name="Add video").click()
    row = page.locator(".upload-youtube-row", has_text="Never gonna give you up")
    expect(row.locator(".upload-state")).to_have_text("Queued")
    expect(link).to_have_value("")
    expect(page.locator("#youtube-url-error")).to_be_hidden()
    video = Video.objects.get(owner=person, source=Video.Source.YOUTUBE, youtube_id=VIDEO_ID)

    with youtube_stub(settings, tracks=[("en", False)]):
        in_worker_thread(lambda: process_video(video.pk))
    expect(row.locator(".upload-state")).to_have_text("Ready", timeout=30_000)
    expect(row.get_by_role("status")).to_contain_text("its captions are searchable")
    assert errors == []
    row.get_by_role("link", name="Open").click()
    page.wait_for_url(f"{oembed_site}/videos/{video.pk}/")
    expect(page.get_by_role("heading", name="Never gonna give you up")).to_be_visible()


def test_two_videos_picked_on_compare_two_are_compared_or_the_refusal_is_said(site_url: str, page: Page) -> None:
    person = UserFactory()
    # Ready, but without clip analysis (as before processing made it): the comparison is refused.
    first = VideoFactory(owner=person, title="First cut", status=Video.Status.READY, duration=6.0)
    VideoFactory(owner=person, title="Second cut", status=Video.Status.READY, duration=6.0)
    errors = script_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/upload/compare/")
    status = page.locator("[data-compare-status]")
    go = page.get_by_role("button", name="Compare", exact=True)

    page.get_by_label("Or one of your videos").first.select_option(label="First cut")
    expect(page.locator("[data-slot=a] [data-slot-picked]")).to_have_text("“First cut”: Ready")
    expect(status).to_have_text("Choose video A and video B.")
    page.get_by_label("Or one of your videos").last.select_option(label="First cut")
    expect(status).to_have_text("Choose two different videos.")
    expect(go).to_be_disabled()
    page.get_by_label("Or one of your videos").last.select_option(label="Second cut")
    expect(page.locator("[data-slot=b] [data-slot-picked]")).to_have_text("“Second cut”: Ready")
    expect(status).to_have_text("Ready to compare.")

    with page.expect_response("**/api/v1/comparisons") as refused:
        go.click()
    assert refused.value.status == 400
    expect(status).to_have_text(
        "The comparison could not be made: One of these videos has no clip analysis yet; process it again."
    )
    expect(go).to_be_enabled()  # another try, or another choice
    assert page.url == f"{site_url}/videos/upload/compare/"
    assert not Comparison.objects.filter(owner=person).exists()
    assert first.status == Video.Status.READY
    assert [error for error in errors if "status of 400" not in error] == []
