"""A ProRes master, the format editors deliver, plays in Chromium once processed: pictures, not only
sound (before renditions the player showed the poster with 0 frames decoded)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from billing.ledger import ledger_grant
from sage.synthetic_media.formats import make_format_sample
from tests.browser.signing_in import log_in
from tests.factories import ConversationFactory, UserFactory, uploaded_video
from videos.models import Video
from videos.pipeline import runner
from videos.pipeline.renditions import renditions_backfill

pytestmark = pytest.mark.browser

PLAYED = """async (video) => {
  video.muted = true;
  await video.play();
  const start = video.getVideoPlaybackQuality().totalVideoFrames;
  const painted = await new Promise((resolve) => {
    let count = 0;
    const step = () => (++count >= 5 ? resolve(count) : video.requestVideoFrameCallback(step));
    video.requestVideoFrameCallback(step);
  });
  return {
    width: video.videoWidth,
    height: video.videoHeight,
    painted,
    decoded: video.getVideoPlaybackQuality().totalVideoFrames - start,
    source: video.currentSrc,
  };
}"""


def _processed_master(person: User, tmp_path: Path) -> Video:
    """A ProRes master uploaded by `person` and processed: its rendition and small copy made."""
    ledger_grant(user=person, amount=100, key=f"grant:{person.pk}", memo="test")
    master = make_format_sample("prores_pcm_mov", tmp_path / "master", seconds=3)
    video = uploaded_video(person, master, original_plays=None)
    runner.process_video(video.pk)
    renditions_backfill(video.pk)  # its small copy, made just after ready (if the run's task has not yet)
    video.refresh_from_db()
    assert video.status == Video.Status.READY and video.playable_key and video.small_key, video.error_message
    return video


def test_a_prores_upload_plays_pictures_in_chromium(site_url: str, page: Page, tmp_path: Path) -> None:
    person = UserFactory()
    video = _processed_master(person, tmp_path)

    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    player = page.locator("video[data-player]")
    expect(player).to_be_visible()

    played = player.evaluate(PLAYED)

    assert (played["width"], played["height"]) == (320, 240)
    assert played["painted"] == 5 and played["decoded"] >= 5
    assert played["source"].endswith(f"/videos/{video.pk}/file")
    expect(page.get_by_role("link", name="Download original")).to_have_attribute("href", f"/videos/{video.pk}/original")


def test_the_chat_page_plays_the_small_copy_on_a_phone_and_the_rendition_on_a_wide_screen(
    site_url: str, page: Page, tmp_path: Path
) -> None:
    person = UserFactory()
    video = _processed_master(person, tmp_path)
    conversation = ConversationFactory(owner=person, video=video)
    log_in(page, site_url, person.email)

    played = {}
    for screen, width in (("phone", 390), ("wide", 1280)):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{site_url}/chat/{conversation.pk}/")
        played[screen] = page.locator("video[data-player]").evaluate(PLAYED)

    assert played["phone"]["source"].endswith(f"/videos/{video.pk}/small.mp4")
    assert played["wide"]["source"].endswith(f"/videos/{video.pk}/file")
    assert all(one["painted"] == 5 and one["width"] > 0 for one in played.values())
