"""What is shown on screen, searched and cited like what is said: on-screen lines become `shown`
windows (slides together, a standing line once, a line read again after a gap the same line), a
question about a slide's text finds the line at the moment it appears, marked as shown, on the search
page, in the API and in a chat citation; and only the owner's videos are searched."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from accounts.models import User
from chat.retrieval import citation_of
from tests.factories import TranscriptFactory, VideoFactory, chunk_rows, member_in
from videos.models import ScreenTextLine, TranscriptChunk, Video
from videos.screen_text.indexing import index_shown_lines, shown_windows
from videos.screen_text.tracking import ShownLine
from videos.search import search_quotes

SEARCH = "/search/"
API_SEARCH = "/api/v1/search"


def line(start: float, end: float, text: str, top: float = 0.1) -> ShownLine:
    return ShownLine(start=start, end=end, text=text, box=(0.1, top, 0.8, 0.08), confidence=0.95)


# --- windows from lines (no database) -------------------------------------------------------------


def test_lines_shown_together_are_one_window_read_top_to_bottom() -> None:
    windows = shown_windows(
        [
            line(10.0, 40.0, "Photosynthesis", top=0.1),
            line(18.0, 40.0, "Chlorophyll absorbs red and blue light", top=0.5),
            line(12.0, 40.0, "Light reactions happen in the thylakoids", top=0.3),
            line(40.0, 70.0, "The Calvin cycle", top=0.1),
        ]
    )

    assert [(window.start, window.end) for window in windows] == [(10.0, 40.0), (40.0, 70.0)]
    assert windows[0].text == (
        "Photosynthesis · Light reactions happen in the thylakoids · Chlorophyll absorbs red and blue light"
    )
    assert windows[1].text == "The Calvin cycle"


def test_a_line_that_stays_over_several_slides_is_one_window_of_its_own() -> None:
    windows = shown_windows(
        [
            line(0.0, 300.0, "BIO 101 · Lecture 4", top=0.9),
            line(5.0, 60.0, "Cells divide by mitosis"),
            line(60.0, 130.0, "Meiosis makes four gametes"),
        ]
    )

    assert [(window.start, window.end, window.text) for window in windows] == [
        (0.0, 300.0, "BIO 101 · Lecture 4"),
        (5.0, 60.0, "Cells divide by mitosis"),
        (60.0, 130.0, "Meiosis makes four gametes"),
    ]


def test_the_same_text_is_a_new_window_only_when_it_comes_back_after_something_else() -> None:
    windows = shown_windows(
        [
            # Lost by the reader for two seconds with nothing else shown: still one showing.
            line(0.0, 20.0, "Agenda"),
            line(22.0, 30.0, "agenda"),
            line(30.0, 50.0, "Results"),
            # Back after the results slide: a second showing.
            line(50.0, 60.0, "Agenda"),
        ]
    )

    assert [(window.start, window.end, window.text) for window in windows] == [
        (0.0, 30.0, "Agenda"),
        (30.0, 50.0, "Results"),
        (50.0, 60.0, "Agenda"),
    ]


# --- searched and cited -----------------------------------------------------------------------------

SAID = [
    (0.0, 9.0, "Welcome to the second lecture on plant biology."),
    (9.0, 20.0, "Today we look at how leaves turn sunlight into sugar."),
    (20.0, 34.0, "Before that, a word about the exam and the reading list."),
]


def slide_talk(owner: User, title: str = "Plant biology, lecture 2") -> Video:
    """A video with a transcript and three slides read from its frames, indexed as the pipeline does."""
    video = VideoFactory(owner=owner, title=title, ready=True)
    TranscriptFactory(video=video, lines=SAID)
    chunk_rows(video, [(0.0, 34.0, " ".join(text for *_, text in SAID))])
    slides = [
        (2.0, 30.0, "Plant biology: lecture 2", 0.1),
        (30.0, 75.0, "Exam dates", 0.1),
        (31.5, 75.0, "The midterm exam is on Thursday 14 March in room B12", 0.4),
        (75.0, 120.0, "Reading: chapter 7, pages 140 to 162", 0.1),
    ]
    ScreenTextLine.objects.bulk_create(
        ScreenTextLine(
            video=video, index=index, start=start, end=end, text=text, box=[0.1, top, 0.8, 0.08], confidence=0.97
        )
        for index, (start, end, text, top) in enumerate(slides)
    )
    index_shown_lines(video)
    return video


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def results(html: str) -> list[tuple[str, str, str]]:
    """(stamp, kind label, text) of each result on the search page."""
    return [
        (stamp, kind, unescape(re.sub(r"</?mark>", "", text)))
        for stamp, kind, text in re.findall(
            r'<span class="citation">\[([\d:]+)\]</span>\s*<span class="moment-kind[^"]*">([^<]+)</span>'
            r'.*?<span class="moment-text">(.*?)</span>',
            html,
            flags=re.DOTALL,
        )
    ]


@pytest.mark.django_db
def test_indexing_stores_the_slides_as_shown_windows_beside_the_said_ones(user) -> None:
    video = slide_talk(user)

    shown = TranscriptChunk.objects.filter(video=video, kind=TranscriptChunk.Kind.SHOWN).order_by("index")
    assert [(chunk.start, chunk.end, chunk.text) for chunk in shown] == [
        (2.0, 30.0, "Plant biology: lecture 2"),
        (30.0, 75.0, "Exam dates · The midterm exam is on Thursday 14 March in room B12"),
        (75.0, 120.0, "Reading: chapter 7, pages 140 to 162"),
    ]
    assert TranscriptChunk.objects.filter(video=video, kind=TranscriptChunk.Kind.SAID).count() == 1

    # Read again (a rerun): the shown windows are replaced, the said ones kept.
    ScreenTextLine.objects.filter(video=video, index=3).delete()
    index_shown_lines(video)
    assert TranscriptChunk.objects.filter(video=video, kind=TranscriptChunk.Kind.SHOWN).count() == 2
    assert TranscriptChunk.objects.filter(video=video, kind=TranscriptChunk.Kind.SAID).count() == 1


@pytest.mark.django_db
def test_a_question_about_a_slide_quotes_the_line_when_it_appears_marked_shown(user) -> None:
    video = slide_talk(user)

    quotes = search_quotes(member_in(user), "when is the midterm exam?")

    assert quotes, "the slide that answers was not found"
    best = quotes[0]
    assert (best.video_id, best.start, best.text, best.kind) == (
        video.pk,
        31.5,
        "The midterm exam is on Thursday 14 March in room B12",
        "shown",
    )
    # Chat stores it as a citation of something shown; a said sentence's citation has no kind.
    assert citation_of(best) == {
        "video_id": video.pk,
        "start": 31.5,
        "end": 75.0,
        "text": "The midterm exam is on Thursday 14 March in room B12",
        "kind": "shown",
    }
    said = search_quotes(member_in(user), "how do leaves turn sunlight into sugar?")
    assert said and said[0].kind == "said" and "kind" not in citation_of(said[0])


@pytest.mark.django_db
def test_the_search_page_and_api_mark_results_on_screen_or_said(user) -> None:
    video = slide_talk(user)

    html = signed_in(user).get(SEARCH, {"q": "which pages should I read?"}).content.decode()
    assert results(html)[0] == ("01:15", "on screen", "Reading: chapter 7, pages 140 to 162")
    html = signed_in(user).get(SEARCH, {"q": "how do leaves turn sunlight into sugar?"}).content.decode()
    assert results(html)[0] == ("00:09", "said", SAID[1][2])

    client = Client()
    client.force_login(user)
    found = client.get(API_SEARCH, {"q": "which pages should I read?", "video": str(video.pk)}).json()
    assert (found[0]["text"], found[0]["kind"], found[0]["start"]) == (
        "Reading: chapter 7, pages 140 to 162",
        "shown",
        75.0,
    )


@pytest.mark.django_db
def test_another_users_slides_are_never_found(user, other_user) -> None:
    theirs = slide_talk(other_user, title="Their lecture")

    assert search_quotes(member_in(user), "when is the midterm exam?") == []
    html = signed_in(user).get(SEARCH, {"q": "when is the midterm exam?"}).content.decode()
    assert "Their lecture" not in html and "midterm" not in html.split("</h2>", 1)[-1]
    client = Client()
    client.force_login(user)
    assert client.get(API_SEARCH, {"q": "when is the midterm exam?"}).json() == []
    assert client.get(API_SEARCH, {"q": "when is the midterm exam?", "video": str(theirs.pk)}).status_code == 404
