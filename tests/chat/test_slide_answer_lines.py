"""A question a slide answers is answered by the slide's line that holds what is asked, not by its
title or by another figure on it: a "who" question by the line naming the person, a question about a
speed, a height or a weight by the line with that kind of figure. The first two slides stand for
issue 65's held-out questions ("who was the last person to …", a top speed); the rest were written
before the quoting was changed for them."""

from __future__ import annotations

import pytest

from tests.chat.test_slide_questions import ask, quoted_lines, talk_conversation

pytestmark = pytest.mark.django_db(transaction=True)

# One slide each, as the reader stores it: its lines from the top, (start, end, text, top of its box).
MOON = ["Apollo 17", "Last crew on the Moon: December 1972", "Commander Eugene Cernan"]
CHEETAH = ["Cheetah", "Weight: 21 to 72 kg", "Runs at up to 112 km/h", "Sprints last about 20 seconds"]
BRIDGE = ["Golden Gate Bridge", "Opened in 1937", "Length: 2,737 metres", "Chief engineer Joseph Strauss"]
TRAIN = ["Shinkansen", "First line opened in 1964", "Carries 420,000 passengers a day", "Maximum speed 320 km/h"]
TOWER = ["Eiffel Tower", "Built for the 1889 World's Fair", "Height: 330 metres", "Visited by 7 million people a year"]
NOBEL = ["Nobel Prize firsts", "Awarded every year since 1901", "Marie Curie, Physics 1903"]
CAR = ["Thrust SSC", "Top speed record set in 1997", "Reached 1,228 km/h in the desert", "Weight: 10 tonnes"]
WHALE = ["Blue whale", "Length up to 30 metres", "Weighs up to 190 tonnes", "Lives 80 to 90 years"]


def one_slide(lines: list[str]) -> list[tuple[float, float, str, float]]:
    return [(14.0, 29.0, text, 0.12 + 0.16 * place) for place, text in enumerate(lines)]


@pytest.mark.parametrize(
    ("slide", "question", "answer"),
    [
        (MOON, "Who was the last person to walk on the Moon?", "Commander Eugene Cernan"),
        (CHEETAH, "What is the top speed of a cheetah?", "Runs at up to 112 km/h"),
        # Held out: written before the change.
        (BRIDGE, "Who designed the bridge?", "Chief engineer Joseph Strauss"),
        (TRAIN, "How fast can the train go?", "Maximum speed 320 km/h"),
        (TOWER, "How tall is the tower?", "Height: 330 metres"),
        (NOBEL, "Who was the first woman to win a Nobel Prize?", "Marie Curie, Physics 1903"),
        (WHALE, "How heavy is the blue whale?", "Weighs up to 190 tonnes"),
        (CAR, "What was the car's top speed?", "Reached 1,228 km/h in the desert"),
    ],
)
async def test_the_slide_line_holding_what_is_asked_is_quoted_first(slide, question, answer) -> None:
    conversation = await talk_conversation(one_slide(slide))

    reply = await ask(conversation, question)

    assert quoted_lines(reply)[0] == f'- [00:14] on screen: "{answer}"', reply
