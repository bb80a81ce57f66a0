"""A line a video says again and again (a show's jingle) is one citation, not three: its repeats are
merged before the sentences are ranked, so the other places go to what answers the question, in a
chat answer and in transcript search."""

from __future__ import annotations

import pytest

from chat.answering import citations_for
from tests.chat.test_answering import evidence_for, extractive
from tests.factories import TranscriptFactory, VideoFactory, chunk_rows, member_in
from videos.models import Video
from videos.search import search_quotes

JINGLE = "Bread Baking with Anna!"
ANSWER = "Today Anna bakes a dark rye loaf with caraway seeds."
QUESTION = "What loaf does Anna bake today?"


def video_with_lines(owner, lines: list[tuple[float, float, str]], *, window_seconds: float = 40.0) -> Video:
    """A ready video saying `lines`, its transcript windows (chunks) `window_seconds` long, embedded."""
    end = lines[-1][1]
    video = VideoFactory(owner=owner, title="Anna", status=Video.Status.READY, duration=end, has_audio=True)
    TranscriptFactory(video=video, lines=lines)
    windows, start = [], 0.0
    while start < end:
        inside = [text for begin, _, text in lines if start <= begin < start + window_seconds]
        if inside:
            windows.append((start, min(end, start + window_seconds), " ".join(inside)))
        start += window_seconds
    chunk_rows(video, windows)
    return video


@pytest.mark.django_db
def test_a_jingle_said_three_times_is_cited_once_and_the_answer_is_cited_too(user) -> None:
    video = video_with_lines(
        user,
        [
            (0.0, 3.0, JINGLE),
            (4.0, 9.0, "Hello everyone, and welcome to the kitchen."),
            (10.0, 13.0, JINGLE),
            (14.0, 22.0, ANSWER),
            (23.0, 29.0, "The starter was fed last night."),
            (30.0, 33.0, JINGLE),
            (34.0, 40.0, "Let us weigh the flour."),
        ],
    )

    evidence = evidence_for(QUESTION, workspace_id=video.workspace_id, video_id=video.pk)
    answer = extractive(QUESTION, evidence)
    cited = [citation["text"] for citation in citations_for(answer, evidence)]

    assert ANSWER in cited
    assert cited.count(JINGLE) <= 1
    assert answer.count(JINGLE) <= 1
    assert len(cited) == len(set(cited))  # no line cited twice, whatever its text


@pytest.mark.django_db
def test_transcript_search_shows_a_repeated_line_once(user) -> None:
    lines = []
    for start in (0.0, 80.0, 120.0):  # the jingle opens three 40 s windows
        lines.append((start, start + 3.0, JINGLE.upper() if start == 80.0 else JINGLE))  # case aside
        lines.append((start + 5.0, start + 12.0, "We shape the dough and let it rise in a warm place."))
    lines[2:2] = [(40.0, 45.0, "Hello again."), (46.0, 55.0, ANSWER)]
    video = video_with_lines(user, lines)

    quotes = search_quotes(member_in(user), QUESTION, video=video)
    texts = [quote.text.casefold() for quote in quotes]

    assert texts.count(JINGLE.casefold()) <= 1
    assert ANSWER.casefold() in texts
    # Searching for the jingle itself finds it, once: the three (one in capitals) are merged, not lost.
    jingle_texts = [quote.text.casefold() for quote in search_quotes(member_in(user), JINGLE, video=video)]
    assert jingle_texts.count(JINGLE.casefold()) == 1
