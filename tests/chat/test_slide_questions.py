"""Questions about a slide talk whose facts are only on screen: the line of a slide that answers is
quoted, not the slide's title that only repeats the question's words; a question about what the
speaker says is answered from what is said, not as one about the picture; a question about the
picture still is one."""

from __future__ import annotations

import numpy as np
import pytest
from channels.db import database_sync_to_async

from chat.answering import VISUAL_NOTICE
from chat.models import Conversation
from chat.visual import is_visual_question, words_asked
from tests.chat.helpers import frames_until_done, open_socket
from tests.factories import ConversationFactory, TranscriptFactory, UserFactory, VideoFactory
from videos.models import ScreenTextLine, Video
from videos.screen_text.indexing import index_shown_lines
from videos.search import answering, best_quotes, rank_sentences
from videos.selectors import Moment
from videos.text_search.words import KeyWords
from videos.timed_text import Sentence

BUDGET_LINE = "Hardware budget: 42,000 EUR approved"
SAID_ABOUT_BUDGET = "On the budget, the board asked us to buy the hardware early, before prices rise again."
# Two slides as the reader stores them: (start, end, text, top of its box); a title over two lines.
SLIDES = [
    (14.0, 29.0, "Budget", 0.12),
    (14.0, 29.0, BUDGET_LINE, 0.44),
    (14.0, 29.0, "Travel budget cut by 15%", 0.58),
    (29.0, 44.0, "Team", 0.12),
    (29.0, 44.0, "Six engineers and two designers", 0.44),
    (29.0, 44.0, "New hire: a data scientist in April", 0.58),
]
SAID = [
    (1.0, 6.0, "Good morning everyone, and welcome to the quarterly review of project Aurora."),
    (7.0, 13.0, "Let me start with the money, because that is what everybody asks about first."),
    (17.0, 23.0, SAID_ABOUT_BUDGET),
    (24.0, 28.0, "We also had to be careful with trips this year, so most meetings happened online."),
    (31.0, 37.0, "The team moved into a bigger office on the second floor this spring."),
    (38.0, 43.0, "We are hiring one more person to help us understand the data from the tests."),
]


def slide_talk(owner, slides: list[tuple[float, float, str, float]] = SLIDES) -> Video:
    """A ready talk: what is said, in windows, and two slides read on screen, indexed for search."""
    video = VideoFactory(owner=owner, title="Project Aurora review", status=Video.Status.READY, duration=45.0)
    TranscriptFactory(video=video, lines=SAID, chunks=True)
    ScreenTextLine.objects.bulk_create(
        ScreenTextLine(
            video=video, index=index, start=start, end=end, text=text, box=[0.08, top, 0.6, 0.08], confidence=0.97
        )
        for index, (start, end, text, top) in enumerate(slides)
    )
    index_shown_lines(video)
    return video


async def ask(conversation: Conversation, question: str) -> str:
    """The finished answer's text to `question`, asked over the chat socket (no language model)."""
    socket, connected, _ = await open_socket(conversation.pk, user=conversation.owner)
    assert connected
    await socket.send_json_to({"type": "message", "text": question, "client_id": "q1"})
    frames = await frames_until_done(socket)
    await socket.disconnect()
    return frames[-1]["message"]["content"]


async def talk_conversation(slides: list[tuple[float, float, str, float]] = SLIDES) -> Conversation:
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(slide_talk)(owner, slides)
    return await database_sync_to_async(ConversationFactory)(owner=owner, video=video)


def quoted_lines(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.startswith("- ")]


@pytest.mark.django_db(transaction=True)
async def test_what_a_slide_says_about_the_budget_quotes_the_budget_line_not_its_title() -> None:
    conversation = await talk_conversation()

    answer = await ask(conversation, "What does the slide say about the budget?")

    assert quoted_lines(answer)[0] == f'- [00:14] on screen: "{BUDGET_LINE}"'
    assert '"Budget"' not in answer


@pytest.mark.django_db(transaction=True)
async def test_a_slide_whose_title_repeats_the_question_answers_with_its_other_lines() -> None:
    conversation = await talk_conversation()

    answer = await ask(conversation, "How big is the team?")

    assert quoted_lines(answer)[0] == '- [00:29] on screen: "Six engineers and two designers"'
    assert '"Team"' not in answer


@pytest.mark.django_db(transaction=True)
async def test_a_title_saying_more_than_the_question_is_not_quoted_for_its_slide() -> None:
    hours = "Open every day from March"
    conversation = await talk_conversation(
        [
            (14.0, 29.0, "Opening hours and staff", 0.12),
            (14.0, 29.0, hours, 0.44),
            (14.0, 29.0, "Two new people join the desk", 0.58),
        ]
    )

    answer = await ask(conversation, "What are the new opening hours?")

    assert quoted_lines(answer)[0] == f'- [00:14] on screen: "{hours}"'
    assert '"Opening hours and staff"' not in answer


@pytest.mark.django_db(transaction=True)
async def test_what_the_speaker_says_about_a_slide_is_answered_from_what_is_said() -> None:
    conversation = await talk_conversation()

    answer = await ask(conversation, "What does the speaker say about the budget slide?")

    assert "can't look at the picture" not in answer
    assert quoted_lines(answer)[0] == f'- [00:17] "{SAID_ABOUT_BUDGET}"'


@pytest.mark.django_db(transaction=True)
async def test_a_question_about_the_colour_of_a_slide_is_still_about_the_picture() -> None:
    conversation = await talk_conversation()

    answer = await ask(conversation, "What colour is the budget slide?")

    assert answer.startswith(VISUAL_NOTICE)


@pytest.mark.parametrize(
    "question",
    [
        "What does the speaker say about the budget slide?",
        "What does the presenter say about the team on the slide?",
        "What did she say the new logo looks like?",
        "What is said about the diagram?",
        "Does the narrator mention the chart?",
        # Wherever the picture is named: in a clause of its own before the question, or first.
        "On the slide, what does the speaker say?",
        "On the budget slide, what did the presenter mention?",
        "When the chart is shown, what does she explain?",
        "Slide 4: what does the lecturer say about costs?",
    ],
)
def test_a_question_about_what_someone_says_is_not_about_the_picture(question: str) -> None:
    assert not is_visual_question(question)


@pytest.mark.parametrize(
    "question",
    [
        "What is on the slide?",
        "What colour is the budget slide?",
        "What does the slide say about the budget?",
        "What does the sign tell us?",
        "What does it say on the screen?",
        "Can you explain the chart?",
        "Tell me what is written on the whiteboard.",
        "Who is shown on screen while she talks about the budget?",
        "What is on the chart that she mentions?",
        "What is shown after he talks about costs?",
    ],
)
def test_a_question_about_what_the_picture_says_or_shows_is_about_the_picture(question: str) -> None:
    assert is_visual_question(question)


def ranked_slide(lines: list[tuple[str, float]]) -> list[str]:
    """The extractive quotes of one slide's lines, given each line's similarity to a question whose
    only key word is "budget" (vectors made to have those similarities)."""
    moment = Moment(
        1, "Talk", 14.0, 29.0, " · ".join(text for text, _ in lines), 0.3, chunk_id=1, kind="shown",
        key_words=KeyWords((frozenset({"budget"}),)),
    )  # fmt: skip
    question = np.array([1.0, 0.0])
    vectors = np.array([[similarity, np.sqrt(1 - similarity**2)] for _, similarity in lines])
    sentences = [[Sentence(14.0, 29.0, text) for text, _ in lines]]
    return [quote.text for quote in best_quotes(answering(rank_sentences(question, [moment], sentences, vectors)))]


def test_a_title_that_only_repeats_the_question_is_quoted_only_when_its_slide_has_nothing_else() -> None:
    assert ranked_slide([("Budget", 0.72), (BUDGET_LINE, 0.39), ("Travel budget cut by 15%", 0.44)]) == [
        BUDGET_LINE,
        "Travel budget cut by 15%",
    ]
    assert ranked_slide([("Budget", 0.72)]) == ["Budget"]
    # A line that says more than the question is no title standing for its slide.
    assert ranked_slide([("Budget 2026", 0.70), (BUDGET_LINE, 0.39)]) == ["Budget 2026"]


def ranked_lines(lines: list[tuple[str, float]], *, key_words: list[str]) -> list[str]:
    """As `ranked_slide`, for a question with these key words."""
    moment = Moment(
        1, "Talk", 14.0, 29.0, " · ".join(text for text, _ in lines), 0.3, chunk_id=1, kind="shown",
        key_words=KeyWords(tuple(frozenset({word}) for word in key_words)),
    )  # fmt: skip
    question = np.array([1.0, 0.0])
    vectors = np.array([[similarity, np.sqrt(1 - similarity**2)] for _, similarity in lines])
    sentences = [[Sentence(14.0, 29.0, text) for text, _ in lines]]
    return [quote.text for quote in best_quotes(answering(rank_sentences(question, [moment], sentences, vectors)))]


def test_a_title_told_by_its_place_stands_for_its_slide_even_saying_more_than_the_question() -> None:
    # The top line, shorter than the others, without a figure: a title, whatever words it adds.
    assert ranked_lines(
        [("About the budget", 0.70), (BUDGET_LINE, 0.42), ("Travel budget cut by 15%", 0.36)], key_words=["budget"]
    ) == [BUDGET_LINE, "Travel budget cut by 15%"]
    assert (
        ranked_lines(
            [
                ("Opening hours and staff", 0.70),
                ("Open every day from March", 0.53),
                ("Two new people join the desk", 0.30),
            ],
            key_words=["opening", "hours"],
        )[0]
        == "Open every day from March"
    )
    # A lone digit numbers a part of the talk: no figure.
    assert ranked_lines(
        [
            ("Volcanoes: lecture 3", 0.66),
            ("Dr. Amelia Reyes, Earth Sciences", 0.40),
            ("Room 204, every Tuesday morning", 0.30),
        ],
        key_words=["volcano", "lecture"],
    ) == ["Dr. Amelia Reyes, Earth Sciences"]


@pytest.mark.parametrize(
    "lines",
    [
        # A figure in the top line: a fact, which may answer.
        [("Budget 2026: cut", 0.70), (BUDGET_LINE, 0.39), ("Travel budget cut by 15%", 0.36)],
        # Not shorter than the others: no title by its place.
        [("The budget was approved in full", 0.70), ("Hardware first", 0.39), ("Travel later", 0.36)],
        # Not the top line.
        [(BUDGET_LINE, 0.39), ("About the budget", 0.70), ("Travel budget cut by 15%", 0.45)],
    ],
)
def test_a_line_that_is_no_title_by_its_place_is_quoted_for_what_it_says(lines: list[tuple[str, float]]) -> None:
    best = max(lines, key=lambda line: line[1])[0]

    assert ranked_lines(lines, key_words=["budget"])[0] == best


def test_of_a_slides_lines_answering_alike_the_one_naming_what_is_asked_comes_first() -> None:
    lines = [("Budget", 0.20), (BUDGET_LINE, 0.41), ("Travel budget cut by 15%", 0.44), ("Hotels booked", 0.40)]

    # Both budget lines answer about as well: read top to bottom.
    assert ranked_lines(lines, key_words=["budget"])[:2] == [BUDGET_LINE, "Travel budget cut by 15%"]
    # Only one of them names travel: it comes first.
    assert ranked_lines(lines, key_words=["budget", "travel"])[0] == "Travel budget cut by 15%"
    assert ranked_lines([(BUDGET_LINE, 0.44), ("Travel budget cut by 15%", 0.41)], key_words=["travel"])[0] == (
        "Travel budget cut by 15%"
    )


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("What does the presenter say about the team on the slide?", "What does the about the team on the"),
        ("On the budget slide, what did the speaker mention?", "On the budget what did the"),
        ("What is said about the chart's colours?", "What about the s"),
        # Not a question about what is said: searched as it is.
        ("What does the slide say about the team?", "What does the slide say about the team?"),
    ],
)
def test_a_question_about_what_is_said_is_searched_without_the_words_that_frame_it(
    question: str, searched: str
) -> None:
    assert words_asked(question) == searched


@pytest.mark.django_db(transaction=True)
async def test_what_the_presenter_says_about_the_team_on_the_slide_quotes_what_is_said_of_the_team() -> None:
    conversation = await talk_conversation()

    answer = await ask(conversation, "What does the presenter say about the team on the slide?")

    assert "can't look at the picture" not in answer
    assert quoted_lines(answer)[0].startswith('- [00:31] "The team moved into a bigger office')
