"""The words side of search knows compounds: a question's word said only inside a compound of a
window ("wreck" in "shipwreck", "boat" in "sailboat") finds that window by its words, through the
search API, as a whole word would; a word that only looks like a compound's end ("ship" in
"friendship") does not. Windows written before are given the same words by a migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.videos.test_hybrid_search import far_video
from videos.models import TranscriptChunk
from videos.text_search.compounds import compound_tail
from videos.text_search.words import KeyWords

pytestmark = pytest.mark.django_db

WRECK = "A shipwreck from 1711 lies in twelve metres of water off the northern point."
BOAT = "Our sailboat was bought second-hand in the spring."
FRIENDS = "Their friendship lasted for forty years."
refill = importlib.import_module("videos.migrations.0032_chunk_words_hold_compound_ends")


def searched(owner, question: str) -> list[str]:
    client = APIClient()
    client.force_authenticate(owner)
    return [row["text"] for row in client.get("/api/v1/search", {"q": question}).json()]


def test_a_word_said_only_inside_a_compound_finds_its_window_by_its_words() -> None:
    owner = UserFactory()
    # Windows whose meaning the embedder missed: only their words can find them.
    far_video(owner, [(0.0, 6.0, WRECK), (6.0, 12.0, BOAT), (12.0, 18.0, FRIENDS)], away_from="wreck boat ship")

    assert searched(owner, "wreck") == [WRECK]
    assert searched(owner, "boat") == [BOAT]
    assert searched(owner, "ship") == []


def test_windows_written_before_are_given_their_compounds_ends() -> None:
    owner = UserFactory()
    far_video(owner, [(0.0, 6.0, WRECK)], away_from="wreck")
    TranscriptChunk.objects.update(search_vector=None)  # as written before: words without the ends

    refill.fill(apps, None)

    assert searched(owner, "wreck") == [WRECK]


@pytest.mark.parametrize(
    ("word", "tail"),
    [("shipwreck", "wreck"), ("sailboat", "boat"), ("moonwalk", "walk"), ("houseplants", "plants")],
)
def test_a_compound_ends_with_a_known_word(word: str, tail: str) -> None:
    assert compound_tail(word) == tail


@pytest.mark.parametrize(
    "word",
    [
        # Made with a suffix or a function word.
        "friendship", "understand", "childhood", "homeless", "anything",
        # Known whole, or inflecting a word known whole: no "thin" + "king", "mil" + "lion".
        "thinking", "million", "beginners", "season", "lighthouse", "dropping",
    ],
)  # fmt: skip
def test_a_word_made_with_a_suffix_or_a_function_word_or_known_whole_is_no_compound(word: str) -> None:
    assert compound_tail(word) is None


def test_a_sentence_says_the_word_it_names_inside_a_compound() -> None:
    key_words = KeyWords((frozenset({"wreck"}), frozenset({"deep"})))

    assert key_words.said_in(WRECK) == 1
    assert key_words.compounded_in(WRECK) == 1
    assert key_words.compounded_in("The wreck is deep.") == 0
