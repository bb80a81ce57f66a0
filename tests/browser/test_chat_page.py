"""The conversation page in a real browser, against daphne: a question's answer streams in over the
WebSocket (extractive mode: no language model), a citation chip plays its moment in the inline
player, markup typed into a question stays text, and a message search result opens its
conversation at that message."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.guests import Viewer
from accounts.models import User
from chat.models import Conversation, Message
from chat.services import conversation_create
from tests.browser.test_video_pages import TOUR_LINES, log_in, page_errors, playback, ready_video, wait_until
from tests.factories import UserFactory
from videos.models import TranscriptChunk, Video
from videos.text_embedding.model import embed_texts

pytestmark = pytest.mark.browser

# The first answer loads the text model in the server process: give it time.
ANSWER_TIMEOUT_MS = 60_000
# Every frame the page's sockets receive, in order, so the test can tell a stream from one reply.
RECORD_FRAMES = """
window.__frames = [];
window.__sockets = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    // Only the chat's sockets: live.js keeps its own (/ws/events/) on every signed-in page.
    if (String(args[0]).includes("/ws/chat/")) {
      window.__sockets.push(this);
      this.addEventListener("message", (event) => window.__frames.push(JSON.parse(event.data)));
    }
  }
};
"""


def chattable_video(person: User, tmp_path: Path, settings) -> Video:
    """The person's ready video (test_video_pages' tour), with one searchable chunk per transcript
    line, embedded by the real text model: what a question about it is answered from."""
    video = ready_video(person, tmp_path, settings)
    vectors = embed_texts([text for _, _, text in TOUR_LINES])
    TranscriptChunk.objects.bulk_create(
        TranscriptChunk(video=video, owner=person, index=i, start=start, end=end, text=text, embedding=vector)
        for i, ((start, end, text), vector) in enumerate(zip(TOUR_LINES, vectors, strict=True))
    )
    return video


def frame_types(page: Page) -> list[str]:
    return page.evaluate("() => window.__frames.map((frame) => frame.type)")


def test_an_answer_streams_in_and_its_citation_plays_that_moment(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = chattable_video(person, tmp_path, settings)
    conversation = conversation_create(viewer=Viewer(user=person, guest_id=None), video=video)
    errors = page_errors(page)
    page.add_init_script(RECORD_FRAMES)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/chat/{conversation.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    page.get_by_label("Your question").fill("Where is the kitchen where we cook?")
    page.get_by_role("button", name="Send").click()

    question = page.locator(".chat-message-user")
    expect(question).to_contain_text("Where is the kitchen where we cook?")
    answer = page.locator(".chat-message-assistant")
    expect(answer).to_have_attribute("data-status", "complete", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("Here is the kitchen where we cook.")
    # It streamed: the answer was announced empty, its text came in chunks, then it was finished.
    types = frame_types(page)
    assert types.count("chunk") >= 2
    assert types.index("message") < types.index("chunk") < types.index("done")
    assert types[-1] == "done"

    chip = answer.locator(".chat-chip", has_text="[00:04] House tour")
    expect(chip).to_be_visible()
    assert playback(page)["time"] < 1
    chip.click()
    wait_until(lambda: 3.8 <= playback(page)["time"] <= 6.0, page)
    assert page.url == f"{site_url}/chat/{conversation.pk}/"  # played inline, not by leaving the page

    # A reload replays the conversation from the server: once each, formatted again.
    page.reload()
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    expect(page.locator(".chat-message")).to_have_count(2)
    expect(page.locator(".chat-message-assistant .chat-chip", has_text="[00:04] House tour")).to_be_visible()

    # The connection drops: the page says so, reconnects by itself, catches up without repeats, and chats on.
    before = page.evaluate("() => window.__sockets.length")
    page.evaluate("() => window.__sockets.at(-1).close()")
    expect(page.locator("[data-connection]")).not_to_have_text("Connected")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    assert page.evaluate("() => window.__sockets.length") > before  # a new socket, by itself
    assert page.evaluate("() => window.__sockets.filter((socket) => socket.readyState === 1).length") == 1
    page.get_by_label("Your question").fill("What is at the end, in the garden?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".chat-message")).to_have_count(4)
    expect(page.locator(".chat-message-assistant").last).to_have_attribute(
        "data-status", "complete", timeout=ANSWER_TIMEOUT_MS
    )
    expect(page.locator(".chat-message-assistant").last).to_contain_text("And finally the garden.")
    assert errors == []


def test_markup_in_a_question_renders_as_text_and_runs_nothing(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = chattable_video(person, tmp_path, settings)
    conversation = conversation_create(viewer=Viewer(user=person, guest_id=None), video=video)
    errors = page_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/chat/{conversation.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")

    payload = '<img src=x onerror="window.__xss = 1"> **the garden** <script>window.__xss = 2</script>'
    page.get_by_label("Your question").fill(payload)
    page.get_by_label("Your question").press("Enter")

    question = page.locator(".chat-message-user")
    expect(question).to_contain_text('<img src=x onerror="window.__xss = 1">')
    expect(question).to_contain_text("<script>window.__xss = 2</script>")
    expect(question.locator("strong")).to_have_text("the garden")  # the Markdown that is allowed
    expect(page.locator(".chat-message-assistant")).to_have_attribute(
        "data-status", "complete", timeout=ANSWER_TIMEOUT_MS
    )
    assert page.locator(".chat-messages img, .chat-messages script").count() == 0
    assert page.evaluate("() => window.__xss") is None

    # And again as the server renders it, before and after chat.js takes over.
    page.reload()
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    expect(page.locator(".chat-message-user")).to_contain_text('<img src=x onerror="window.__xss = 1">')
    assert page.locator(".chat-messages img, .chat-messages script").count() == 0
    assert page.evaluate("() => window.__xss") is None
    assert errors == []


def test_a_message_search_result_opens_its_conversation_at_that_message(site_url: str, page: Page) -> None:
    person = UserFactory()
    conversation = conversation_create(viewer=Viewer(user=person, guest_id=None))
    Conversation.objects.filter(pk=conversation.pk).update(title="A long talk")
    texts = [f"Filler question number {number} about the weather." for number in range(30)]
    texts[3] = "How hot should the oven be for the sourdough?"
    vectors = embed_texts(texts)
    messages = [
        Message.objects.create(conversation=conversation, role=Message.Role.USER, content=text, embedding=vector)
        for text, vector in zip(texts, vectors, strict=True)
    ]
    errors = page_errors(page)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/chat/")
    page.get_by_role("link", name="Search my past messages").click()
    page.get_by_label("Search my messages").fill("baking temperature")
    # The first search loads the text model in the server process: give it time.
    page.get_by_role("button", name="Search").click(no_wait_after=True)
    result = page.locator(".chat-search-result").first
    expect(result).to_contain_text("How hot should the oven be for the sourdough?", timeout=ANSWER_TIMEOUT_MS)
    expect(result).to_contain_text("A long talk")
    result.click()

    page.wait_for_url(f"{site_url}/chat/{conversation.pk}/#message-{messages[3].pk}")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    target = page.locator(f"#message-{messages[3].pk}")
    expect(target).to_have_attribute("data-linked", "")
    expect(target).to_be_in_viewport()
    expect(page.locator(f"#message-{messages[29].pk}")).not_to_be_in_viewport()  # not just the bottom
    assert errors == []
