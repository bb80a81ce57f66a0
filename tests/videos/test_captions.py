"""The transcript offered to the player: `/videos/<id>/captions.vtt` (WebVTT, owner only, through the
ownership selector), the <track> on the video page, and the summary's times as links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import User
from sage.formatting import vtt_timestamp
from sage.synthetic_media.speech_corpus import PASSAGES, spoken_passage, video_with_sound
from tests.factories import UserFactory, VideoFactory
from videos.models import Video
from videos.pipeline.steps import store_transcript
from videos.templatetags.summary import summary_with_times
from videos.timed_text import TimedLine, Word, cues_of
from videos.transcripts import recognise_speech

pytestmark = pytest.mark.django_db


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def video_with_transcript(owner: User, lines: list[tuple[float, float, str]]) -> Video:
    return VideoFactory(owner=owner, title="Bread", status=Video.Status.READY, duration=4000.0, with_transcript=lines)


def test_the_transcript_is_served_as_webvtt_cues_with_their_times() -> None:
    owner = UserFactory()
    video = video_with_transcript(
        owner,
        [
            (0.0, 2.5, "Welcome to the kitchen."),
            (2.5, 2.5, "A line with no duration is left out."),
            (3661.25, 3663.0, "Salt & <b>pepper</b> --> to taste."),
            (3663.0, 3665.0, "First line.\n\nAfter a blank line."),
        ],
    )

    response = signed_in(owner).get(f"/videos/{video.pk}/captions.vtt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode() == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:02.500\nWelcome to the kitchen.\n\n"
        "01:01:01.250 --> 01:01:03.000\nSalt &amp; &lt;b&gt;pepper&lt;/b&gt; --&gt; to taste.\n\n"
        "01:01:03.000 --> 01:01:05.000\nFirst line.\nAfter a blank line.\n"
    )


def seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def parsed_cues(vtt: str) -> list[tuple[float, float, list[str]]]:
    """(start, end, lines) of each cue of a WebVTT file."""
    assert vtt.startswith("WEBVTT\n")
    cues = []
    for block in vtt.strip().split("\n\n")[1:]:
        timing, *lines = block.split("\n")
        start, end = re.fullmatch(r"(\S+) --> (\S+)", timing).groups()  # type: ignore[union-attr]
        cues.append((seconds(start), seconds(end), lines))
    return cues


def test_recognised_speech_is_captioned_in_cues_of_two_short_lines_cut_at_words(tmp_path: Path) -> None:
    # A minute of continuous speech (sentences 0.3 s apart) recognised by Whisper, stored as the
    # pipeline stores it: lines of 8-10 s, each one a paragraph on screen before cues were cut at words.
    spoken = spoken_passage(PASSAGES[0], pause_seconds=0.3)
    result = recognise_speech(video_with_sound(tmp_path / "market.mp4", spoken.samples))
    assert result is not None
    owner = UserFactory()
    video = VideoFactory(owner=owner, title="Market", status=Video.Status.READY, duration=spoken.seconds)
    store_transcript(video, result)
    words = [word for segment in result.segments for word in segment.words]

    cues = parsed_cues(signed_in(owner).get(f"/videos/{video.pk}/captions.vtt").content.decode())

    assert len(cues) > len(result.segments)
    for start, end, lines in cues:
        assert 1 <= len(lines) <= 2, lines
        assert all(len(line) <= 42 for line in lines), lines
        assert 0 < end - start <= 7.0, (start, end, lines)
        # A cue starts as a word starts and ends as a word ends (times as stored, to 0.01 s).
        assert any(abs(word.start - start) < 0.001 for word in words), (start, lines)
        assert any(abs(word.end - end) < 0.001 for word in words), (end, lines)
    assert [start for start, _, _ in cues] == sorted(start for start, _, _ in cues)
    # Every word of the transcript, once, in order.
    assert " ".join(" ".join(lines) for _, _, lines in cues) == result.text


def test_a_subtitle_keeps_its_times_and_is_shown_on_two_lines_at_most() -> None:
    owner = UserFactory()
    video = video_with_transcript(
        owner,
        [
            (1.0, 9.0, "This caption was written\non three lines by someone\nwho liked short lines."),
            (9.0, 12.0, "- Two speakers?\n- Two lines, as written."),
        ],
    )

    cues = parsed_cues(signed_in(owner).get(f"/videos/{video.pk}/captions.vtt").content.decode())

    assert cues == [
        (1.0, 9.0, ["This caption was written on three", "lines by someone who liked short lines."]),
        (9.0, 12.0, ["- Two speakers?", "- Two lines, as written."]),
    ]


def test_someone_elses_captions_are_a_404_and_visitors_are_sent_to_log_in() -> None:
    owner, stranger = UserFactory(), UserFactory()
    video = video_with_transcript(owner, [(0.0, 2.0, "Private words.")])

    assert signed_in(stranger).get(f"/videos/{video.pk}/captions.vtt").status_code == 404
    assert signed_in(stranger).get("/videos/999999/captions.vtt").status_code == 404
    anonymous = Client().get(f"/videos/{video.pk}/captions.vtt")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_shared_samples_captions_are_readable_by_every_account() -> None:
    sample = video_with_transcript(UserFactory(is_sample_owner=True), [(0.0, 2.0, "Shared words.")])

    response = signed_in(UserFactory()).get(f"/videos/{sample.pk}/captions.vtt")

    assert response.status_code == 200 and "Shared words." in response.content.decode()


def test_a_video_without_a_transcript_has_an_empty_track() -> None:
    owner = UserFactory()
    video = VideoFactory(owner=owner, title="Silent", status=Video.Status.READY, duration=10.0)

    assert signed_in(owner).get(f"/videos/{video.pk}/captions.vtt").content.decode() == "WEBVTT\n"


def test_vtt_timestamps_round_to_the_millisecond() -> None:
    assert vtt_timestamp(0) == "00:00:00.000"
    assert vtt_timestamp(59.9996) == "00:01:00.000"
    assert vtt_timestamp(36000.5) == "10:00:00.500"


def test_the_summarys_times_become_links_and_its_text_stays_escaped() -> None:
    html = str(summary_with_times("[00:05] Welcome <b>in</b>.\n[1:02:03] The end. [99:99] is not a time."))

    assert '<a class="summary-time" href="?t=5" data-summary-seek="5" aria-label="Play from 00:05">[00:05]</a>' in html
    assert 'href="?t=3723" data-summary-seek="3723"' in html
    assert "&lt;b&gt;in&lt;/b&gt;" in html and "<b>" not in html
    assert "[99:99] is not a time" in html
    assert html.startswith("<p>") and "<br>" in html


def test_the_video_page_offers_the_transcript_as_a_captions_track_and_links_summary_times(settings) -> None:
    owner = UserFactory()
    video = video_with_transcript(owner, [(0.0, 2.0, "Welcome.")])
    Video.objects.filter(pk=video.pk).update(storage_key=f"videos/{video.pk}/original.mp4", summary="[00:00] Welcome.")

    page = signed_in(owner).get(f"/videos/{video.pk}/").content.decode()

    assert f'<track kind="captions" src="/videos/{video.pk}/captions.vtt" srclang="en"' in page
    assert 'data-summary-seek="0"' in page


def timed_words(text: str, *, start: float, seconds_per_word: float) -> TimedLine:
    spelled = text.split()
    words = tuple(
        Word(start + i * seconds_per_word, start + (i + 0.8) * seconds_per_word, word) for i, word in enumerate(spelled)
    )
    return TimedLine(words[0].start, words[-1].end, text, words)


def test_cues_end_at_sentence_ends_and_pauses_and_never_run_past_seven_seconds() -> None:
    rambling = " ".join(["slowly"] * 30)  # 30 words, 0.5 s each: no punctuation to cut at
    lines = [
        timed_words("Short one. Then the next sentence follows.", start=0.0, seconds_per_word=0.6),
        timed_words(f"After a pause {rambling}", start=5.0, seconds_per_word=0.5),
    ]

    cues = cues_of(lines)

    assert [cue.lines for cue in cues[:2]] == [("Short one.",), ("Then the next sentence follows.",)]
    assert cues[2].start == 5.0  # the pause before "After" ended the cue before it
    assert all(cue.end - cue.start <= 7.0 and len(cue.lines) <= 2 for cue in cues)
    assert " ".join(" ".join(cue.lines) for cue in cues) == " ".join(line.text for line in lines)
