"""A new version in a real browser: from a video's page, "Upload a new version" opens the upload page
for one file; once uploaded and processed, v2's page lists both versions and links what changed
since v1 (the comparison made automatically when v2 became ready)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from sage.synthetic_media import Scene, make_video
from tests.browser.signing_in import log_in
from tests.browser.test_upload_flow import PROCESSED_TIMEOUT_MS, UPLOADED, script_errors
from tests.browser.threads import in_worker_thread
from tests.factories import UserFactory, VideoFactory
from videos.models import Comparison, Video

pytestmark = pytest.mark.browser

OPENING, MIDDLE, ENDING = Scene(2, "shapes", seed=1), Scene(2, "bars", seed=2), Scene(2, "gradient", seed=3)


def processed_upload(owner, title: str, source: Path, **fields: object) -> Video:
    """An uploaded file processed by the real pipeline (as a worker would, off the browser's thread);
    `fields` go to the row (e.g. the team `workspace` it was uploaded in)."""
    from videos.tasks import process_video

    video = VideoFactory(owner=owner, title=title, status=Video.Status.QUEUED, **fields)
    key = f"videos/{video.pk}/original{source.suffix}"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=target.stat().st_size)
    in_worker_thread(lambda: process_video(video.pk))
    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    return video


def test_uploading_a_new_version_shows_v2_and_then_what_changed_since_v1(
    site_url: str, page: Page, tmp_path: Path
) -> None:
    from videos.tasks import process_video

    person = UserFactory()
    first = processed_upload(person, "Brand film", make_video(tmp_path / "cut1.mp4", scenes=[OPENING, MIDDLE, ENDING]))
    second_file = make_video(tmp_path / "cut2.mp4", scenes=[OPENING, Scene(2, "noise", seed=9), ENDING])
    errors = script_errors(page)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/videos/{first.pk}/")
    page.get_by_role("link", name="Upload a new version").click()
    expect(page.get_by_role("heading", name="New version of “Brand film”")).to_be_visible()
    expect(page.get_by_text("Drag the new version here")).to_be_visible()  # upload.js has run
    page.get_by_label("Choose the file").set_input_files(second_file)
    row = page.locator(".upload-row", has_text="cut2.mp4")
    expect(row.locator("input[data-field=title]")).to_have_value("Brand film")
    row.get_by_role("button", name="Start upload").click()
    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=20_000)

    second = Video.objects.get(owner=person, version=2)
    first.refresh_from_db()
    assert (first.version, second.stack_id) == (1, first.stack_id)
    page.goto(f"{site_url}/videos/{second.pk}/")
    versions = page.locator("[data-versions]")
    expect(versions).to_contain_text("v2 (this one)")
    expect(versions.get_by_role("link", name="v1")).to_have_attribute("href", f"/videos/{first.pk}/")

    in_worker_thread(lambda: process_video(second.pk))  # ready → v1 and v2 compared (an eager task here)

    comparison = Comparison.objects.get(video_a=first, video_b=second)
    assert comparison.alignment == "cuts"
    # No reload: the page hears v2 become ready, then that its comparison was made.
    link = versions.get_by_role("link", name="Open the comparison")
    expect(link).to_have_attribute("href", f"/compare/{comparison.pk}/", timeout=PROCESSED_TIMEOUT_MS)
    expect(versions).to_contain_text("What changed since v1:")
    link.click()
    expect(page).to_have_url(f"{site_url}/compare/{comparison.pk}/")
    assert errors == []
