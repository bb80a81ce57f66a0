"""A new version's upload page and an unfinished earlier upload of the same file started as a video
of its own: resuming it would not make the version asked for, so the row offers both (resume that
upload, or start this file as the new version) and makes the new version when asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.test_upload_page import DONE_TIMEOUT_MS, UPLOADED, hold_requests, video_file, wait_until
from tests.factories import UserFactory, VideoFactory
from videos.models import Upload, Video

pytestmark = pytest.mark.browser


def leave_unfinished(page: Page, site_url: str, path: Path) -> None:
    """Start uploading `path` as a video of its own and stop after its first part."""
    page.goto(f"{site_url}/videos/upload/")
    expect(page.locator("#upload-drop-zone")).to_be_visible()
    held = hold_requests(page, "**/api/v1/uploads/*/parts/2")
    page.get_by_label("Choose files").set_input_files(path)
    page.locator(".upload-row").get_by_role("button", name="Start upload").click()
    wait_until(lambda: held, page)
    held[0].abort()
    page.unroute("**/api/v1/uploads/*/parts/2")


def test_a_new_version_is_made_when_asked_not_the_unfinished_upload_resumed(
    site_url: str, page: Page, tmp_path: Path
) -> None:
    owner = UserFactory()
    walk = VideoFactory(owner=owner, title="Walk base", comparable=True)
    log_in(page, site_url, owner.email)
    path, data = video_file(tmp_path, "walk-base-v2.mp4")
    leave_unfinished(page, site_url, path)
    earlier = Upload.objects.get(owner=owner)

    page.goto(f"{site_url}/videos/upload/?version_of={walk.pk}")
    page.get_by_label("Choose the file").set_input_files(path)
    row = page.locator(".upload-row")
    expect(row.get_by_role("status")).to_contain_text("not as a new version of “Walk base”")
    expect(row.get_by_role("button", name="Resume the unfinished upload")).to_be_visible()
    row.get_by_role("button", name="Start as a new version").click()

    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=DONE_TIMEOUT_MS)
    walk.refresh_from_db()
    new_version = Video.objects.get(stack=walk.stack, version=2)
    assert new_version.title == "Walk base" and new_version.size == len(data)
    earlier.refresh_from_db()
    assert earlier.status == Upload.Status.ABORTED


def test_the_unfinished_upload_is_resumed_when_that_is_chosen(site_url: str, page: Page, tmp_path: Path) -> None:
    owner = UserFactory()
    walk = VideoFactory(owner=owner, title="Walk base", comparable=True)
    log_in(page, site_url, owner.email)
    path, data = video_file(tmp_path, "walk-base-v2.mp4")
    leave_unfinished(page, site_url, path)

    page.goto(f"{site_url}/videos/upload/?version_of={walk.pk}")
    page.get_by_label("Choose the file").set_input_files(path)
    row = page.locator(".upload-row")
    row.get_by_role("button", name="Resume the unfinished upload").click()

    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=DONE_TIMEOUT_MS)
    upload = Upload.objects.get(owner=owner)
    assert upload.status == Upload.Status.COMPLETED and upload.video is not None
    assert upload.video.stack_id is None and upload.video.size == len(data)
