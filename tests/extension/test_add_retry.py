"""Adding a video from the panel that fails offers a Retry button that tries again: when the site
refused the request (busy: a 503) and when the video's processing failed on the site."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Route, expect

from tests.extension.conftest import TITLES, LoadedExtension
from tests.extension.fake_youtube import FakeYouTube
from tests.extension.test_errors import EXTENSION_SCOPES, connected_panel
from tests.factories import ApiTokenFactory, UserFactory, VideoFactory
from tests.youtube_stub import VIDEO_ID
from videos.models import Video

pytestmark = pytest.mark.browser


def test_a_failed_add_is_retried_from_the_panel(
    extension: LoadedExtension, sage_url: str, youtube: FakeYouTube
) -> None:
    person = UserFactory()
    token = ApiTokenFactory(user=person, name="Chromium extension", scopes=EXTENSION_SCOPES)
    watch = extension.context.new_page()
    watch.goto(youtube.watch_url(VIDEO_ID))
    panel = connected_panel(extension, sage_url, token)
    expect(panel.locator("#video-state")).to_have_text("Not in SAGE yet.")

    def busy(route: Route) -> None:
        body = {"error": {"code": "unavailable", "message": "SAGE is busy; try again in a moment.", "fields": {}}}
        route.fulfill(status=503, content_type="application/json", body=json.dumps(body))

    panel.route("**/api/v1/videos/youtube", busy)
    panel.get_by_role("button", name="Add to SAGE").click()
    expect(panel.locator("#banner-text")).to_have_text("SAGE is busy; try again in a moment.")
    assert not Video.objects.filter(owner=person).exists()
    panel.unroute("**/api/v1/videos/youtube")

    panel.get_by_role("button", name="Retry").click()

    expect(panel.locator("#video-state")).to_contain_text("Processing")
    expect(panel.locator("#banner")).to_be_hidden()
    assert Video.objects.get(owner=person, youtube_id=VIDEO_ID).title == TITLES[VIDEO_ID]


def test_a_video_whose_processing_failed_is_retried_from_the_panel(
    extension: LoadedExtension, sage_url: str, youtube: FakeYouTube
) -> None:
    person = UserFactory()
    video = VideoFactory(
        owner=person,
        youtube=True,
        youtube_id=VIDEO_ID,
        title=TITLES[VIDEO_ID],
        status=Video.Status.FAILED,
        error_message="YouTube did not answer; try again later.",
    )
    token = ApiTokenFactory(user=person, name="Chromium extension", scopes=EXTENSION_SCOPES)
    watch = extension.context.new_page()
    watch.goto(youtube.watch_url(VIDEO_ID))
    panel = connected_panel(extension, sage_url, token)
    expect(panel.locator("#video-state")).to_have_text("Processing failed: YouTube did not answer; try again later.")

    panel.get_by_role("button", name="Retry").click()

    expect(panel.locator("#video-state")).to_contain_text("Processing:")
    expect(panel.get_by_role("button", name="Retry")).to_be_hidden()
    video.refresh_from_db()
    assert video.status == Video.Status.QUEUED
