"""Synthetic transcript texts and questions for bench/search.py, shaped as spoken lectures are for
full-text search: what the words side of a search costs depends on how often its words occur.

A chunk is ~100 words (about forty seconds of speech): 45 function words (Postgres' English stop
words, dropped when stemmed), 40 everyday words from one general vocabulary shared by every video,
and 15 subject words from its video's topic. Each vocabulary is drawn from by a Zipf law (the word
of rank r ∝ 1/r), so the head of the general vocabulary is said in nearly every chunk ("going",
"look", "really": the "very common word" of a heavy owner), its tail in a few in a thousand, and a
topic's own terms are frequent in its videos and rare elsewhere (topics share terms from a common
pool, as neighbouring subjects do). Subject words are made-up but pronounceable ("belorant"), so
the English stemmer treats them as it treats real words.

A question is a question word, a few function words, one to three subject words of the topic the
query vector points at (its video's, or a random topic for the 20 % of queries off topic) and
zero to two everyday words: "how does going belorant of the tisoka work".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from videos.text_search.numbers import normalise_numbers

WORDS_PER_CHUNK = 100
FUNCTION_WORDS_PER_CHUNK, GENERAL_WORDS_PER_CHUNK, TOPIC_WORDS_PER_CHUNK = 45, 40, 15
GENERAL_WORDS = 4_000
SUBJECT_POOL = 40_000  # subject words all topics draw theirs from
WORDS_PER_TOPIC = 300
ORDERS = 16  # word orders a chunk's slots are shuffled into (one per chunk index mod ORDERS)

FUNCTION = [
    "the", "and", "to", "of", "a", "in", "that", "is", "it", "you", "we", "this", "so", "i", "for", "on",
    "be", "are", "with", "as", "have", "can", "what", "at", "but", "not", "or", "if", "they", "do", "there",
    "was", "all", "about", "an", "by", "from", "will", "just", "then", "your", "when", "our", "more",
    "how", "which", "these",
]  # fmt: skip
# The head of the general vocabulary: what lecturers say in every other sentence (none a stop word).
EVERYDAY = [
    "going", "look", "really", "right", "think", "know", "see", "actually", "time", "people", "work",
    "point", "example", "now", "want", "question", "thing", "data", "part", "idea", "course", "way", "lot",
    "case", "little", "first", "different", "important", "understand", "problem", "today", "talk", "next",
    "kind", "start", "new", "mean", "take", "good", "system", "use", "process", "result", "number",
]  # fmt: skip
QUESTION_STARTS = (
    "what is the {p}",
    "how does {p} work",
    "why do we need {p}",
    "where does {p} come from",
    "explain {p}",
    "when is {p} used",
    "which {p} did we see",
    "what happens to {p}",
)
_ONSETS = [
    "b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "k", "l", "m", "n", "p", "pl", "r", "s", "st", "t",
    "tr", "v", "z",
]  # fmt: skip
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io"]
_CODAS = ["", "", "n", "r", "l", "s", "nt", "x"]


def zipf_cdf(size: int, exponent: float = 1.0) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return np.cumsum(weights / weights.sum())


def made_up_words(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct pronounceable words of 2–4 syllables, none a real number word."""
    words: dict[str, None] = {}
    while len(words) < count:
        syllables = int(rng.integers(2, 5))
        word = "".join(
            _ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))] for _ in range(syllables)
        )
        words[word + _CODAS[rng.integers(len(_CODAS))]] = None
    return list(words)


@dataclass
class Vocabulary:
    """Every word a chunk or a question may say, by number (`words`), and who draws from which."""

    words: list[str]  # function words, then general (everyday first), then the subject pool
    general_first: int
    subject_first: int
    topic_words: np.ndarray  # (topics, WORDS_PER_TOPIC): numbers into `words`, most frequent first
    orders: np.ndarray  # (ORDERS, WORDS_PER_CHUNK): slot permutations

    def text(self, numbers: Sequence[int]) -> str:
        return " ".join([self.words[number] for number in numbers])


def make_vocabulary(seed: int, topics: int) -> Vocabulary:
    rng = np.random.default_rng([seed, 36])  # its own stream: the same words on --reuse, whatever else is drawn
    needed = GENERAL_WORDS - len(EVERYDAY) + SUBJECT_POOL
    # Made-up words that happen to be real ones ("nine", "mine") are dropped: no numbers to normalise,
    # no word said twice over.
    taken = {*FUNCTION, *EVERYDAY}
    made_up = [
        word for word in made_up_words(rng, needed + 500) if word not in taken and normalise_numbers(word) == word
    ][:needed]
    assert len(made_up) == needed, "draw more made-up words"
    general = EVERYDAY + made_up[: GENERAL_WORDS - len(EVERYDAY)]
    pool = made_up[GENERAL_WORDS - len(EVERYDAY) :]
    words = [*FUNCTION, *general, *pool]
    subject_first = len(FUNCTION) + len(general)
    topic_words = np.stack(
        [subject_first + rng.choice(SUBJECT_POOL, size=WORDS_PER_TOPIC, replace=False) for _ in range(topics)]
    )
    orders = np.stack([rng.permutation(WORDS_PER_CHUNK) for _ in range(ORDERS)])
    return Vocabulary(words, len(FUNCTION), subject_first, topic_words, orders)


_FUNCTION_CDF = zipf_cdf(len(FUNCTION))
_GENERAL_CDF = zipf_cdf(GENERAL_WORDS)
_TOPIC_CDF = zipf_cdf(WORDS_PER_TOPIC)


def draw(rng: np.random.Generator, cdf: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(shape)), len(cdf) - 1)


def video_texts(rng: np.random.Generator, vocabulary: Vocabulary, topic: int, chunks: int) -> list[str]:
    """The texts of one video's `chunks` chunks, about `topic`."""
    slots = np.concatenate(
        [
            draw(rng, _FUNCTION_CDF, (chunks, FUNCTION_WORDS_PER_CHUNK)),
            vocabulary.general_first + draw(rng, _GENERAL_CDF, (chunks, GENERAL_WORDS_PER_CHUNK)),
            vocabulary.topic_words[topic][draw(rng, _TOPIC_CDF, (chunks, TOPIC_WORDS_PER_CHUNK))],
        ],
        axis=1,
    )
    ordered = np.take_along_axis(slots, vocabulary.orders[np.arange(chunks) % ORDERS], axis=1)
    return [vocabulary.text(row) for row in ordered.tolist()]


def question(rng: np.random.Generator, vocabulary: Vocabulary, topic: int) -> str:
    """A question about `topic` (see the module's docstring)."""
    subject = dict.fromkeys(vocabulary.topic_words[topic][draw(rng, _TOPIC_CDF, (int(rng.integers(1, 4)),))])
    everyday = dict.fromkeys(vocabulary.general_first + draw(rng, _GENERAL_CDF, (int(rng.integers(0, 3)),)))
    start = QUESTION_STARTS[int(rng.integers(len(QUESTION_STARTS)))]
    phrase = (
        " ".join(vocabulary.words[number] for number in everyday)
        + " "
        + " of the ".join(vocabulary.words[number] for number in subject)
    )
    return start.format(p=phrase.strip())
