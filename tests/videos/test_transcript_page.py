"""A recognised transcript on the video page, as the server renders it (read without JavaScript):
words timed for video.js, uncertain lines and guessed words marked, old transcripts still read."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.factories import TranscriptFactory, VideoFactory
from tests.videos.test_pages import video_page
from videos.models import Transcript

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def line_texts(html: str) -> list[str]:
    """Each line's text as a reader sees it (tags dropped)."""
    return [
        unescape(re.sub(r"<[^>]+>", "", text))
        for text in re.findall(r'<span class="transcript-text">(.*?)</span>(?:<span class="visually|</a>)', html)
    ]


def test_recognised_words_carry_their_times_and_doubtful_ones_are_marked(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True)
    fish_words = {"words": [[1.0, 1.4, "Fish", 0.98], [1.5, 1.6, "&", 0.9], [1.7, 2.2, "chips.", 0.35]]}
    maybe_words = {"low_confidence": True, "words": [[3.0, 3.2, "maybe", 0.5], [3.3, 3.5, "so", 0.6]]}
    TranscriptFactory(
        video=video,
        source=Transcript.Source.WHISPER,
        lines=[(1.0, 2.2, "Fish & chips.", fish_words), (3.0, 3.5, "maybe so", maybe_words)],
    )

    html = signed_in.get(video_page(video)).content.decode()

    assert line_texts(html) == ["Fish & chips.", "maybe so"]
    fish, ampersand = '<span class="transcript-word" data-start="1">Fish</span>', 'data-start="1.5">&amp;</span>'
    assert f'{fish} <span class="transcript-word" {ampersand}' in html
    assert '<span class="transcript-word is-unsure" data-start="1.7">chips.</span>' in html
    assert html.count('class="transcript-line is-uncertain"') == 1
    assert '<span class="visually-hidden"> (uncertain)</span>' in html
    assert "Speech recognition was unsure of the" in html
    assert "Offline speech recognition (Whisper)" in html
    assert "Low confidence</span>" not in html  # not uncertain as a whole


def test_a_transcript_uncertain_as_a_whole_says_so(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True)
    TranscriptFactory(video=video, lines=[(1.0, 2.0, "hello")], source=Transcript.Source.WHISPER, low_confidence=True)

    html = signed_in.get(video_page(video)).content.decode()

    assert '<span class="badge badge-warning">Low confidence</span>' in html
    assert "Speech recognition was unsure of most of this transcript" in html


def test_an_old_pocketsphinx_transcript_still_reads(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True)
    TranscriptFactory(
        video=video, lines=[(1.0, 2.0, "dubai")], source=Transcript.Source.POCKETSPHINX, low_confidence=True
    )

    html = signed_in.get(video_page(video)).content.decode()

    assert line_texts(html) == ["dubai"]
    assert "transcript-word" not in html
    assert "Offline speech recognition" in html and "Low confidence" in html
