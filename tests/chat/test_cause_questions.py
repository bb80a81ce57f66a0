"""A question asking what decides, causes or makes something is about what is said, even when it
names a colour or a shape: "What decides the colour that the cabbage liquid turns?" is answered by
quoting first the sentence that says so, not with "I can't look at the picture" (issue 65). The others were written
before the change, beside questions that still ask about the picture."""

from __future__ import annotations

import pytest

from chat.visual import is_visual_question
from tests.chat.test_close_paraphrases import answer_to

CABBAGE = [
    (1.0, 6.0, "Today we are making a colour changing potion from red cabbage."),
    (6.0, 12.0, "Chop the cabbage and boil it in water for ten minutes, then strain the purple liquid."),
    (12.0, 19.0, "How acidic or alkaline the liquid is decides whether it turns pink, purple or green."),
    (19.0, 25.0, "Add a spoon of vinegar to one glass and a pinch of baking soda to the other."),
]
STARS = [
    (1.0, 6.0, "Tonight we look at the stars above the observatory."),
    (6.0, 12.0, "A star's surface temperature sets its colour, from red for cooler stars to blue for the hottest."),
    (12.0, 18.0, "Our own sun is a fairly ordinary yellow dwarf in the middle of its life."),
]
LEAVES = [
    (1.0, 6.0, "Welcome to the forest walk, the trees are at their finest this week."),
    (
        6.0,
        12.0,
        "In autumn the trees stop making chlorophyll, so the red and yellow pigments in the leaves show through.",
    ),
    (12.0, 18.0, "The path down to the lake is steep, so please wear good shoes."),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("lines", "question", "cited"),
    [
        (CABBAGE, "What decides the colour that the cabbage liquid turns?", "[00:12]"),
        # Held out: written before the change.
        (STARS, "What determines the colour of a star?", "[00:06]"),
        (LEAVES, "What causes the colours of the leaves in autumn?", "[00:06]"),
    ],
)
async def test_a_question_about_what_decides_a_colour_is_answered_from_what_is_said(lines, question, cited) -> None:
    answer = await answer_to(lines, question)

    assert "can't look at the picture" not in answer, answer
    first_quote = next(line for line in answer.splitlines() if line.startswith("- "))
    assert first_quote.startswith(f"- {cited}"), answer


@pytest.mark.parametrize(
    "question",
    [
        "What decides the colour that the cabbage liquid turns?",
        "What determines the shape of the crystals?",
        "What makes the sky appear blue?",
        "Why are flamingos coloured pink?",
        "What causes the colours of the leaves in autumn?",
    ],
)
def test_a_question_about_a_cause_is_not_about_the_picture(question: str) -> None:
    assert not is_visual_question(question)


@pytest.mark.parametrize(
    "question",
    [
        "What colour is the car?",
        "What colour does the liquid turn on screen?",
        "Why is the slide red?",
        "What does the chart show causes the delay?",
        "What is she wearing?",
    ],
)
def test_a_question_about_what_is_seen_is_still_about_the_picture(question: str) -> None:
    assert is_visual_question(question)
