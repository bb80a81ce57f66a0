"""The upload page in a real browser: a file goes up in parts, pauses, resumes (also after a
reload), and a file the API refuses says why in its row."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from accounts.models import User
from tests.browser.signing_in import log_in
from tests.factories import UserFactory
from videos.models import Upload, UploadPart, Video

pytestmark = pytest.mark.browser

MIB = 1024 * 1024
# The server's default part size is 8 MiB: an 11 MiB file goes up in two parts, the first of
# which is 72% of it.
FILE_SIZE = 11 * MIB
AFTER_FIRST_PART = f"{8 * 100 // 11}%"
UPLOADED = "Uploaded — processing will start shortly."
# Completing runs the (eager, in tests) pipeline inside the request, and a retried part waits ~1 s.
DONE_TIMEOUT_MS = 20_000


def video_file(tmp_path: Path, name: str = "holiday.mp4", size: int = FILE_SIZE) -> tuple[Path, bytes]:
    # A file on disk keeps its last-modified time between choices, which is how the page recognises
    # a file it has seen before. The protocol does not look inside, so random bytes do.
    data = os.urandom(size)
    path = tmp_path / name
    path.write_bytes(data)
    return path, data


def hold_requests(page: Page, pattern: str) -> list[Route]:
    """Requests matching `pattern` wait until the test lets them through with `route.continue_()`."""
    held: list[Route] = []
    page.route(pattern, lambda route: held.append(route))
    return held


def wait_until(condition, page: Page, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        page.wait_for_timeout(50)


def open_upload_page(page: Page, site_url: str) -> User:
    person = UserFactory()
    log_in(page, site_url, person.email)
    page.get_by_role("link", name="Upload", exact=True).click()
    page.wait_for_url(f"{site_url}/videos/upload/")
    expect(page.get_by_role("heading", name="Upload videos")).to_be_visible()
    # The drop zone is shown by upload.js: once visible, a chosen file is handled.
    expect(page.locator("#upload-drop-zone")).to_be_visible()
    return person


def assert_uploaded(person: User, data: bytes, settings) -> Video:
    upload = Upload.objects.get(owner=person)
    assert upload.status == Upload.Status.COMPLETED
    video = upload.video
    assert video is not None
    assert video.status == Video.Status.QUEUED  # handed to the pipeline (no worker runs in this test)
    assert video.size == len(data)
    assert (Path(settings.MEDIA_ROOT) / video.storage_key).read_bytes() == data
    return video


def test_a_file_goes_up_in_parts_and_the_bar_follows_it_to_100(site_url: str, page: Page, tmp_path, settings) -> None:
    person = open_upload_page(page, site_url)
    path, data = video_file(tmp_path)
    second_part = hold_requests(page, "**/api/v1/uploads/*/parts/2")

    page.get_by_label("Choose files").set_input_files(path)
    row = page.locator(".upload-row", has_text="holiday.mp4")
    expect(row).to_contain_text("11 MB")
    row.get_by_label("Title", exact=True).fill("Summer holiday")
    row.get_by_role("button", name="Start upload").click()

    progress = row.get_by_role("progressbar", name="Upload progress for holiday.mp4")
    wait_until(lambda: second_part, page)
    expect(progress).to_have_attribute("value", AFTER_FIRST_PART.rstrip("%"))
    expect(row.locator(".upload-percent")).to_have_text(AFTER_FIRST_PART)
    expect(row).to_contain_text("MB/s")
    expect(row).to_contain_text("left")
    second_part[0].continue_()

    expect(progress).to_have_attribute("value", "100")
    expect(row.locator(".upload-percent")).to_have_text("100%")
    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=DONE_TIMEOUT_MS)
    # The row then follows the video: queued for processing (no worker runs in this test).
    expect(row.locator(".upload-state")).to_have_text("Queued")
    expect(row.get_by_role("button", name="Pause")).to_be_hidden()
    expect(row.get_by_role("button", name="Cancel")).to_be_hidden()
    video = assert_uploaded(person, data, settings)
    assert video.title == "Summer holiday"
    assert page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('sage.upload:'))") == []


def test_pause_stops_after_the_current_part_and_resume_sends_the_rest(
    site_url: str, page: Page, tmp_path, settings
) -> None:
    person = open_upload_page(page, site_url)
    path, data = video_file(tmp_path)
    first_part = hold_requests(page, "**/api/v1/uploads/*/parts/1")
    part_requests: list[str] = []
    page.on("request", lambda request: part_requests.append(request.url) if "/parts/" in request.url else None)

    page.get_by_label("Choose files").set_input_files(path)
    row = page.locator(".upload-row", has_text="holiday.mp4")
    row.get_by_role("button", name="Start upload").click()
    wait_until(lambda: first_part, page)
    row.get_by_role("button", name="Pause").click()
    expect(row.locator(".upload-state")).to_have_text("Pausing")
    first_part[0].continue_()
    page.unroute("**/api/v1/uploads/*/parts/1")

    progress = row.get_by_role("progressbar")
    expect(row.locator(".upload-state")).to_have_text("Paused")
    expect(progress).to_have_attribute("value", AFTER_FIRST_PART.rstrip("%"))
    page.wait_for_timeout(1_500)  # long enough for a second part to have started, were it sent
    expect(progress).to_have_attribute("value", AFTER_FIRST_PART.rstrip("%"))
    assert [url.rsplit("/", 1)[1] for url in part_requests] == ["1"]
    assert list(UploadPart.objects.filter(upload__owner=person).values_list("number", flat=True)) == [1]

    with page.expect_request(lambda request: request.method == "GET" and "/api/v1/uploads/" in request.url):
        row.get_by_role("button", name="Resume").click()
    expect(progress).to_have_attribute("value", "100")
    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=DONE_TIMEOUT_MS)
    # Part 1 was not sent again.
    assert [url.rsplit("/", 1)[1] for url in part_requests] == ["1", "2"]
    assert_uploaded(person, data, settings)


def test_after_a_reload_choosing_the_same_file_offers_to_resume_it(
    site_url: str, page: Page, tmp_path, settings
) -> None:
    person = open_upload_page(page, site_url)
    path, data = video_file(tmp_path)
    held = hold_requests(page, "**/api/v1/uploads/*/parts/2")
    page.get_by_label("Choose files").set_input_files(path)
    page.locator(".upload-row").get_by_role("button", name="Start upload").click()
    wait_until(lambda: held, page)  # part 1 is stored; part 2 never arrives
    held[0].abort()
    page.unroute("**/api/v1/uploads/*/parts/2")

    page.reload()
    page.get_by_label("Choose files").set_input_files(path)
    row = page.locator(".upload-row", has_text="holiday.mp4")
    expect(row.get_by_role("status")).to_contain_text(
        f"You started uploading this file before ({AFTER_FIRST_PART} sent)"
    )
    expect(row.get_by_label("Title", exact=True)).to_have_attribute("readonly", "")
    row.get_by_role("button", name="Resume").click()

    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=DONE_TIMEOUT_MS)
    assert Upload.objects.filter(owner=person).count() == 1  # resumed, not started again
    assert_uploaded(person, data, settings)


def test_a_file_the_api_refuses_shows_the_reason_in_its_row(site_url: str, page: Page, tmp_path) -> None:
    person = open_upload_page(page, site_url)
    path, _ = video_file(tmp_path, name="notes.txt", size=2_000)

    page.get_by_label("Choose files").set_input_files(path)
    row = page.locator(".upload-row", has_text="notes.txt")
    row.get_by_role("button", name="Start upload").click()

    expect(row.get_by_role("status")).to_have_text(
        "“notes.txt” is not a video file we accept (MP4, MOV, M4V, WEBM, MKV)."
    )
    expect(row.locator(".upload-state")).to_have_text("Not accepted")
    expect(row.get_by_role("progressbar")).to_be_hidden()
    assert not Upload.objects.filter(owner=person).exists()

    row.get_by_role("button", name="Remove from list").click()
    expect(page.locator(".upload-row")).to_have_count(0)


def test_cancel_aborts_the_upload_on_the_server(site_url: str, page: Page, tmp_path) -> None:
    person = open_upload_page(page, site_url)
    path, _ = video_file(tmp_path)
    held = hold_requests(page, "**/api/v1/uploads/*/parts/2")
    page.get_by_label("Choose files").set_input_files(path)
    row = page.locator(".upload-row")
    row.get_by_role("button", name="Start upload").click()
    wait_until(lambda: held, page)

    with page.expect_response(lambda response: response.request.method == "DELETE") as deleted:
        row.get_by_role("button", name="Cancel").click()
    assert deleted.value.status == 204
    expect(row.locator(".upload-state")).to_have_text("Cancelled")
    assert Upload.objects.get(owner=person).status == Upload.Status.ABORTED
    assert not Video.objects.filter(owner=person).exists()


def test_a_subtitle_file_is_kept_with_its_row(site_url: str, page: Page, tmp_path) -> None:
    open_upload_page(page, site_url)
    path, _ = video_file(tmp_path, size=1_000)
    subtitles = tmp_path / "holiday.srt"
    subtitles.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")

    page.get_by_label("Choose files").set_input_files(path)
    row = page.locator(".upload-row")
    row.get_by_label("Subtitles").set_input_files(subtitles)

    expect(row.locator(".upload-subtitle-chosen")).to_contain_text("holiday.srt")
    expect(row.locator(".upload-subtitle-chosen")).to_contain_text("will be attached")
    row.get_by_role("button", name="Remove subtitles").click()
    expect(row.locator(".upload-subtitle-chosen")).to_be_hidden()


def test_a_failed_part_is_sent_again_automatically(site_url: str, page: Page, tmp_path, settings) -> None:
    person = open_upload_page(page, site_url)
    path, data = video_file(tmp_path)
    attempts: list[int] = []

    def flaky_first_part(route: Route) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            route.fulfill(status=503, json={"error": {"code": "error", "message": "Busy.", "fields": {}}})
        else:
            route.continue_()

    page.route("**/api/v1/uploads/*/parts/1", flaky_first_part)
    page.get_by_label("Choose files").set_input_files(path)
    row = page.locator(".upload-row")
    row.get_by_role("button", name="Start upload").click()

    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=DONE_TIMEOUT_MS)
    assert len(attempts) == 2
    assert_uploaded(person, data, settings)
