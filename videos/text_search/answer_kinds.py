"""What kind of answer a question asks for (a person, a speed, a size, a weight, a time) and how
plainly a line of text holds one: how the line of a slide that answers is told from its title and
from the other figures beside it (videos.search.lift_answering_lines).

A slide's lines are short, and MiniLM puts the one repeating the question's words closest ("Last
crew on the Moon: December 1972" for "who was the last person to walk on the Moon?"), while the
answer is the line naming someone ("Commander Eugene Cernan"); a question about a top speed is
answered by the figure in km/h, not the weight in kg on the same slide. Read from the question's
words and the line's figures and units, as a reader of the slide would: no model.
"""

from __future__ import annotations

import functools
import re
from enum import StrEnum


class Asked(StrEnum):
    PERSON = "person"
    SPEED = "speed"
    SIZE = "size"
    WEIGHT = "weight"
    DURATION = "duration"
    DATE = "date"
    CAUSE = "cause"


_NUMBER = r"\d[\d,.]*\s?"
# The units (after a figure) that answer each kind.
_UNITS = {
    Asked.SPEED: (
        r"(?:km/h|kmh|kph|mph|m/s|knots?|kn"
        r"|(?:kilomet(?:re|er)s?|miles|metres|meters)\s+(?:per|an|a)\s+(?:hour|second))"
    ),
    Asked.SIZE: (
        r"(?:km|kilomet(?:re|er)s?|m|met(?:re|er)s?|cm|centimet(?:re|er)s?|mm|ft|feet|foot|miles?|inch(?:es)?|in"
        r"|yards?)"
    ),
    Asked.WEIGHT: r"(?:kg|kilo(?:gram)?s?|g|grams?|tonnes?|tons?|t|lbs?|pounds?|ounces?|oz)",
    Asked.DURATION: r"(?:seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?|years?)",
}
_FIGURE_OF = {kind: re.compile(rf"{_NUMBER}{unit}(?![\w/])", re.IGNORECASE) for kind, unit in _UNITS.items()}
_MONTHS = frozenset(
    word
    for group in (
        "january february march april may june july august september october november december",
        "jan feb mar apr jun jul aug sep sept oct nov dec",
    )
    for word in group.split()
)
_DATE = re.compile(
    rf"\b(?:1[5-9]\d\d|20\d\d)\b|\b\d{{1,2}}:\d\d\b|\b(?:{'|'.join(sorted(_MONTHS))})\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b",
    re.IGNORECASE,
)
# Words of a question asking for each kind ("how fast", "top speed", "how tall", "when").
_ASKS = {
    Asked.PERSON: re.compile(r"\b(?:who|whom|whose)\b|\bwhich (?:person|man|woman|scientist|engineer)\b|\bname of\b"),
    Asked.SPEED: re.compile(r"\b(?:speeds?|fast|faster|fastest|quick(?:ly)?|velocity)\b"),
    Asked.SIZE: re.compile(
        r"\bhow (?:tall|high|long|deep|far|wide|big)\b|\b(?:height|length|depth|distance|width|tall|deep|wide)\b"
    ),
    Asked.WEIGHT: re.compile(r"\b(?:heavy|heavier|heaviest|weigh|weighs|weighed|weight|mass)\b"),
    Asked.DURATION: re.compile(r"\bhow long\b|\bduration\b"),
    Asked.DATE: re.compile(r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|time)\b"),
    # Why, or what decides, causes or makes something: the answer is a reason.
    Asked.CAUSE: re.compile(
        r"\b(?:why|how come)\b|\b(?:what|which)(?:\s+[a-z]+)?\s+(?:decides?|decided|determines?|determined|causes?"
        r"|caused|controls?|controlled|affects?|affected|makes?|made|gives?|gave|sets?)\b"
    ),
}
# Words that give a reason in a sentence: "because", "decides", "depends on", "due to".
_REASON = re.compile(
    r"\b(?:because|since|so that|due to|thanks to|therefore|which is why|that is why|depends? on|decides?|decided"
    r"|determines?|determined|causes?|caused|controls?|sets?)\b",
    re.IGNORECASE,
)
# Words that introduce a person on a slide: "by Dana Whitfield", "Chief engineer Joseph Strauss".
_PERSON_CUES = frozenset(
    word
    for group in (
        "by dr prof mr mrs ms sir dame lady lord captain commander chief king queen president minister",
        "engineer architect designer director founder inventor author ceo presenter speaker pilot",
        "astronaut scientist professor",
    )
    for word in group.split()
)
_WORD = re.compile(r"[^\W\d_][^\W\d_'.-]*")


def asks_for_a_cause(question: str) -> bool:
    """Whether the question asks why, or what decides, causes or makes something ("what decides the
    colour that the cabbage liquid turns?"): its answer is a reason, which a video says."""
    return bool(_ASKS[Asked.CAUSE].search(question.casefold()))


def asked_kinds(question: str) -> frozenset[Asked]:
    """The kinds of answer the question asks for (none for most: "what does the slide say?")."""
    text = question.casefold()
    return frozenset(kind for kind, asks in _ASKS.items() if asks.search(text))


@functools.lru_cache(maxsize=8192)
def holds(text: str, kind: Asked, *, question_words: frozenset[str] = frozenset()) -> int:
    """How plainly `text` holds an answer of `kind`: 0 not at all, 1 likely, 2 plainly. A person is
    two capitalised words in a row that are not the question's (`question_words`, casefolded), nor
    a month (1), and plainly so after a word that introduces one ("by", a role, a title) (2). A
    figure is plain when its unit is of the kind ("112 km/h" for a speed); a date is a year, a
    month, a day or a time of day; a reason is a sentence giving one ("because", "decides")."""
    if kind is Asked.PERSON:
        return _person(text, question_words)
    if kind is Asked.DATE:
        return 2 if _DATE.search(text) else 0
    if kind is Asked.CAUSE:
        return 2 if _REASON.search(text) else 0
    return 2 if _FIGURE_OF[kind].search(text) else 0


def _person(text: str, question_words: frozenset[str]) -> int:
    words = _WORD.findall(text)
    best = 0
    for index in range(len(words) - 1):
        pair = words[index : index + 2]
        if not all(_names(word, question_words) for word in pair):
            continue
        before = words[index - 1].casefold().rstrip(".") if index else ""
        cued = before in _PERSON_CUES or pair[0].casefold().rstrip(".") in _PERSON_CUES
        best = max(best, 2 if cued else 1)
    return best


def _names(word: str, question_words: frozenset[str]) -> bool:
    folded = word.casefold()
    return (
        word[0].isupper()
        and folded not in question_words
        and folded.rstrip("s") not in question_words
        and folded not in _MONTHS
    )
