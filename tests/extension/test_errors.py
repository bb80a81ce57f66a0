"""The panel in a real Chromium against the suite's server: it follows the YouTube tab looked at last
(of two); it says what went wrong in words a person can act on (not enough tokens: a link to buy;
too many requests: when to try again; the site unreachable: retrying, and the note being typed
survives a panel reload); the notes' other tools (seek, a range, export, delete with undo); and
Disconnect, which revokes the token."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from accounts.models import ApiToken
from notes.models import Note
from tests.extension.conftest import OTHER_VIDEO_ID, TITLES, LoadedExtension
from tests.extension.fake_youtube import FakeYouTube
from tests.factories import ApiTokenFactory, TranscriptFactory, VideoFactory, empty_wallet_user
from tests.youtube_stub import VIDEO_ID
from videos.models import Video

pytestmark = pytest.mark.browser

EXTENSION_SCOPES = ["chat", "notes:write", "read", "videos:write"]


def connected_panel(extension: LoadedExtension, site: str, token: ApiToken) -> Page:
    """The panel already connected (the connect journey is test_journeys'): the site and the token
    stored where the options page and the connect flow keep them."""
    options = extension.page("options.html")
    connection = {"token": token.secret, "tokenId": token.pk, "name": token.name, "user": {}}  # type: ignore[attr-defined]
    options.evaluate(
        "([site, connection]) => chrome.storage.local.set({ siteOrigin: site, connection })", [site, connection]
    )
    options.close()
    return extension.page("sidepanel.html")


def test_tokens_short_too_many_requests_unreachable_and_disconnect(
    extension: LoadedExtension, sage_url: str, youtube: FakeYouTube
) -> None:
    person = empty_wallet_user()
    video = VideoFactory(
        owner=person, youtube=True, youtube_id=VIDEO_ID, title=TITLES[VIDEO_ID], status=Video.Status.READY, duration=12
    )
    lines = [(0.5, 2.6, "Never gonna give you up"), (2.6, 4.5, "Never gonna let you down")]
    TranscriptFactory(video=video, lines=lines)
    token = ApiTokenFactory(user=person, name="Chromium on Linux extension", scopes=EXTENSION_SCOPES)
    watch = extension.context.new_page()
    watch.goto(youtube.watch_url(VIDEO_ID))
    panel = connected_panel(extension, sage_url, token)
    expect(panel.locator("#video-state")).to_have_text("Ready in SAGE.")

    # Two YouTube tabs: the panel follows the one looked at last.
    other = extension.context.new_page()
    other.goto(youtube.watch_url(OTHER_VIDEO_ID))
    expect(panel.locator("#video-title")).to_have_text(TITLES[OTHER_VIDEO_ID])
    expect(panel.locator("#video-state")).to_have_text("Not in SAGE yet.")
    watch.bring_to_front()
    expect(panel.locator("#video-title")).to_have_text(TITLES[VIDEO_ID])
    expect(panel.locator("#video-state")).to_have_text("Ready in SAGE.")

    # Not enough tokens: the price was said first, and the refusal links to buying more.
    panel.get_by_role("tab", name="Chat").click()
    expect(panel.locator("#chat-allowance")).to_contain_text("Each answer costs 2 tokens.")
    panel.get_by_label("Ask this video").fill("What is never given up?")
    panel.get_by_role("button", name="Ask").click()
    buy = panel.get_by_role("link", name="Buy tokens on SAGE")
    expect(buy).to_be_visible()
    assert buy.get_attribute("href", timeout=1000).startswith(f"{sage_url}/billing/")  # type: ignore[union-attr]
    expect(panel.get_by_label("Ask this video")).to_have_value("What is never given up?")  # kept, to send again

    # Too many requests: when to try again, from Retry-After, counting down.
    def too_many(route: Route) -> None:
        body = {"error": {"code": "throttled", "message": "Request was throttled.", "fields": {}}}
        route.fulfill(status=429, headers={"Retry-After": "30"}, content_type="application/json", body=json.dumps(body))

    panel.route("**/api/v1/conversations/*/messages", too_many)
    panel.get_by_role("button", name="Ask").click()
    expect(panel.locator("#banner-text")).to_have_text(re.compile(r"^Too many requests\. Try again in (30|29|28) s\.$"))
    expect(panel.locator("#banner-text")).to_have_text(re.compile(r"Try again in 2[0-7] s\."), timeout=10_000)
    panel.unroute("**/api/v1/conversations/*/messages")

    # The site unreachable: a note being written is kept, across a panel reload, and sent once it is back.
    panel.get_by_role("tab", name="Notes").click()
    watch.evaluate("document.querySelector('#movie_player video').currentTime = 5")
    panel.route(f"{sage_url}/api/**", lambda route: route.abort("connectionrefused"))
    panel.locator("body").press("n")
    note_box = panel.get_by_label(re.compile(r"^Note at "))
    note_box.fill("Written while the site was down")
    note_box.press("Enter")
    expect(panel.locator("#composer-status")).to_contain_text("Not saved yet")
    expect(panel.locator("#banner-text")).to_contain_text("cannot be reached. Retrying in")
    panel.reload()
    expect(panel.locator("#banner-text")).to_contain_text("cannot be reached. Retrying in")
    assert not Note.objects.filter(video=video).exists()
    panel.unroute(f"{sage_url}/api/**")
    expect(note_box).to_have_value("Written while the site was down", timeout=20_000)  # once the site answers
    expect(panel.locator("#note-time")).to_have_text("00:05")
    note_box.press("Enter")
    expect(panel.locator("#note-list li", has_text="Written while the site was down")).to_contain_text("00:05")
    assert Note.objects.get(video=video).text == "Written while the site was down"

    # A note's time plays that moment on the page.
    watch.evaluate("document.querySelector('#movie_player video').currentTime = 9")
    written = panel.locator("#note-list li", has_text="Written while the site was down")
    written.get_by_role("button", name="00:05", exact=True).click()
    watch.wait_for_function("() => Math.abs(document.querySelector('#movie_player video').currentTime - 5) < 0.3")

    # A range note: `[` where it starts, `]` where it ends.
    watch.evaluate("document.querySelector('#movie_player video').currentTime = 2")
    panel.locator("body").press("[")
    expect(panel.locator("#range-start")).to_contain_text("Range from 00:02")
    watch.evaluate("document.querySelector('#movie_player video').currentTime = 4")
    panel.locator("body").press("]")
    expect(panel.locator("#note-time")).to_have_text("00:02–00:04")
    note_box.fill("The whole first line")
    note_box.press("Enter")
    expect(panel.locator("#note-list li", has_text="The whole first line")).to_contain_text("00:02–00:04")
    ranged = Note.objects.get(video=video, text="The whole first line")
    assert (ranged.start, ranged.end) == (2, 4)

    # Export: the notes as a Markdown file.
    with panel.expect_download() as exported:
        panel.get_by_role("button", name="Export notes (Markdown)").click()
    assert "Written while the site was down" in Path(exported.value.path()).read_text()

    # Delete, with a few seconds to undo; then for good.
    row = panel.locator("#note-list li", has_text="Written while the site was down")
    row.get_by_role("button", name=re.compile("^Delete")).click()
    expect(row).to_have_count(0)
    panel.get_by_role("button", name="Undo").click()
    expect(row).to_be_visible()
    kept = Note.objects.filter(video=video, text="Written while the site was down")
    assert kept.exists()
    row.get_by_role("button", name=re.compile("^Delete")).click()
    expect(panel.get_by_role("button", name="Undo")).to_be_hidden(timeout=10_000)
    # The undo window closed: the DELETE goes out now, and lands a moment later on a busy machine.
    for _ in range(100):
        if not kept.exists():
            break
        panel.wait_for_timeout(100)
    assert not kept.exists()
    expect(row).to_have_count(0)
    expect(panel.locator("#note-list li", has_text="The whole first line")).to_be_visible()

    # Disconnect revokes the token on the site, then forgets it.
    panel.get_by_role("button", name="Disconnect").click()
    expect(panel.get_by_role("button", name="Connect to SAGE")).to_be_visible()
    token.refresh_from_db()
    assert token.revoked_at is not None
    stored: Any = panel.evaluate("chrome.storage.local.get('connection')")
    assert stored == {}
