"""Chat and captions on the video and conversation pages, in Chromium at 1440×900 against daphne:
a citation chip far below the player brings it into view and seeks it; the player's captions track
(the transcript as WebVTT) loads and shows the line being said; a summary time seeks; the chat page
says an answer's price, the balance and the questions left before asking, keeps "Stop answering"
hidden while idle, renders the answer's Markdown from the server, and counts the question. Each
fails on a script error or a console error."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from accounts.guests import Viewer
from chat.services import conversation_create
from tests.browser.signing_in import log_in
from tests.browser.test_chat_page import ANSWER_TIMEOUT_MS, chattable_video
from tests.browser.test_compare_page import script_errors
from tests.browser.test_video_pages import playback, ready_video, wait_until
from tests.factories import MessageFactory, UserFactory
from videos.models import Video

pytestmark = pytest.mark.browser

DESKTOP = ViewportSize(width=1440, height=900)


def fully_in_view(page: Page, selector: str) -> bool:
    return page.locator(selector).evaluate(
        "(element) => { const box = element.getBoundingClientRect();"
        " return box.top >= 0 && box.bottom <= window.innerHeight; }"
    )


def scroll_to_top_of_view(page: Page, locator) -> None:
    """Scrolls so `locator` sits at the top of the window, as a reader scrolled down to it would."""
    locator.evaluate("(element) => element.scrollIntoView({ block: 'start' })")


def test_a_far_citation_and_a_summary_time_bring_the_player_into_view_and_seek_and_captions_show(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = ready_video(person, tmp_path, settings)  # 8 s, four transcript lines
    Video.objects.filter(pk=video.pk).update(summary="[00:02] This is the hallway.\n[00:06] And finally the garden.")
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
    MessageFactory(
        conversation=conversation,
        answer=True,
        content="In the kitchen [00:04].",
        citations=[{"video_id": video.pk, "start": 4.0, "end": 6.0, "text": "Here is the kitchen where we cook."}],
        reply_to__content="Where do we cook?",
    )
    page.set_viewport_size(DESKTOP)
    errors = script_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    player = "[data-video-page] video[data-player]"
    page.wait_for_function(f"() => document.querySelector('{player}').readyState >= 1")

    # A citation chip, read with the player scrolled out of view above it.
    chip = page.locator("[data-chat-panel] .chat-chip", has_text="[00:04] House tour")
    expect(chip).to_be_visible()
    scroll_to_top_of_view(page, page.locator("[data-chat-panel] .chat-message-assistant"))
    assert not fully_in_view(page, player)
    chip.click()
    wait_until(lambda: 3.5 <= playback(page)["time"] <= 6.0, page)
    assert fully_in_view(page, player)
    page.locator(player).evaluate("(video) => video.pause()")

    # The captions track: the transcript's lines as cues, the one said at 0:04 showing there.
    track = page.locator(f"{player} track[kind=captions]")
    expect(track).to_have_attribute("src", f"/videos/{video.pk}/captions.vtt")
    page.locator(player).evaluate("(video) => { video.textTracks[0].mode = 'showing'; }")
    wait_until(lambda: page.locator(player).evaluate("(video) => video.textTracks[0].cues?.length || 0") == 4, page)
    assert page.locator(player).evaluate("(video) => video.textTracks[0].cues[0].text") == "Welcome to the house tour."
    wait_until(
        lambda: (
            page.locator(player).evaluate(
                "(video) => [...(video.textTracks[0].activeCues || [])].map((cue) => cue.text).join()"
            )
            == "Here is the kitchen where we cook."
        ),
        page,
    )

    # A summary time, read with the player out of view: it seeks there and brings the player back.
    summary_time = page.locator(".video-summary a.summary-time", has_text="[00:06]")
    scroll_to_top_of_view(page, page.locator(".video-summary"))
    assert not fully_in_view(page, player)
    summary_time.click()
    wait_until(lambda: 5.8 <= playback(page)["time"] <= 8.0, page)
    assert fully_in_view(page, player)
    assert page.url == f"{site_url}/videos/{video.pk}/"  # seeked in place, no reload
    assert errors == []


def test_the_chat_page_says_the_price_and_questions_left_and_shows_stop_only_while_answering(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = chattable_video(person, tmp_path, settings)
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
    page.set_viewport_size(DESKTOP)
    errors = script_errors(page)
    log_in(page, site_url, person.email)

    page.goto(f"{site_url}/chat/{conversation.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    allowance = page.locator("[data-allowance]")
    expect(allowance).to_contain_text("Each answer costs 2 tokens")
    expect(allowance).to_contain_text("You have 1,800 tokens and 20 of 20 questions left today")
    expect(allowance.locator("[data-questions-reset]")).to_be_hidden()  # said only when none are left
    expect(page.get_by_role("button", name="Stop answering")).to_be_hidden()
    expect(page.get_by_text("Sending a question needs JavaScript.")).to_be_hidden()

    page.get_by_label("Your question").fill("Where is the kitchen where we cook?")
    page.get_by_role("button", name="Send").click()
    answer = page.locator(".chat-message-assistant")
    expect(answer).to_have_attribute("data-status", "complete", timeout=ANSWER_TIMEOUT_MS)
    # The server's rendering of the answer's Markdown (the extractive notice is emphasised).
    expect(answer.locator("em", has_text="Extractive answer:")).to_be_visible()
    expect(allowance).to_contain_text("19 of 20 questions left today")
    expect(allowance).to_contain_text("You have 1,798 tokens")  # live.js: the answer's 2 tokens
    expect(page.get_by_role("button", name="Stop answering")).to_be_hidden()
    assert errors == []
