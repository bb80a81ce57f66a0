"""The page a share link opens, in a real browser with no account: it plays and seeks through the
link's signed media URLs, renews them before they expire, and asks nothing outside the link."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from playwright.sync_api import Page, expect

from devtools import processes
from tests.browser.test_compare_page import (  # noqa: F401  # fixtures: two real files and their comparison
    refined_comparison,
    refined_files,
    script_errors,
    stored_video,
    wait_until,
)
from tests.factories import NoteFactory, ShareLinkFactory, UserFactory
from videos.models import Comparison

pytestmark = pytest.mark.browser


def allowed_paths(token: str) -> tuple[str, ...]:
    # The link's own page, JSON and media; the site's static files; the sockets; the comments API of
    # this link (reviews/comments.js). The favicon is the site's, the same for every page.
    return (f"/s/{token}/", "/static/", "/ws/", f"/api/v1/shared/{token}/", "/favicon.ico")


def record_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.on("websocket", lambda socket: seen.append(socket.url))
    return seen


def outside(seen: list[str], token: str) -> list[str]:
    return [url for url in seen if not urlparse(url).path.startswith(allowed_paths(token))]


def player_state(page: Page, side: str) -> dict:
    return page.evaluate(
        """(side) => {
          const video = document.querySelector(`video[data-player="${side}"]`);
          return { time: video.currentTime, paused: video.paused, src: video.currentSrc, ready: video.readyState };
        }""",
        side,
    )


@pytest.fixture
def shared_link(refined_comparison: Comparison) -> Any:  # noqa: F811  # a ShareLink with its .token
    NoteFactory(owner=refined_comparison.owner, video=refined_comparison.video_b, start=5.0, text="Logo")
    return ShareLinkFactory(comparison=refined_comparison, show_owner_notes=True, name="Client")


def test_a_guest_plays_and_seeks_the_shared_comparison_and_every_request_stays_under_the_link(
    site_url: str, page: Page, shared_link: Any
) -> None:
    token = shared_link.token
    seen = record_requests(page)
    errors = script_errors(page)

    page.goto(f"{site_url}/s/{token}/")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('video[data-player]')].every((video) => video.readyState >= 3)"
    )
    expect(page.locator(".compare-note")).to_have_count(1)  # the owner's note, as the link chose
    expect(page.locator("[data-note-open]")).to_be_hidden()  # nothing to add
    expect(page.locator("[data-threshold-save]")).to_be_hidden()

    page.get_by_role("button", name="Play both").click()
    wait_until(lambda: player_state(page, "a")["time"] > 1.0, page)
    # Seek: the list's third difference (B's inserted stretch, at A's 9.6 s), playing on from there.
    page.locator('[data-difference="2"] [data-seek-difference]').click()
    wait_until(lambda: player_state(page, "b")["time"] > 11.2, page)
    # The slider judges through the link.
    with page.expect_response(lambda response: "/comparison.json?threshold=" in response.url) as judged:
        page.locator("[data-threshold]").fill("0.5")
    assert judged.value.status == 200

    media = [url for url in seen if urlparse(url).path.startswith(f"/s/{token}/media/")]
    assert len({urlparse(url).path for url in media}) >= 4, media  # two files, two posters (and sprites)
    assert outside(seen, token) == []
    assert errors == []


def test_the_page_renews_its_media_urls_before_they_expire_and_playback_goes_on(
    transactional_db, browser, shared_link: Any
) -> None:
    token = shared_link.token
    with processes.daphne_server(SHARE_MEDIA_URL_SECONDS="3") as url:
        context = browser.new_context()
        page = context.new_page()
        try:
            seen = record_requests(page)
            page.goto(f"{url}/s/{token}/")
            expect(page.get_by_role("button", name="Play both")).to_be_visible()
            first = player_state(page, "a")["src"]
            page.get_by_role("button", name="Play both").click()
            wait_until(lambda: player_state(page, "a")["src"] != first, page, timeout_s=10)
            # Past the first URL's lifetime the players still play, on the new URLs.
            wait_until(lambda: player_state(page, "a")["time"] > 4.5, page, timeout_s=20)
            now = player_state(page, "a")
            assert not now["paused"] and now["src"].startswith(f"{url}/s/{token}/media/")
            assert requests.get(first, timeout=10).status_code == 404  # the first has expired
            assert requests.get(now["src"], headers={"Range": "bytes=0-9"}, timeout=10).status_code == 206
            assert any(urlparse(seen_url).path == f"/s/{token}/media.json" for seen_url in seen)
            assert outside(seen, token) == []
        finally:
            context.close()


def test_a_shared_video_plays_through_the_link_with_its_transcript_panel(
    site_url: str,
    page: Page,
    refined_files,  # noqa: F811
    settings,
    transactional_db,
) -> None:
    video = stored_video(UserFactory(), refined_files[0], "Interview, alone", 14.0, 15, settings)
    link = ShareLinkFactory(video=video)
    seen = record_requests(page)

    page.goto(f"{site_url}/s/{link.token}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Interview, alone")
    expect(page.locator(".transcript-panel")).to_be_visible()
    player = page.locator("video[data-player]")
    player.evaluate("(video) => { video.muted = true; return video.play(); }")
    wait_until(lambda: player.evaluate("(video) => video.currentTime") > 1.0, page)
    player.evaluate("(video) => { video.currentTime = 10; }")
    wait_until(lambda: player.evaluate("(video) => video.currentTime >= 10 && video.readyState >= 3"), page)
    assert re.match(rf"{site_url}/s/{link.token}/media/", player.evaluate("(video) => video.currentSrc"))
    assert outside(seen, link.token) == []
