"""The notes panel on a video's page in a real browser: N pauses the video and opens an editor at
the current time, Enter saves, the note is listed and marked under the player, a click on it seeks
back, it is edited in place, deleted with an undo that sends nothing, and deleted for good once the
undo toast is gone; the filter hides other notes; a bad time gets the server's message beside the
field; the YouTube player is driven the same way; a note saved empty (without a language model, a
free transcript excerpt) shows "writing…" until its text (and its frame still) arrive live; range
notes, the export links, the page without JavaScript, and note text that looks like HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from devtools import processes
from notes.models import Note
from notes.tasks import generate_ai_note, make_note_frame
from tests.browser.signing_in import log_in
from tests.browser.test_compare_page import script_errors
from tests.browser.test_video_pages import (
    keep_off_the_internet,
    playback,
    ready_video,
    transcript_line,
    wait_until,
    wait_until_playing_past,
    youtube_video,
)
from tests.factories import NoteFactory, TeamWorkspaceFactory, UserFactory, team_member, team_owner
from videos.models import Video
from workspaces.models import Membership, Role

pytestmark = pytest.mark.browser

UNDO_SECONDS = 6  # notes_panel.js UNDO_MS
# The YouTube IFrame API as far as video.js and the notes panel use it, recording what they ask.
FAKE_YOUTUBE_API = """
window.__youtube = { calls: [], time: 0, state: 2, ready: false };
window.YT = {
  PlayerState: { PLAYING: 1, PAUSED: 2 },
  Player: function (element, options) {
    this.getCurrentTime = () => window.__youtube.time;
    this.getDuration = () => 60;
    this.getPlayerState = () => window.__youtube.state;
    this.seekTo = (seconds) => { window.__youtube.calls.push(["seekTo", seconds]); window.__youtube.time = seconds; };
    this.playVideo = () => { window.__youtube.calls.push(["playVideo"]); window.__youtube.state = 1; };
    this.pauseVideo = () => { window.__youtube.calls.push(["pauseVideo"]); window.__youtube.state = 2; };
    setTimeout(() => { options.events.onReady({ target: this }); window.__youtube.ready = true; }, 0);
  },
};
window.onYouTubeIframeAPIReady();
"""


def notes_panel(page: Page) -> Locator:
    return page.locator("[data-notes-panel]")


def note_item(page: Page, text: str) -> Locator:
    return notes_panel(page).locator(".note", has_text=text)


def watch_presented_frames(page: Page) -> None:
    """Keeps, in the page, the media time of the last frame the browser presented (its own record,
    beside the page's scripts)."""
    page.locator("video[data-player]").evaluate(
        """(video) => {
          const record = (_now, metadata) => {
            window.__lastPresented = metadata.mediaTime;
            video.requestVideoFrameCallback(record);
          };
          video.requestVideoFrameCallback(record);
        }"""
    )
    wait_until(lambda: page.evaluate("window.__lastPresented !== undefined"), page)


def last_presented_time(page: Page) -> float:
    return float(page.evaluate("window.__lastPresented"))


def mark_position(page: Page, note_id: int) -> float:
    """Where a note's mark sits along the strip under the player, from 0 (start) to 1 (end)."""
    return page.evaluate(
        """(noteId) => {
          const strip = document.querySelector("[data-notes-timeline]").getBoundingClientRect();
          const mark = document.querySelector(`.notes-timeline-mark[data-note-id="${noteId}"]`).getBoundingClientRect();
          return (mark.left + mark.width / 2 - strip.left) / strip.width;
        }""",
        note_id,
    )


def test_a_note_is_added_with_n_listed_marked_seeked_edited_filtered_and_deleted_with_undo(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)  # 8 seconds
    garden = NoteFactory(owner=person, video=video, start=6.5, text="The garden at dusk")
    errors = script_errors(page)
    deletes: list[str] = []
    page.on("request", lambda request: deletes.append(request.url) if request.method == "DELETE" else None)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    expect(note_item(page, "The garden at dusk")).to_contain_text("[00:06]")
    expect(page.locator(".notes-timeline-mark")).to_have_count(1)

    # Play from the hallway line; N pauses the video and opens the editor at the current time.
    transcript_line(page, "the hallway").get_by_role("link").click()
    wait_until_playing_past(page, 2.5)
    watch_presented_frames(page)
    shown_before_n = last_presented_time(page)
    page.keyboard.press("n")
    text_box = notes_panel(page).get_by_role("textbox", name="Note", exact=True)
    expect(text_box).to_be_focused()
    paused = playback(page)
    assert paused["paused"] is True
    shown_at_pause = last_presented_time(page)
    # The frames the note may be on: from the one shown at the key press to the last one shown by the
    # pause (a frame is presented a hair before its time, so it may be one past the paused clock's).
    rate = float(video.timebase.rate)
    first, last = (int(seconds * rate + 0.001) for seconds in (shown_before_n, max(paused["time"], shown_at_pause)))
    start_box = notes_panel(page).get_by_role("textbox", name="Start")
    assert start_box.input_value() in {f"00:0{int(first / rate)}", f"00:0{int((last + 0.5) / rate)}"}
    page.keyboard.type("The hallway is **narrow**")
    expect(text_box).to_have_value("The hallway is **narrow**")  # the N itself did not land in it
    page.keyboard.press("Enter")

    # Saved: listed in time order with its Markdown rendered, and playback goes on.
    hallway = note_item(page, "The hallway is narrow")
    expect(hallway.locator("strong")).to_have_text("narrow")
    note = Note.objects.get(owner=person, video=video, text="The hallway is **narrow**")
    expect(notes_panel(page).locator(".note .note-time")).to_have_text([f"[00:0{int(note.start)}]", "[00:06]"])
    expect(text_box).to_have_count(0)
    # At the middle of a frame the picture showed between the key press and the pause: never one it
    # had not reached, though the clock may have run frames ahead of the picture (more on a busy machine).
    frame = note.start * rate - 0.5
    assert frame == pytest.approx(round(frame), abs=0.05)
    assert first <= round(frame) <= last
    assert note.ai_generated is False
    wait_until(lambda: not playback(page)["paused"], page)

    # A mark per note under the player, where the note is in the video.
    expect(page.locator(".notes-timeline-mark")).to_have_count(2)
    assert mark_position(page, note.pk) == pytest.approx(note.start / 8.0, abs=0.02)
    assert mark_position(page, garden.pk) == pytest.approx(6.5 / 8.0, abs=0.02)

    # A click on the note seeks back to it.
    wait_until(lambda: playback(page)["time"] > note.start + 1.0, page)
    hallway.locator(".note-text").click()
    assert playback(page)["time"] == pytest.approx(note.start, abs=0.5)

    # Edited in place: a double click opens its editor with the text as written.
    hallway.locator(".note-text").dblclick()
    editor = notes_panel(page).locator(".note.is-editing")
    expect(editor.get_by_role("textbox", name="Note", exact=True)).to_have_value("The hallway is **narrow**")
    editor.get_by_role("textbox", name="Note", exact=True).fill("The hallway is wide")
    editor.get_by_role("button", name="Save").click()
    expect(note_item(page, "The hallway is wide")).to_be_visible()
    expect(note_item(page, "narrow")).to_have_count(0)
    wait_until(lambda: Note.objects.get(pk=note.pk).text == "The hallway is wide", page)

    # The filter hides the notes without its words.
    notes_filter = notes_panel(page).get_by_label("Filter notes")
    notes_filter.fill("GARDEN")
    expect(notes_panel(page).locator(".note:visible")).to_have_count(1)
    expect(note_item(page, "The garden at dusk")).to_be_visible()
    expect(notes_panel(page).locator("[data-notes-status]")).to_have_text("1 of 2 notes")
    notes_filter.fill("volcano")
    expect(notes_panel(page).locator(".note:visible")).to_have_count(0)
    expect(notes_panel(page).locator("[data-notes-status]")).to_have_text("No note contains these words.")
    notes_filter.fill("")
    expect(notes_panel(page).locator(".note:visible")).to_have_count(2)

    # Delete, then Undo: the note comes back and nothing was sent.
    label = note_item(page, "The hallway is wide").locator(".note-time").inner_text().strip("[]")
    notes_panel(page).get_by_role("button", name=f"Delete the note at {label}").click()
    expect(note_item(page, "The hallway is wide")).to_have_count(0)
    expect(page.locator("[data-notes-toast]")).to_contain_text(f"Note at {label} deleted.")
    page.get_by_role("button", name="Undo").click()
    expect(note_item(page, "The hallway is wide")).to_be_visible()
    expect(page.locator("[data-notes-toast]")).to_be_hidden()
    expect(page.locator(".notes-timeline-mark")).to_have_count(2)
    page.wait_for_timeout(UNDO_SECONDS * 1000 + 500)  # past the toast's time: still nothing sent
    assert deletes == []
    assert Note.objects.filter(pk=note.pk).exists()

    # Delete for good: the row goes when the toast does.
    notes_panel(page).get_by_role("button", name=f"Delete the note at {label}").click()
    expect(note_item(page, "The hallway is wide")).to_have_count(0)
    expect(page.locator(".notes-timeline-mark")).to_have_count(1)
    assert Note.objects.filter(pk=note.pk).exists()  # the toast still offers Undo
    expect(page.locator("[data-notes-toast]")).to_be_hidden(timeout=(UNDO_SECONDS + 4) * 1000)
    wait_until(lambda: not Note.objects.filter(pk=note.pk).exists(), page)
    assert deletes == [f"{site_url}/api/v1/notes/{note.pk}"]
    assert Note.objects.filter(pk=garden.pk).exists()
    assert errors == []


def test_a_bad_time_is_refused_with_the_servers_message_beside_the_field(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")

    notes_panel(page).get_by_role("button", name="Add note").click()
    start = notes_panel(page).get_by_role("textbox", name="Start")
    start.fill("12:99")
    notes_panel(page).get_by_role("textbox", name="Note", exact=True).fill("Too late")
    notes_panel(page).get_by_role("button", name="Save").click()

    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_be_focused()
    expect(notes_panel(page).get_by_role("alert")).not_to_be_empty()
    assert not Note.objects.filter(owner=person).exists()
    # Escape gives up: the editor closes and nothing is saved.
    page.keyboard.press("Escape")
    expect(notes_panel(page).locator(".note-editor")).to_have_count(0)
    assert not Note.objects.filter(owner=person).exists()


def test_with_the_youtube_player_n_pauses_it_and_a_note_seeks_it(site_url: str, page: Page, settings) -> None:
    person = UserFactory()
    video = youtube_video(person)  # 60 seconds
    keep_off_the_internet(page)

    def fake_api(route: Route) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=FAKE_YOUTUBE_API)

    page.route(f"{settings.YOUTUBE_BASE_URL}/iframe_api", fake_api)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    page.wait_for_function("() => window.__youtube && window.__youtube.ready")
    page.evaluate("window.__youtube.state = 1; window.__youtube.time = 31.5")  # playing, at 0:31.5

    page.get_by_role("heading", name="Notes").click()  # focus on the page, not in the player's frame
    page.keyboard.press("n")
    expect(notes_panel(page).get_by_role("textbox", name="Start")).to_have_value("00:31")
    page.keyboard.type("Questions start here")
    page.keyboard.press("Enter")

    expect(note_item(page, "Questions start here")).to_contain_text("[00:31]")
    note = Note.objects.get(owner=person, video=video)
    assert note.start == pytest.approx(31.5)
    # Paused while typing, playing again after Save.
    assert page.evaluate("window.__youtube.calls") == [["pauseVideo"], ["playVideo"]]
    expect(page.locator(".notes-timeline-mark")).to_have_count(1)
    assert mark_position(page, note.pk) == pytest.approx(31.5 / 60, abs=0.02)

    page.evaluate("window.__youtube.calls = []; window.__youtube.time = 50")
    note_item(page, "Questions start here").get_by_role("link", name="Play from 00:31").click()
    assert page.evaluate("window.__youtube.calls") == [["seekTo", 31.5], ["playVideo"]]
    assert page.url == f"{site_url}/videos/{video.pk}/"


@pytest.mark.worker
def test_a_note_saved_empty_is_a_free_transcript_excerpt_and_shows_writing_until_its_text_arrives_live(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    assert person.ai_notes_enabled
    video = ready_video(person, tmp_path, settings)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/?t=4")
    wait_until(lambda: playback(page)["time"] >= 4.0, page)

    # No worker yet: the note waits for one, and says so.
    notes_panel(page).get_by_role("button", name="Add note").click()
    # Without a language model, the editor says before saving what an empty note becomes, and its price.
    expect(notes_panel(page).locator("[data-note-price]")).to_contain_text("transcript excerpt")
    expect(notes_panel(page).locator("[data-note-price]")).to_contain_text("Free.")
    notes_panel(page).get_by_role("button", name="Save").click()
    pending = notes_panel(page).locator(".note", has_text="writing…")
    expect(pending).to_be_visible()
    expect(pending.locator(".note-ai-badge")).to_have_text("Transcript excerpt")
    note = Note.objects.get(owner=person, video=video)
    assert not note.ai_generated and note.ai_status

    # Only the live event can bring the text: the panel's fallback poll of the list is cut off.
    page.route(re.compile(r".*/api/v1/videos/\d+/notes$"), lambda route: route.abort())
    with processes.celery_worker():
        # The worker's start purged the queue the note's tasks had used.
        generate_ai_note.delay(note.pk)
        make_note_frame.delay(note.pk)
        # The worker writes it from the transcript around 0:04, and takes the frame there; the page
        # gets both live.
        filled = notes_panel(page).locator(".note", has_text="kitchen")
        expect(filled).to_be_visible(timeout=60_000)
        frame = filled.get_by_role("img", name="The picture at 00:04")
        expect(frame).to_have_attribute("src", f"/notes/{note.pk}/frame.jpg", timeout=30_000)
        wait_until(lambda: frame.evaluate("(image) => image.complete && image.naturalWidth > 0"), page)
    expect(filled.locator(".note-ai-badge")).to_have_text("Transcript excerpt")
    expect(notes_panel(page).locator(".note", has_text="writing…")).to_have_count(0)
    note.refresh_from_db()
    assert note.ai_status == Note.AiStatus.DONE
    assert "kitchen" in note.text


def test_a_range_note_shows_both_times_and_its_mark_spans_the_range(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)  # 8 seconds
    note = NoteFactory(owner=person, video=video, start=2.0, end=6.0, text="The middle part")
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")

    expect(note_item(page, "The middle part").locator(".note-time")).to_have_text("[00:02–00:06]")
    span = page.evaluate(
        """(noteId) => {
          const strip = document.querySelector("[data-notes-timeline]").getBoundingClientRect();
          const mark = document.querySelector(`.notes-timeline-mark[data-note-id="${noteId}"]`).getBoundingClientRect();
          return [(mark.left - strip.left) / strip.width, (mark.right - strip.left) / strip.width];
        }""",
        note.pk,
    )
    assert span == [pytest.approx(0.25, abs=0.02), pytest.approx(0.75, abs=0.02)]


def test_the_export_links_download_this_videos_notes(site_url: str, page: Page, tmp_path: Path, settings) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    NoteFactory(owner=person, video=video, start=4.0, text="Where they cook")
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    # The page's panels fill in after load (comments, chat, links) and move what is below them: a
    # click aimed while they land can hit the wrong spot, as a person's would.
    page.wait_for_load_state("networkidle")

    with page.expect_download() as markdown:
        notes_panel(page).get_by_role("link", name="Markdown").click()
    text = Path(markdown.value.path()).read_text()
    assert text.startswith("# House tour")
    assert "[00:04]" in text and "Where they cook" in text

    with page.expect_download() as exported:
        notes_panel(page).get_by_role("link", name="JSON").click()
    assert "Where they cook" in Path(exported.value.path()).read_text()


def test_without_javascript_the_notes_are_listed_with_links_to_their_moments(
    site_url: str, browser, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    NoteFactory(owner=person, video=video, start=4.0, end=6.0, text="Where they *cook*")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, site_url, person.email)
        page.goto(f"{site_url}/videos/{video.pk}/")

        note = note_item(page, "Where they cook")
        expect(note.locator("em")).to_have_text("cook")
        expect(notes_panel(page).get_by_role("button", name="Add note")).to_be_hidden()
        expect(note.get_by_role("button")).to_have_count(0)  # edit and delete need the script
        note.get_by_role("link", name="Play from 00:04").click()
        page.wait_for_url(f"{site_url}/videos/{video.pk}/?t=4.000")
        full_copy = page.locator("video[data-player] source[data-quality=full]")
        expect(full_copy).to_have_attribute("src", re.compile(r"#t=4$"))
    finally:
        context.close()


def test_a_note_that_looks_like_html_is_shown_as_text(site_url: str, page: Page, tmp_path: Path, settings) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    NoteFactory(owner=person, video=video, start=1.0, text='<img src=x onerror="window.__ran = true">')
    errors = script_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")

    expect(note_item(page, "<img src=x")).to_be_visible()
    expect(notes_panel(page).locator(".note img:not([data-note-frame])")).to_have_count(0)
    # Typed in the page and saved, it comes back from the server as text too.
    page.keyboard.press("n")
    page.keyboard.type("<b onmouseover=alert(1)>bold?</b>")
    page.keyboard.press("Enter")
    expect(note_item(page, "<b onmouseover")).to_be_visible()
    expect(notes_panel(page).locator(".note b")).to_have_count(0)
    assert page.evaluate("window.__ran") is None
    assert errors == []


def test_a_refused_delete_brings_the_note_back_saying_what_role_it_takes(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    team = TeamWorkspaceFactory(name="Northwind")
    owner = team_owner(team)
    video = ready_video(owner, tmp_path, settings)
    Video.objects.filter(pk=video.pk).update(workspace=team)
    commenter = team_member(team, Role.COMMENTER)
    NoteFactory(owner=commenter, workspace=team, video=video, start=1.0, text="Logo too small")
    errors = script_errors(page)
    log_in(page, site_url, commenter.email)
    page.goto(f"{site_url}/videos/{video.pk}/")  # a link into the team: the page moves there
    item = note_item(page, "Logo too small")
    expect(item.get_by_role("button", name="Delete the note at 00:01")).to_be_visible()

    # Made a viewer while the page is open: the delete is refused when the toast's time is up.
    Membership.objects.filter(workspace=team, user=commenter).update(role=Role.VIEWER)
    item.get_by_role("button", name="Delete the note at 00:01").click()
    expect(note_item(page, "Logo too small")).to_have_count(0)
    expect(note_item(page, "Logo too small")).to_be_visible(timeout=(UNDO_SECONDS + 4) * 1000)
    expect(notes_panel(page).locator("[data-notes-status]")).to_have_text(
        "Viewers of this workspace can watch and read, not comment or take notes."
    )
    expect(note_item(page, "Logo too small").get_by_role("button", name="Delete the note at 00:01")).to_be_hidden()
    expect(page.locator("[data-notes-toast]")).to_be_hidden()
    assert Note.objects.filter(text="Logo too small").exists()
    assert [error for error in errors if "status of 403" not in error] == []  # the refusal itself is logged
