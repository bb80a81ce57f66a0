"""A note from where people's focus is while they watch: the YouTube page. `n` on the watch page (not
while typing in YouTube's search) and the keyboard shortcut each pause the video at that moment and
open a note there in the panel; Enter saves it and the video plays on.

The shortcut itself cannot be pressed headless (Chrome's commands are handled by the browser
window, which headless mode has none of); its listener is run in the service worker with the tab,
as Chrome would, and the shortcut Chrome assigned is read from chrome.commands.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from notes.models import Note
from tests.extension.conftest import TITLES, LoadedExtension
from tests.extension.fake_youtube import FakeYouTube
from tests.extension.test_errors import EXTENSION_SCOPES, connected_panel
from tests.extension.test_journeys import player_paused, start_playing_at
from tests.factories import ApiTokenFactory, UserFactory, VideoFactory
from tests.youtube_stub import VIDEO_ID
from videos.models import Video

pytestmark = pytest.mark.browser


def wait_paused(watch: Page, paused: bool) -> None:
    watch.wait_for_function(f"() => {'' if paused else '!'}document.querySelector('#movie_player video').paused")


def test_a_note_from_the_youtube_page_by_key_and_by_shortcut(
    extension: LoadedExtension, sage_url: str, youtube: FakeYouTube
) -> None:
    person = UserFactory()
    video = VideoFactory(
        owner=person, youtube=True, youtube_id=VIDEO_ID, title=TITLES[VIDEO_ID], status=Video.Status.READY, duration=12
    )
    token = ApiTokenFactory(user=person, name="Chromium on Linux extension", scopes=EXTENSION_SCOPES)
    watch = extension.context.new_page()
    watch.goto(youtube.watch_url(VIDEO_ID))
    panel = connected_panel(extension, sage_url, token)
    expect(panel.locator("#video-state")).to_have_text("Ready in SAGE.")
    note_box = panel.get_by_label(re.compile(r"^Note at "))

    # `n` typed into YouTube's search is a letter of the search, not a note.
    start_playing_at(watch, 1.0)
    watch.get_by_label("Search").press("n")
    expect(watch.get_by_label("Search")).to_have_value("n")
    assert not player_paused(watch)

    # `n` on the page: paused at once, at that moment; the panel opens the note there.
    watch.locator("h1").click()  # the focus leaves the search box, onto the page
    start_playing_at(watch, 3.2)
    watch.keyboard.press("n")
    assert player_paused(watch)  # by the content script, before the panel has answered
    expect(note_box).to_be_visible()
    expect(panel.locator("#note-time")).to_have_text(re.compile(r"^00:0[34]$"))
    note_box.fill("Pressed on the page")
    note_box.press("Enter")
    wait_paused(watch, False)  # it was playing: it plays on
    expect(panel.locator("#note-list li", has_text="Pressed on the page")).to_contain_text(re.compile(r"00:0[34]"))
    assert 3.0 <= Note.objects.get(video=video, text="Pressed on the page").start < 4.5

    # The shortcut: Chrome gave it its suggested keys (nothing of Chrome's took them), and its
    # listener, run as Chrome runs it for the YouTube tab, works with the focus in YouTube's search.
    worker = extension.context.service_workers[0]
    shortcut = worker.evaluate(
        "async () => (await chrome.commands.getAll()).find((command) => command.name === 'note-here').shortcut"
    )
    assert shortcut == "Alt+N"  # Alt+Shift+N, Chromium's own, was left unset
    start_playing_at(watch, 7.0)
    watch.get_by_label("Search").focus()
    worker.evaluate(
        """async () => {
          const { youtubeTab } = await chrome.storage.session.get("youtubeTab");
          chrome.commands.onCommand.dispatch("note-here", { id: youtubeTab.tabId });
        }"""
    )
    wait_paused(watch, True)
    expect(note_box).to_be_visible()
    expect(panel.locator("#note-time")).to_have_text(re.compile(r"^00:0[78]$"))
    note_box.fill("Pressed anywhere")
    note_box.press("Enter")
    wait_paused(watch, False)
    expect(panel.locator("#note-list li", has_text="Pressed anywhere")).to_contain_text(re.compile(r"00:0[78]"))
    assert 7.0 <= Note.objects.get(video=video, text="Pressed anywhere").start < 8.5
