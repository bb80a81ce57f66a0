"""Numbers read alike however they were said, shown or typed: "twenty five" = "25", "2,500" = "2500"."""

from __future__ import annotations

import pytest

from videos.text_search.numbers import normalise_numbers


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("twenty five", "25"),
        ("Twenty-five bees", "25 bees"),
        ("two hundred and forty-five", "245"),
        ("fifty thousand bees", "50000 bees"),
        ("one million two hundred thousand", "1200000"),
        ("a hundred people", "100 people"),
        ("2 million", "2000000"),
        ("2,500 kg and 25,000", "2500 kg and 25000"),
        ("one point eight", "1.8"),
        ("nineteen ninety eight", "1998"),
        ("the twenty-fifth of May", "the 25 of May"),
        ("the 25th of May", "the 25 of May"),
        ("twenty-first century", "21 century"),
        ("the third time", "the 3 time"),
        ("between two and three", "between 2 and 3"),
    ],
)
def test_numbers_are_written_in_digits(written: str, normalised: str) -> None:
    assert normalise_numbers(written) == normalised


@pytest.mark.parametrize(
    "text",
    [
        "first we mix the flour, then wait a second",  # an order and a unit of time, not numbers
        "version 1.8.2 costs 3.50",
        "a cat and a dog",
        "",
    ],
)
def test_text_without_spoken_numbers_is_left_as_it_was(text: str) -> None:
    assert normalise_numbers(text) == text


def test_the_said_and_the_typed_number_read_the_same() -> None:
    said = normalise_numbers("a strong hive gives twenty five thousand bees")
    asked = normalise_numbers("which hive has 25,000 bees?")
    assert "25000" in said.split() and "25000" in asked.split()


@pytest.mark.parametrize("text", ["x³ and y²", "n³ = 8", "٣ apples"])
def test_superscripts_and_other_scripts_digits_do_not_break_a_search(text: str) -> None:
    # "³" is a digit to str.isdigit() but not a number int() reads; a search for it was a 500.
    assert normalise_numbers(text) == text
