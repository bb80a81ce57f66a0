"""The conversation page in a real browser, against daphne: a question's answer streams in over the
WebSocket (extractive mode: no language model), a citation chip plays its moment in the inline
player, markup typed into a question stays text, and a message search result opens its
conversation at that message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.guests import Viewer
from accounts.models import User
from chat.models import Conversation
from chat.services import conversation_create
from sage.synthetic_media import make_video as make_media
from tests.browser.signing_in import log_in
from tests.browser.test_video_pages import (
    TOUR_LINES,
    page_errors,
    playback,
    ready_video,
    wait_until,
)
from tests.factories import MessageFactory, TranscriptFactory, UserFactory, VideoFactory, chunk_rows
from videos.models import Video
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
    chunk_rows(video, TOUR_LINES)
    return video


def frame_types(page: Page) -> list[str]:
    return page.evaluate("() => window.__frames.map((frame) => frame.type)")


def test_an_answer_streams_in_and_its_citation_plays_that_moment(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = chattable_video(person, tmp_path, settings)
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
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

    # Signed out meanwhile (another tab, an expired session): the next connection is refused with a
    # code the page reads, so it says why and stops, instead of "reconnecting" for ever.
    page.context.clear_cookies()
    page.evaluate("() => window.__sockets.at(-1).close()")
    expect(page.locator("[data-connection]")).to_have_text("You are signed out: log in again to chat.")
    tried = page.evaluate("() => window.__sockets.length")
    page.wait_for_timeout(1500)  # three times the first retry's wait: none comes
    assert page.evaluate("() => window.__sockets.length") == tried
    assert errors == []


def test_markup_in_a_question_renders_as_text_and_runs_nothing(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = chattable_video(person, tmp_path, settings)
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
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
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id)
    )
    Conversation.objects.filter(pk=conversation.pk).update(title="A long talk")
    texts = [f"Filler question number {number} about the weather." for number in range(30)]
    texts[3] = "How hot should the oven be for the sourdough?"
    vectors = embed_texts(texts)
    messages = [
        MessageFactory(conversation=conversation, content=text, embedding=vector)
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


def long_chattable_video(person: User, tmp_path: Path, settings, *, seconds: float = 50.0) -> Video:
    """A ready video of `seconds` (long enough for a moment at 00:42), with TOUR_LINES' transcript."""
    source = make_media(tmp_path / "long.mp4", seconds=seconds)
    video = VideoFactory(owner=person, title="House tour", status=Video.Status.READY, duration=seconds)
    key = f"videos/{video.pk}/original.mp4"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=target.stat().st_size)
    TranscriptFactory(video=video, lines=TOUR_LINES)
    video.refresh_from_db()
    return video


def conversation_with_answer(person: User, video: Video, content: str) -> Conversation:
    """A conversation about `video` with one question and its finished answer, `content`."""
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
    MessageFactory(conversation=conversation, answer=True, content=content, reply_to__content="When is it hot?")
    return conversation


# A ChatThread on a list of its own, fed an answer's frames as the socket would send them: what it
# shows while the answer streams (a browser test of thread.js alone).
STREAM_INTO_A_THREAD = """
async ([videoId, pieces]) => {
  const { ChatThread } = await import("/static/js/chat/thread.js");
  const list = document.createElement("ol");
  document.body.append(list);
  const thread = new ChatThread(list, { videoUrl: "/videos/{id}/", videoId, titles: {} });
  const message = { id: 9001, role: "assistant", status: "streaming", content: "", html: "", citations: [] };
  thread.apply({ type: "message", message });
  pieces.forEach((text, index) => thread.apply({ type: "chunk", message_id: 9001, seq: index + 1, text }));
  return [...list.querySelectorAll("a.chat-time")].map((link) => [link.textContent, link.getAttribute("href")]);
}
"""


def test_a_time_in_an_answers_text_is_a_link_that_plays_that_moment(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = long_chattable_video(person, tmp_path, settings)
    conversation = conversation_with_answer(person, video, "The oven is preheated at [00:42], then we bake.")
    errors = page_errors(page)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/chat/{conversation.pk}/")
    answer = page.locator(".chat-message-assistant")
    time_link = answer.get_by_role("link", name="Play from 00:42")
    expect(time_link).to_have_attribute("href", f"/videos/{video.pk}/?t=42")  # rendered by the server
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    expect(time_link).to_have_text("[00:42]")  # and again after the replay
    assert playback(page)["time"] < 1
    time_link.click()
    wait_until(lambda: 41.5 <= playback(page)["time"] <= 44.0, page)
    assert page.url == f"{site_url}/chat/{conversation.pk}/"  # played inline, not by leaving the page

    # While an answer streams its times are links already, even a time split between two pieces.
    streamed = page.evaluate(STREAM_INTO_A_THREAD, [video.pk, ["Hot at [00:1", "2] and at [1:02:03]."]])
    assert streamed == [["[00:12]", f"/videos/{video.pk}/?t=12"], ["[1:02:03]", f"/videos/{video.pk}/?t=3723"]]
    assert errors == []


def test_a_question_the_video_does_not_answer_leaves_the_balance_as_it_was(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = chattable_video(person, tmp_path, settings)
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
    balance = f"{person.wallet.balance:,}"
    errors = page_errors(page)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/chat/{conversation.pk}/")
    shown = page.locator("#header-balance .balance-value")
    expect(shown).to_have_text(balance)
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    page.get_by_label("Your question").fill("Who won the football world cup in 1998?")
    page.get_by_role("button", name="Send").click()

    answer = page.locator(".chat-message-assistant")
    expect(answer).to_have_attribute("data-status", "complete", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("nothing said in the video answers this")
    page.wait_for_timeout(1000)  # the balance's live updates (held, then given back) have arrived
    expect(shown).to_have_text(balance)
    expect(page.locator(".chat-allowance .balance-value")).to_have_text(balance)
    person.wallet.refresh_from_db()
    assert f"{person.wallet.balance:,}" == balance
    assert errors == []
