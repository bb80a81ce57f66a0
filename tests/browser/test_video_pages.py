"""The library, a video's page and search in a real browser: an upload is processed by a real worker
while the library and the video page follow it live, the ready video plays, the transcript follows
playback and seeks, a search result plays from its moment, and YouTube videos work with YouTube's
player and without it (tests never reach the internet)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from accounts.models import User
from devtools import processes
from sage.synthetic_media import Cue, make_video, write_srt
from tests.browser.signing_in import log_in
from tests.factories import TranscriptFactory, UserFactory, VideoFactory, chunk_rows
from videos.models import Video
from videos.presenters import STAGE_LABELS

pytestmark = pytest.mark.browser

# A real worker processes the upload: probe, thumbnails, clips, transcript, chunks (loads the text model).
PROCESSING_TIMEOUT_MS = 150_000
TOUR_LINES = [
    (0.0, 2.0, "Welcome to the house tour."),
    (2.0, 4.0, "This is the hallway."),
    (4.0, 6.0, "Here is the kitchen where we cook."),
    (6.0, 8.0, "And finally the garden."),
]
# The YouTube IFrame API as far as video.js uses it, recording what the page asks of the player.
FAKE_YOUTUBE_API = """
window.__youtube = { calls: [], time: 0, ready: false };
window.YT = {
  Player: function (element, options) {
    window.__youtube.element = element.id;
    this.getCurrentTime = () => window.__youtube.time;
    this.seekTo = (seconds) => { window.__youtube.calls.push(["seekTo", seconds]); window.__youtube.time = seconds; };
    this.playVideo = () => window.__youtube.calls.push(["playVideo"]);
    setTimeout(() => { options.events.onReady({ target: this }); window.__youtube.ready = true; }, 0);
  },
};
window.onYouTubeIframeAPIReady();
"""


def keep_off_the_internet(page: Page) -> None:
    """Every request that does not go to this machine fails, as it would offline (YouTube's embed)."""
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())


def wait_until(condition, page: Page, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        page.wait_for_timeout(50)


def playback(page: Page) -> dict:
    return page.locator("video[data-player]").evaluate("(video) => ({ time: video.currentTime, paused: video.paused })")


def wait_until_playing_past(page: Page, seconds: float) -> None:
    wait_until(lambda: (state := playback(page))["time"] >= seconds and not state["paused"], page)


def ready_video(owner: User, tmp_path: Path, settings, *, title: str = "House tour") -> Video:
    """A processed 8-second video with a transcript, as the pipeline leaves one."""
    source = make_video(tmp_path / "tour.mp4", seconds=8)
    video = VideoFactory(owner=owner, title=title, status=Video.Status.READY, duration=8.0)
    key = f"videos/{video.pk}/original.mp4"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=target.stat().st_size)
    TranscriptFactory(video=video, lines=TOUR_LINES)
    video.refresh_from_db()
    return video


def page_errors(page: Page) -> list[str]:
    """Uncaught errors in the page's scripts, collected from now on."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def transcript_line(page: Page, text: str):
    return page.locator(".transcript-line", has_text=text)


# --- an upload, processed by a real worker, followed live -----------------------------------------


@pytest.mark.worker
def test_an_upload_is_followed_live_until_ready_and_then_plays_with_its_transcript(
    site_url: str, page: Page, tmp_path: Path
) -> None:
    from videos.tasks import process_video

    person = UserFactory()
    errors = page_errors(page)
    log_in(page, site_url, person.email)
    video_path = make_video(tmp_path / "holiday.mp4", seconds=6)
    subtitles = write_srt(
        tmp_path / "holiday.srt", [Cue(0.5, 2.5, "Welcome to the beach."), Cue(3.0, 5.5, "The waves are high today.")]
    )

    # Upload on the upload page: its bar goes to 100%. No worker runs yet, so the video waits in the queue.
    page.get_by_role("link", name="Upload", exact=True).click()
    # The drop zone is shown by upload.js: once visible, choosing a file is handled.
    expect(page.locator("#upload-drop-zone")).to_be_visible()
    page.get_by_label("Choose files").set_input_files(video_path)
    row = page.locator(".upload-row", has_text="holiday.mp4")
    row.get_by_label("Title", exact=True).fill("Summer holiday")
    row.get_by_label("Subtitles").set_input_files(subtitles)
    row.get_by_role("button", name="Start upload").click()
    expect(row.get_by_role("progressbar")).to_have_attribute("value", "100")
    expect(row.get_by_role("status")).to_contain_text("processing will start shortly", timeout=20_000)
    video = Video.objects.get(owner=person)
    assert video.status == Video.Status.QUEUED

    # The library shows it queued, with its processing bar.
    page.get_by_role("link", name="Videos", exact=True).click()
    page.wait_for_url(f"{site_url}/videos/")
    card = page.locator(".video-card", has_text="Summer holiday")
    status = card.locator('[data-field="status"]')
    expect(status).to_have_text("Queued")
    expect(card.get_by_role("progressbar", name="Processing progress for Summer holiday")).to_be_visible()
    expect(card).to_contain_text("Waiting for a worker")
    page.evaluate(
        """(videoId) => {
          window.__seen = [];
          window.__notReloaded = true;
          const record = () => {
            const card = document.querySelector(`[data-video-card][data-video-id="${videoId}"]`);
            const status = card.querySelector('[data-field="status"]').textContent;
            const stage = card.querySelector('[data-field="stage"]');
            window.__seen.push([status, stage ? stage.textContent : ""]);
          };
          new MutationObserver(record).observe(document.querySelector(".video-grid"),
            { subtree: true, childList: true, characterData: true, attributes: true });
        }""",
        video.pk,
    )

    # The video's own page, open in a second tab, waits for processing too.
    video_page = page.context.new_page()
    video_page_errors = page_errors(video_page)
    video_page.goto(f"{site_url}/videos/{video.pk}/")
    expect(video_page.get_by_role("heading", name="Processing")).to_be_visible()
    expect(video_page.get_by_text("The player appears when processing has finished.")).to_be_visible()
    video_page.evaluate("window.__notReloaded = true")

    with processes.celery_worker():
        process_video.delay(video.pk)  # the worker's start purged the queue the upload had used
        expect(status).to_have_text("Ready", timeout=PROCESSING_TIMEOUT_MS)
        expect(video_page.locator("video[data-player]")).to_be_visible(timeout=20_000)

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    # The library card went through processing, stage by stage, to ready: live, without a reload.
    seen = page.evaluate("window.__seen")
    statuses = [status_text for status_text, _ in seen]
    assert "Processing" in statuses
    assert statuses.index("Processing") < statuses.index("Ready")
    assert {stage for _, stage in seen} & set(STAGE_LABELS.values())
    assert page.evaluate("window.__notReloaded") is True
    # Its card is rendered again with the poster and the length.
    expect(card.locator("img")).to_have_attribute("src", f"/videos/{video.pk}/poster.jpg")
    expect(card.locator(".video-card-duration")).to_have_text("00:06")
    expect(card.get_by_role("progressbar")).to_be_hidden()

    # The video page turned into the player and the transcript without a reload; a line plays from there.
    assert video_page.evaluate("window.__notReloaded") is True
    expect(video_page.get_by_role("heading", name="Processing")).to_be_hidden()
    waves = transcript_line(video_page, "The waves are high today.")
    expect(waves).to_contain_text("[00:03]")
    waves.get_by_role("link").click()
    wait_until_playing_past(video_page, 3.0)
    expect(waves).to_have_attribute("aria-current", "true")
    before = playback(video_page)["time"]
    wait_until(lambda: playback(video_page)["time"] > before + 0.5, video_page)
    assert errors == video_page_errors == []


# --- the video page --------------------------------------------------------------------------------


def test_a_transcript_line_click_seeks_and_the_highlight_follows_playback(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    errors = page_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    expect(page.locator("video[data-player]")).to_be_visible()

    kitchen = transcript_line(page, "the kitchen")
    expect(kitchen).to_contain_text("[00:04]")
    kitchen.get_by_role("link").click()

    wait_until_playing_past(page, 4.0)
    expect(kitchen).to_have_attribute("aria-current", "true")
    assert page.url == f"{site_url}/videos/{video.pk}/"  # seeked in place, no navigation
    # Playback goes on into the next line, and the highlight moves with it.
    expect(transcript_line(page, "the garden")).to_have_attribute("aria-current", "true", timeout=10_000)
    expect(kitchen).not_to_have_attribute("aria-current", "true")
    assert errors == []


def test_the_transcript_search_filters_and_highlights_lines(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    lines = page.locator(".transcript-line")
    expect(lines).to_have_count(4)

    page.get_by_label("Search the transcript").fill("KITCHEN")

    expect(page.locator(".transcript-line:visible")).to_have_count(1)
    expect(transcript_line(page, "the kitchen").locator("mark")).to_have_text("kitchen")
    expect(page.locator("[data-transcript-search-status]")).to_have_text("1 of 4 lines")

    page.get_by_label("Search the transcript").fill("volcano")
    expect(page.locator(".transcript-line:visible")).to_have_count(0)
    expect(page.locator("[data-transcript-search-status]")).to_have_text("No line contains these words.")

    page.get_by_label("Search the transcript").fill("")
    expect(page.locator(".transcript-line:visible")).to_have_count(4)
    expect(page.locator(".transcript-line mark")).to_have_count(0)


def test_t_in_the_address_starts_the_player_at_that_second(site_url: str, page: Page, tmp_path: Path, settings) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    log_in(page, site_url, person.email)

    # Opened directly (no click before it), the browser may refuse to start playing by itself: the
    # player waits at that second, with its line highlighted.
    page.goto(f"{site_url}/videos/{video.pk}/?t=2")

    wait_until(lambda: playback(page)["time"] >= 2.0, page)
    assert playback(page)["time"] < 4.0
    expect(transcript_line(page, "the hallway")).to_have_attribute("aria-current", "true")


def test_deleting_from_the_video_page_asks_first_then_returns_to_the_library(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings, title="Old trip")
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    confirm = page.get_by_role("button", name="Delete permanently")
    expect(confirm).to_be_hidden()

    page.locator("summary", has_text="Delete video").click()
    expect(page.get_by_text("Delete “Old trip”? Its file, transcript")).to_be_visible()
    confirm.click()

    page.wait_for_url(f"{site_url}/videos/")
    expect(page.get_by_role("status")).to_contain_text("“Old trip” was deleted.")
    expect(page.locator(".video-card")).to_have_count(0)
    assert not Video.objects.filter(pk=video.pk).exists()


# --- search ----------------------------------------------------------------------------------------


def test_a_search_result_plays_the_video_from_that_moment(site_url: str, page: Page, tmp_path: Path, settings) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    chunks = [(0.0, 4.0, "Welcome to the house tour. This is the hallway."), (4.0, 8.0, TOUR_LINES[2][2])]
    chunk_rows(video, chunks)
    errors = page_errors(page)
    log_in(page, site_url, person.email)

    page.get_by_role("link", name="Search", exact=True).click()
    page.get_by_label("Question or phrase").fill("where do they cook?")
    page.get_by_role("button", name="Search").click(timeout=60_000)  # the server loads the text model first

    first = page.locator(".moment").first
    expect(first).to_contain_text("House tour")
    expect(first).to_contain_text("[00:04]")
    expect(first.locator("mark")).to_have_text("cook")
    first.click()

    page.wait_for_url(f"{site_url}/videos/{video.pk}/?t=4")
    wait_until_playing_past(page, 4.0)
    expect(transcript_line(page, "the kitchen")).to_have_attribute("aria-current", "true")
    assert errors == []


# --- YouTube ---------------------------------------------------------------------------------------


def youtube_video(owner: User) -> Video:
    video = VideoFactory(
        owner=owner,
        title="A talk",
        source=Video.Source.YOUTUBE,
        youtube_id="dQw4w9WgXcQ",
        status=Video.Status.READY,
        duration=60.0,
    )
    TranscriptFactory(
        video=video,
        lines=[(3.0, 10.0, "Thanks for coming."), (12.0, 28.0, "Let us begin."), (30.0, 45.0, "Questions?")],
    )
    return video


def test_a_youtube_video_page_works_when_youtube_is_unreachable(site_url: str, page: Page) -> None:
    person = UserFactory()
    video = youtube_video(person)
    errors = page_errors(page)
    keep_off_the_internet(page)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/videos/{video.pk}/")

    expect(page.locator("iframe#youtube-player")).to_have_attribute("src", re.compile(r"youtube-nocookie\.com/embed/"))
    expect(page.get_by_text("Comparison is for uploaded videos only")).to_be_visible()
    begin = transcript_line(page, "Let us begin.")
    expect(begin).to_be_visible()
    # Without the player API, a line is a plain link: the page reloads with the embed starting there.
    begin.get_by_role("link").click()
    page.wait_for_url(f"{site_url}/videos/{video.pk}/?t=12")
    expect(page.locator("iframe#youtube-player")).to_have_attribute("src", re.compile(r"[?&]start=12(&|$)"))
    expect(transcript_line(page, "Let us begin.")).to_have_attribute("aria-current", "true")
    assert errors == []


def test_with_the_youtube_player_a_line_click_seeks_it_and_the_transcript_follows_it(
    site_url: str, page: Page, settings
) -> None:
    person = UserFactory()
    video = youtube_video(person)
    keep_off_the_internet(page)
    api_url = f"{settings.YOUTUBE_BASE_URL}/iframe_api"  # the daphne server reads the same setting

    def fake_api(route: Route) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=FAKE_YOUTUBE_API)

    page.route(api_url, fake_api)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/videos/{video.pk}/")
    page.wait_for_function("() => window.__youtube && window.__youtube.ready")
    assert page.evaluate("window.__youtube.element") == "youtube-player"

    transcript_line(page, "Let us begin.").get_by_role("link").click()

    assert page.evaluate("window.__youtube.calls") == [["seekTo", 12], ["playVideo"]]
    assert page.url == f"{site_url}/videos/{video.pk}/"
    expect(transcript_line(page, "Let us begin.")).to_have_attribute("aria-current", "true")
    page.evaluate("window.__youtube.time = 31.5")  # the player plays on
    expect(transcript_line(page, "Questions?")).to_have_attribute("aria-current", "true")
