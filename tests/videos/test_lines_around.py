"""The transcript lines around retrieved moments (what a chat answer quotes from): per span, that
video's lines said within it, in order, each once, with their words."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory, VideoFactory
from videos.models import Video
from videos.selectors import transcript_lines_around

pytestmark = pytest.mark.django_db


def video_with_lines(owner, title: str, lines: list[tuple[float, float, str]]) -> Video:
    with_words = [
        (start, end, text, {"words": [[start, start + 0.4, text.split()[0], 0.9]], "low_confidence": index == 1})
        for index, (start, end, text) in enumerate(lines)
    ]
    return VideoFactory(
        owner=owner,
        title=title,
        status=Video.Status.READY,
        duration=lines[-1][1],
        with_transcript=with_words,
        with_transcript__text="",
    )


def test_each_span_gets_its_videos_lines_within_it_in_order_and_overlaps_do_not_repeat_a_line() -> None:
    owner = UserFactory()
    bread = video_with_lines(owner, "Bread", [(0, 4, "Mix the flour"), (4, 9, "Knead it well"), (9, 15, "Let it rise")])
    soup = video_with_lines(owner, "Soup", [(0, 5, "Chop onions"), (5, 12, "Simmer slowly")])

    around = transcript_lines_around([(bread.pk, 3, 10), (soup.pk, 6, 7), (bread.pk, 8, 9.5), (soup.pk, 20, 30)])

    assert [[line.text for line in lines] for lines in around] == [
        ["Mix the flour", "Knead it well", "Let it rise"],
        ["Simmer slowly"],
        ["Knead it well", "Let it rise"],
        [],
    ]
    knead = around[0][1]
    assert knead.low_confidence and not around[0][0].low_confidence
    assert [(word.start, word.text) for word in knead.words] == [(4.0, "Knead")]
    assert transcript_lines_around([]) == []
