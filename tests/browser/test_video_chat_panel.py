"""The chat panel on a video's page in a real browser, against daphne (extractive answers, no
language model): a conversation is started without leaving the page, its answer streams in, a
citation chip seeks the page's own player, and the panel comes back with the conversation after a
reload. On a YouTube video's page a chip asks the page's player script to seek (`sage:seek`), and
opens the page at that time when nothing takes it. The panel also appears, working, when the video
becomes ready while its page is open. Without the panel's script, "New conversation" still works as
a plain form."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.guests import Viewer
from chat.models import Conversation, Message
from chat.services import conversation_create
from tests.browser.signing_in import log_in
from tests.browser.test_chat_page import (
    ANSWER_TIMEOUT_MS,
    RECORD_FRAMES,
    chattable_video,
    conversation_with_answer,
    frame_types,
    long_chattable_video,
)
from tests.browser.test_video_pages import (
    FAKE_YOUTUBE_API,
    keep_off_the_internet,
    page_errors,
    playback,
    ready_video,
    wait_until,
    youtube_video,
)
from tests.factories import MessageFactory, UserFactory
from videos.models import Video

pytestmark = pytest.mark.browser


def test_chatting_in_the_panel_streams_the_answer_and_its_citation_seeks_this_pages_player(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = chattable_video(person, tmp_path, settings)
    errors = page_errors(page)
    page.add_init_script(RECORD_FRAMES)
    log_in(page, site_url, person.email)
    video_url = f"{site_url}/videos/{video.pk}/"

    page.goto(video_url)
    panel = page.locator("[data-chat-panel]")
    expect(panel).to_contain_text("No conversations about this video yet")
    panel.get_by_role("button", name="New conversation").click()
    expect(panel.locator("[data-connection]")).to_have_text("Connected")
    expect(panel.get_by_label("Conversation")).to_contain_text("New conversation")
    conversation = Conversation.objects.get(owner=person, video=video)
    assert page.url == video_url  # started here, not on the conversation's own page
    expect(panel.get_by_role("link", name="Open in full page")).to_have_attribute("href", f"/chat/{conversation.pk}/")

    panel.get_by_label("Your question").fill("Where is the kitchen where we cook?")
    panel.get_by_role("button", name="Send").click()
    expect(panel.locator(".chat-message-user")).to_contain_text("Where is the kitchen where we cook?")
    answer = panel.locator(".chat-message-assistant")
    expect(answer).to_have_attribute("data-status", "complete", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("Here is the kitchen where we cook.")
    types = frame_types(page)
    assert types.count("chunk") >= 2  # streamed, not one reply
    assert types.index("message") < types.index("chunk") < types.index("done")
    # The picker names the conversation by its question, as the server titles it.
    expect(panel.get_by_label("Conversation")).to_contain_text("Where is the kitchen where we cook?")

    chip = answer.locator(".chat-chip", has_text="[00:04] House tour")
    expect(chip).to_be_visible()
    assert playback(page)["time"] < 1
    chip.click()
    wait_until(lambda: 3.5 <= playback(page)["time"] <= 5.5, page)
    assert page.url == video_url  # the page's own player, no navigation

    # After a reload the panel shows the newest conversation again, replayed from the server.
    page.reload()
    expect(panel.locator("[data-connection]")).to_have_text("Connected")
    expect(panel.locator(".chat-message")).to_have_count(2)
    expect(panel.locator(".chat-message-assistant .chat-chip", has_text="[00:04] House tour")).to_be_visible()
    assert errors == []


def test_the_panel_lists_the_videos_conversations_and_switches_between_them(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = chattable_video(person, tmp_path, settings)
    viewer = Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id)
    older = conversation_create(viewer=viewer, video=video)
    Conversation.objects.filter(pk=older.pk).update(title="The older one")
    newer = conversation_create(viewer=viewer, video=video)
    Conversation.objects.filter(pk=newer.pk).update(title="The newer one")
    errors = page_errors(page)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/videos/{video.pk}/")
    panel = page.locator("[data-chat-panel]")
    picker = panel.get_by_label("Conversation")
    expect(picker.locator("option")).to_have_text(["The newer one", "The older one"])
    expect(picker).to_have_value(str(newer.pk))
    expect(panel.locator("[data-connection]")).to_have_text("Connected")

    picker.select_option(label="The older one")
    expect(panel.get_by_role("link", name="Open in full page")).to_have_attribute("href", f"/chat/{older.pk}/")
    expect(panel.locator("[data-connection]")).to_have_text("Connected")
    panel.get_by_label("Your question").fill("What is at the end, in the garden?")
    panel.get_by_label("Your question").press("Enter")
    expect(panel.locator(".chat-message-assistant")).to_have_attribute(
        "data-status", "complete", timeout=ANSWER_TIMEOUT_MS
    )
    assert older.messages.count() == 2 and newer.messages.count() == 0  # asked in the one picked
    expect(picker.locator("option")).to_have_text(["The newer one", "The older one"])  # titles kept
    assert errors == []


def test_without_the_panels_script_new_conversation_opens_it_on_its_own_page(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    page.route("**/static/js/video_chat.js*", lambda route: route.abort())
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/videos/{video.pk}/")
    page.locator("[data-chat-panel]").get_by_role("button", name="New conversation").click()

    conversation = Conversation.objects.get(owner=person, video=video)
    page.wait_for_url(f"{site_url}/chat/{conversation.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")


# Takes the panel's seek requests as a page's player script would, and records them.
def youtube_chat(person) -> tuple[int, Message]:
    """A YouTube video with a conversation whose answer cites 00:12 of it."""
    video = youtube_video(person)
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
    answer = MessageFactory(
        conversation=conversation,
        answer=True,
        content="At [00:12]: *Let us begin.*",
        citations=[{"video_id": video.pk, "start": 12.0, "end": 28.0, "text": "Let us begin."}],
        reply_to__content="When do we begin?",
    )
    return video.pk, answer


@pytest.mark.parametrize("youtube_reachable", [True, False], ids=["youtube-player", "offline"])
def test_on_a_youtube_page_a_chip_seeks_the_youtube_player_or_opens_the_moment(
    site_url: str, page: Page, settings, youtube_reachable: bool
) -> None:
    person = UserFactory()
    video_id, _ = youtube_chat(person)
    keep_off_the_internet(page)  # YouTube's embed and API fail, as offline…
    if youtube_reachable:  # …unless its player API is the recording fake
        page.route(
            f"{settings.YOUTUBE_BASE_URL}/iframe_api",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=FAKE_YOUTUBE_API),
        )
    log_in(page, site_url, person.email)
    video_url = f"{site_url}/videos/{video_id}/"

    page.goto(video_url)
    if youtube_reachable:
        page.wait_for_function("() => window.__youtube && window.__youtube.ready")
    chip = page.locator("[data-chat-panel] .chat-chip", has_text="[00:12] A talk")
    expect(chip).to_be_visible()
    expect(page.locator("[data-chat-panel] .chat-message-assistant em")).to_have_text("Let us begin.")
    chip.click()

    if youtube_reachable:
        wait_until(lambda: ["seekTo", 12] in page.evaluate("window.__youtube.calls"), page)
        assert ["playVideo"] in page.evaluate("window.__youtube.calls")
        assert page.url == video_url
    else:
        page.wait_for_url(f"{video_url}?t=12")


def test_the_panel_appears_and_works_when_the_video_becomes_ready_while_its_page_is_open(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)
    Video.objects.filter(pk=video.pk).update(status=Video.Status.PROCESSING)
    errors = page_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    expect(page.locator("[data-chat-panel]")).to_have_count(0)

    Video.objects.filter(pk=video.pk).update(status=Video.Status.READY)
    # What live.js re-dispatches when the pipeline says the video is ready: video.js swaps the parts in.
    page.evaluate(
        """(id) => document.dispatchEvent(new CustomEvent("sage:event", {
             detail: { type: "video", data: { id, status: "ready", percent: 100 } } }))""",
        video.pk,
    )

    panel = page.locator("[data-chat-panel]")
    expect(panel).to_contain_text("No conversations about this video yet")
    panel.get_by_role("button", name="New conversation").click()
    expect(panel.locator("[data-connection]")).to_have_text("Connected")
    assert page.url == f"{site_url}/videos/{video.pk}/"
    assert errors == []


def test_a_time_in_an_answers_text_seeks_this_pages_player(site_url: str, page: Page, tmp_path: Path, settings) -> None:
    person = UserFactory()
    video = long_chattable_video(person, tmp_path, settings)
    conversation_with_answer(person, video, "The oven is preheated at [00:42], then we bake.")
    errors = page_errors(page)
    log_in(page, site_url, person.email)
    video_url = f"{site_url}/videos/{video.pk}/"

    page.goto(video_url)
    panel = page.locator("[data-chat-panel]")
    expect(panel.locator("[data-connection]")).to_have_text("Connected")
    time_link = panel.locator(".chat-message-assistant").get_by_role("link", name="Play from 00:42")
    expect(time_link).to_have_text("[00:42]")
    assert playback(page)["time"] < 1
    time_link.click()
    wait_until(lambda: 41.5 <= playback(page)["time"] <= 44.0, page)
    assert page.url == video_url  # the page's own player, no navigation
    assert errors == []
