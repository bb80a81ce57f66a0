"""The extension as a person uses it beside a YouTube lecture, in a real Chromium: connect (approve on
the site, the check codes match, the token is listed), add the video (its price said first), a note
at the current time with one key, a question whose citation seeks the page's player, YouTube's
in-page navigation, and a revoked token that asks to reconnect.

The side panel itself cannot be driven by Playwright: the tests open the same page,
chrome-extension://<id>/sidepanel.html, in a tab of its own, which works because the panel follows
the YouTube tab its content script last reported, not the active tab (background.js).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import ApiToken
from chat.models import Message
from notes.models import Note
from notes.tasks import generate_ai_note
from tests.browser.threads import in_worker_thread
from tests.extension.conftest import OTHER_VIDEO_ID, TITLES, LoadedExtension
from tests.extension.fake_youtube import FakeYouTube
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.youtube_stub import VIDEO_ID, youtube_stub
from videos.models import Video
from videos.tasks import process_video

pytestmark = pytest.mark.browser

READY_TIMEOUT_MS = 60_000  # the panel looks again at most every 10 s while the video is processed


def script_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def choose_site(extension: LoadedExtension, site: str) -> None:
    options = extension.page("options.html")
    options.get_by_label("Your SAGE site").fill(site)
    options.get_by_role("button", name="Save").click()
    expect(options.get_by_role("status")).to_have_text(re.compile(rf"^Saved: {re.escape(site)}\."))
    options.close()


def player_time(youtube_page: Page) -> float:
    return float(youtube_page.evaluate("document.querySelector('#movie_player video').currentTime"))


def player_paused(youtube_page: Page) -> bool:
    return bool(youtube_page.evaluate("document.querySelector('#movie_player video').paused"))


def start_playing_at(youtube_page: Page, seconds: float) -> None:
    youtube_page.evaluate(
        """async (seconds) => {
          const video = document.querySelector('#movie_player video');
          if (video.readyState < 1) {
            await new Promise((done) => video.addEventListener('loadedmetadata', done, { once: true }));
          }
          video.currentTime = seconds;
          await video.play();
        }""",
        seconds,
    )


def connect(extension: LoadedExtension, panel: Page, site: str, email: str) -> None:
    """Connect from the panel: the site's page opens, the person signs in, compares the codes, approves."""
    with extension.context.expect_page() as opened:
        panel.get_by_role("button", name="Connect to SAGE").click()
    site_page = opened.value
    site_page.wait_for_url(re.compile(r"/accounts/login/"))
    site_page.locator("input[name=login]").fill(email)
    site_page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    site_page.get_by_role("button", name="Log in", exact=True).click()
    site_page.wait_for_url(re.compile(r"/settings/connect\?challenge="))
    code_on_site = site_page.locator("[data-check-code]").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}", code_on_site)
    expect(panel.locator("#check-code")).to_have_text(code_on_site)
    # Nothing secret on the page the site showed, or in its address.
    assert "sage_" not in site_page.content() and "sage_" not in site_page.url
    site_page.get_by_role("button", name="Approve").click()
    expect(site_page.get_by_role("status")).to_contain_text("Go back to the extension")
    site_page.close()


def test_connect_add_note_ask_follow_and_reconnect(
    extension: LoadedExtension, sage_url: str, youtube: FakeYouTube, settings: Any
) -> None:
    person = UserFactory(display_name="Ada")
    choose_site(extension, sage_url)
    watch = extension.context.new_page()
    watch.goto(youtube.watch_url(VIDEO_ID))
    panel = extension.page("sidepanel.html")
    errors = script_errors(panel)

    # Connect: the token is made for the extension, named for the browser and the day, and listed.
    connect(extension, panel, sage_url, person.email)
    expect(panel.locator("#account-name")).to_have_text("Ada")
    token = ApiToken.objects.get(user=person)
    assert token.name.endswith(" extension, " + token.created_at.strftime("%-d %b %Y"))
    assert sorted(token.scopes) == ["chat", "notes:write", "read", "videos:write"]
    tokens_page = extension.context.new_page()
    tokens_page.goto(f"{sage_url}/settings/")
    expect(tokens_page.locator(".token-table tbody tr", has_text=token.name)).to_contain_text("Active")

    # The video the YouTube tab shows, not yet in SAGE: the price is said before the button.
    expect(panel.locator("#video-title")).to_have_text(TITLES[VIDEO_ID])
    expect(panel.locator("#video-state")).to_have_text("Not in SAGE yet.")
    expect(panel.locator("#add-price")).to_contain_text("free")
    panel.get_by_role("button", name="Add to SAGE").click()
    expect(panel.locator("#video-state")).to_contain_text("Processing")
    video = Video.objects.get(owner=person, youtube_id=VIDEO_ID)
    assert video.title == TITLES[VIDEO_ID]
    with youtube_stub(settings, tracks=[("en", False)]):
        in_worker_thread(lambda: process_video(video.pk))
    expect(panel.locator("#video-state")).to_have_text("Ready in SAGE.", timeout=READY_TIMEOUT_MS)

    # One key: a note at the current time; the video pauses while it is typed and plays on after.
    start_playing_at(watch, 3.2)
    panel.locator("body").press("n")
    note_box = panel.get_by_label(re.compile(r"^Note at "))
    expect(note_box).to_be_focused()
    expect(panel.locator("#note-time")).to_have_text(re.compile(r"^00:0[34]$"))
    watch.wait_for_function("() => document.querySelector('#movie_player video').paused")
    note_box.fill("The chorus starts here")
    panel.reload()  # a panel closed mid-note: what was typed comes back
    expect(note_box).to_have_value("The chorus starts here")
    assert player_paused(watch)
    note_box.press("Enter")
    watch.wait_for_function("() => !document.querySelector('#movie_player video').paused")  # plays on
    expect(panel.locator("#note-list li", has_text="The chorus starts here")).to_contain_text(re.compile(r"00:0[34]"))
    note = Note.objects.get(video=video)
    assert note.text == "The chorus starts here" and 3.0 <= note.start < 4.5
    site_video = extension.context.new_page()
    site_video.goto(f"{sage_url}/videos/{video.pk}/")
    expect(site_video.get_by_text("The chorus starts here")).to_be_visible()
    site_video.close()

    # A note written for the person: its price said first (free here: no language model is configured,
    # so it quotes the transcript), "Writing…" until the worker has written it.
    expect(panel.locator("#ai-price")).to_contain_text("transcript excerpt): free")
    watch.evaluate("document.querySelector('#movie_player video').pause()")
    watch.evaluate("document.querySelector('#movie_player video').currentTime = 1")
    panel.get_by_role("button", name="AI note here").click()
    written = panel.locator("#note-list li").first
    expect(written).to_contain_text("Writing…")
    excerpt = Note.objects.get(video=video, text="")
    in_worker_thread(lambda: generate_ai_note(excerpt.pk))
    expect(written).to_contain_text("Never gonna give you up", timeout=20_000)
    expect(written).not_to_contain_text("Writing…")

    # A question; a [mm:ss] in the answer seeks the page's own player.
    panel.get_by_role("tab", name="Chat").click()
    expect(panel.locator("#chat-allowance")).to_contain_text("questions left today")
    start_playing_at(watch, 10.0)
    panel.get_by_label("Ask this video").fill("never gonna give you up?")
    panel.get_by_role("button", name="Ask").click()
    citation = panel.locator("#messages .message-answer button.time").first
    expect(citation).to_be_visible(timeout=60_000)  # the first question loads the text model
    answer = Message.objects.filter(conversation__video=video, role=Message.Role.ASSISTANT).get()
    cited_starts = [each["start"] for each in answer.citations]
    citation.click()
    watch.wait_for_function(
        """(starts) => {
          const now = document.querySelector('#movie_player video').currentTime;
          return starts.some((start) => Math.abs(now - start) < 0.6);
        }""",
        arg=cited_starts,
    )
    assert player_time(watch) < 5

    # Search in the transcript (fetched once, filtered as one types); a line seeks the player.
    panel.get_by_role("tab", name="Transcript").click()
    panel.get_by_label("Search the transcript").fill("GIVE you")
    expect(panel.locator("#transcript-status")).to_have_text("1 line says “GIVE you”.")
    start_playing_at(watch, 9.0)
    panel.locator("#transcript-lines li", has_text="Never gonna give you up").get_by_role("button").click()
    watch.wait_for_function("() => Math.abs(document.querySelector('#movie_player video').currentTime - 0.5) < 0.6")

    # YouTube moves to another video in-page: the panel follows without a reload.
    panel.evaluate("window.__notReloaded = true")
    watch.get_by_role("link", name=TITLES[OTHER_VIDEO_ID]).click()
    expect(panel.locator("#video-title")).to_have_text(TITLES[OTHER_VIDEO_ID])
    expect(panel.locator("#video-state")).to_have_text("Not in SAGE yet.")
    assert panel.evaluate("window.__notReloaded") is True

    # Revoked on the site: the panel's next request says to reconnect.
    tokens_page.reload()
    tokens_page.on("dialog", lambda dialog: dialog.accept())
    tokens_page.locator(".token-table tbody tr", has_text=token.name).get_by_role("button", name="Revoke").click()
    expect(tokens_page.locator(".token-table tbody tr", has_text=token.name)).to_contain_text("Revoked")
    watch.go_back()  # back to the first video: the panel asks SAGE about it
    expect(panel.get_by_role("button", name="Reconnect")).to_be_visible()
    expect(panel.locator("#banner-text")).to_contain_text("token was revoked")
    # Reconnecting is the connect flow again (already signed in on the site: straight to the page).
    with extension.context.expect_page() as opened:
        panel.get_by_role("button", name="Reconnect").click()
    again = opened.value
    again.wait_for_url(re.compile(r"/settings/connect\?challenge="))
    expect(panel.locator("#check-code")).to_have_text(again.locator("[data-check-code]").inner_text())
    again.get_by_role("button", name="Approve").click()
    expect(panel.locator("#video-state")).to_have_text("Ready in SAGE.")
    assert ApiToken.objects.filter(user=person, revoked_at__isnull=True).count() == 1
    # Expected refusals the browser logs: the connect poll's 404 until the site's page has shown the
    # request, and the revoked token's 401s. Nothing else may fail.
    assert [error for error in errors if "status of 404" not in error and "status of 401" not in error] == []
