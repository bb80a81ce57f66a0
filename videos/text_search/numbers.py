"""Numbers written the same way however they were said or typed, for full-text search: a transcript
says "twenty five thousand", a slide shows "25,000", a question asks "25000". Both the stored
text and the question go through `normalise_numbers`, so all three become "25000".

What is rewritten: cardinal number words (with hyphens and "and": "two hundred and forty-five"),
"a hundred"/"a thousand", scales after digits ("2 million"), decimals said with "point" ("one
point eight"), years said in pairs ("nineteen ninety eight" = 1998), ordinals from "third" on and
compound ones ("twenty-fifth", "25th" = 25), and digit groups ("2,500" = 2500). "First" and
"second" stay words on their own: far more often an order or a unit of time than a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_BIG = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
}  # fmt: skip
_ORDINAL_TEENS = {
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
}  # fmt: skip
_ORDINAL_TENS = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90,
}  # fmt: skip
_ORDINAL_BIG = {"thousandth": 1_000, "millionth": 1_000_000, "billionth": 1_000_000_000}
# Alone these are an order or a unit of time ("first we mix", "a second"), not a number.
_AMBIGUOUS_ORDINALS = frozenset({"first", "second"})

_TOKEN = re.compile(r"\d+(?:st|nd|rd|th)?\b|[^\W\d_]+|\s+|.", re.UNICODE)
_DIGIT_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,]|\.\d)")
_DIGIT_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


@dataclass(frozen=True)
class _Word:
    """A number word: what it is worth and how it combines with its neighbours."""

    kind: str  # "unit", "teen", "tens", "hundred", "big", "digits", "point"
    value: int
    ordinal: bool = False


def _word(token: str) -> _Word | None:
    lower = token.casefold()
    if lower in _UNITS:
        return _Word("unit", _UNITS[lower])
    if lower in _TEENS:
        return _Word("teen", _TEENS[lower])
    if lower in _TENS:
        return _Word("tens", _TENS[lower])
    if lower == "hundred":
        return _Word("hundred", 100)
    if lower in _BIG:
        return _Word("big", _BIG[lower])
    if lower in _ORDINAL_UNITS:
        return _Word("unit", _ORDINAL_UNITS[lower], ordinal=True)
    if lower in _ORDINAL_TEENS:
        return _Word("teen", _ORDINAL_TEENS[lower], ordinal=True)
    if lower in _ORDINAL_TENS:
        return _Word("tens", _ORDINAL_TENS[lower], ordinal=True)
    if lower == "hundredth":
        return _Word("hundred", 100, ordinal=True)
    if lower in _ORDINAL_BIG:
        return _Word("big", _ORDINAL_BIG[lower], ordinal=True)
    if lower == "point":
        return _Word("point", 0)
    if token.isdecimal():  # not isdigit(): "³" is a digit int() cannot read
        return _Word("digits", int(token))
    return None


def _is_scale(word: _Word | None) -> bool:
    return word is not None and word.kind in ("hundred", "big")


def _is_digit_word(word: _Word | None) -> bool:
    return word is not None and word.kind == "unit" and not word.ordinal


def _numbers(words: list[_Word]) -> list[str]:
    """The numbers a run of number words says, in order (a run may say several: "two three")."""
    numbers: list[str] = []
    total, current, last_big = 0, -1, 0  # current -1: no number under way
    last_kind = ""
    index = 0

    def flush() -> None:
        nonlocal total, current, last_big
        if current >= 0 or total:
            numbers.append(str(total + max(current, 0)))
        total, current, last_big = 0, -1, 0

    while index < len(words):
        word = words[index]
        if word.kind == "point":
            digits = []
            while index + 1 < len(words) and words[index + 1].kind == "unit" and not words[index + 1].ordinal:
                index += 1
                digits.append(str(words[index].value))
            whole = total + max(current, 0)
            total, current, last_big = 0, -1, 0
            numbers.append(f"{whole}.{''.join(digits)}")
        elif word.kind in ("unit", "teen"):
            if current >= 0 and last_kind == "tens" and word.kind == "unit" and current % 100 >= 20:
                current += word.value
            elif (current >= 0 and last_kind == "hundred") or (current < 0 and last_kind == "big" and total):
                current = max(current, 0) + word.value
            else:
                flush()
                current = word.value
        elif word.kind == "tens":
            if (current >= 0 and last_kind == "hundred") or (current < 0 and last_kind == "big" and total):
                current = max(current, 0) + word.value
            else:
                flush()
                current = word.value
        elif word.kind == "digits":
            flush()
            current = word.value
        elif word.kind == "hundred":
            if 0 <= current < 100:
                current = max(current, 1) * 100 if current else 100
            else:
                flush()
                current = 100
        else:  # a big scale: thousand, million, billion
            if last_big and word.value >= last_big:
                flush()
            if current < 0 and not total:
                current = 1
            total += max(current, 1) * word.value
            current, last_big = -1, word.value
        last_kind = word.kind
        if word.ordinal:
            flush()
            last_kind = ""
        index += 1
    flush()
    return _years(numbers, words)


def _years(numbers: list[str], words: list[_Word]) -> list[str]:
    """Two numbers said as a year ("nineteen ninety eight", "twenty twenty") as that year."""
    if len(numbers) != 2 or any(word.kind in ("hundred", "big", "digits", "point") for word in words):
        return numbers
    first, second = int(numbers[0]), int(numbers[1])
    if 11 <= first <= 99 and 10 <= second <= 99:
        return [str(first * 100 + second)]
    return numbers


def normalise_numbers(text: str) -> str:
    """`text` with its numbers written in digits (see the module's docstring); everything else as it was."""
    text = _DIGIT_GROUPS.sub(lambda match: match.group(0).replace(",", ""), text)
    tokens = _TOKEN.findall(text)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        run, end = _run_at(tokens, index)
        if not run:
            digit_ordinal = _DIGIT_ORDINAL.match(tokens[index])
            out.append(digit_ordinal.group(1) if digit_ordinal else tokens[index])
            index += 1
            continue
        out.append(" ".join(_numbers(run)))
        index = end
    return "".join(out)


def _run_at(tokens: list[str], start: int) -> tuple[list[_Word], int]:
    """The number words starting at token `start` (joined by spaces, hyphens, or "and" after a
    scale), and the index of the token after them; nothing when no number starts there."""
    run: list[_Word] = []
    index = start
    while index < len(tokens):
        token = tokens[index]
        word = _word(token)
        if word is None and token.casefold() == "a" and not run:
            scale = _next_word(tokens, index + 1)[0]
            if scale is not None and _is_scale(scale) and not scale.ordinal:
                word = _Word("unit", 1)
        if word is None:
            break
        if word.kind == "digits" and not (not run and _is_scale(_next_word(tokens, index + 1)[0])):
            break
        if word.kind == "point" and not (run and _is_digit_word(_next_word(tokens, index + 1)[0])):
            break
        if not run and word.ordinal and token.casefold() in _AMBIGUOUS_ORDINALS:
            break
        if run and word.ordinal and token.casefold() in _AMBIGUOUS_ORDINALS and run[-1].kind != "tens":
            break
        run.append(word)
        index += 1
        if word.ordinal:
            break
        following, after = _next_word(tokens, index)
        if following is None:
            break
        between = "".join(tokens[index : after - 1]).strip()
        if between.casefold() == "and":
            if not (_is_scale(run[-1]) and following.kind in ("unit", "teen", "tens")):
                break
        elif between not in ("", "-"):
            break
        index = after - 1
    if not run or (len(run) == 1 and run[0].kind == "point"):
        return [], start
    return run, index


def _next_word(tokens: list[str], index: int) -> tuple[_Word | None, int]:
    """The next number word after spaces, a hyphen or "and", and the index after it."""
    seen_and = False
    while index < len(tokens):
        token = tokens[index]
        if token.isspace() or token == "-":  # noqa: S105  (a hyphen, not a password)
            index += 1
            continue
        if token.casefold() == "and" and not seen_and:
            seen_and = True
            index += 1
            continue
        word = _word(token)
        return word, index + 1
    return None, index
