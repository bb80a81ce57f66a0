"""The transcript of a recognised video in a real browser: the word being said is highlighted as
the video plays or seeks, and the search box gives the timed words back when it is cleared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.test_video_pages import page_errors, ready_video, transcript_line, wait_until
from tests.factories import TranscriptFactory, UserFactory
from videos.models import Transcript, Video

pytestmark = pytest.mark.browser

# (start, end, words as (start, end, word, probability), low confidence)
LINES = [
    (0.0, 3.8, [(0.0, 0.8, "Welcome", 0.97), (1.0, 1.3, "to", 0.99), (1.5, 1.8, "the", 0.99),
                (2.0, 2.6, "house", 0.95), (3.0, 3.8, "tour.", 0.93)], False),
    (4.0, 7.6, [(4.0, 4.6, "Here", 0.9), (4.8, 5.0, "is", 0.8), (5.2, 5.4, "the", 0.7),
                (6.0, 6.8, "kitchin", 0.3), (7.0, 7.6, "cook.", 0.6)], True),
]  # fmt: skip


def with_recognised_words(video: Video) -> Video:
    Transcript.objects.filter(video=video).delete()
    lines = [
        (
            start,
            end,
            " ".join(word for _, _, word, _ in words),
            {"words": [list(word) for word in words], "low_confidence": unsure},
        )
        for start, end, words, unsure in LINES
    ]
    TranscriptFactory(video=video, source=Transcript.Source.WHISPER, lines=lines)
    return video


def seek(page: Page, seconds: float) -> None:
    page.locator("video[data-player]").evaluate(
        "(video, seconds) => { video.pause(); video.currentTime = seconds; }", seconds
    )


def spoken_word(page: Page) -> str:
    # One look in the page: counting the highlighted words and then reading the first is two, and a
    # highlight that moves off between them left inner_text waiting 15 s for a word no longer there.
    return page.evaluate("() => document.querySelector('.transcript-word.is-spoken')?.innerText ?? ''")


def test_the_word_being_said_is_highlighted_as_the_video_plays_and_seeks(
    site_url: str, page: Page, tmp_path: Path, settings
) -> None:
    person = UserFactory()
    video = with_recognised_words(ready_video(person, tmp_path, settings))
    errors = page_errors(page)
    log_in(page, site_url, person.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    expect(page.locator("video[data-player]")).to_be_visible()

    # Played from the first line: the highlight moves from word to word while it plays.
    transcript_line(page, "Welcome").get_by_role("link").click()
    seen: list[str] = []

    def heard_house() -> bool:
        seen.append(spoken_word(page))
        return "house" in seen

    wait_until(heard_house, page)
    assert "Welcome" in seen and seen.index("Welcome") < seen.index("house")

    seek(page, 6.3)
    wait_until(lambda: spoken_word(page) == "kitchin", page)
    expect(transcript_line(page, "kitchin")).to_have_attribute("aria-current", "true")
    seek(page, 1.1)
    wait_until(lambda: spoken_word(page) == "to", page)
    seek(page, 3.9)  # past the first line's last word, before the next line: no word is being said
    wait_until(lambda: spoken_word(page) == "", page)

    # The uncertain line and the guessed word are marked, and a legend says what the marks mean.
    expect(transcript_line(page, "kitchin")).to_have_class(re.compile(r"\bis-uncertain\b"))
    expect(transcript_line(page, "Welcome")).not_to_have_class(re.compile(r"\bis-uncertain\b"))
    expect(page.locator(".transcript-word.is-unsure")).to_have_text(["kitchin"])
    expect(page.locator(".transcript-warning")).to_contain_text("Speech recognition was unsure of the")

    # A search replaces the words by highlighted text; clearing it brings the timed words back.
    search = page.get_by_label("Search the transcript")
    search.fill("kitchin")
    expect(page.locator(".transcript-line:visible")).to_have_count(1)
    search.fill("")
    expect(page.locator(".transcript-word")).to_have_count(10)
    seek(page, 4.9)
    wait_until(lambda: spoken_word(page) == "is", page)
    assert errors == []
