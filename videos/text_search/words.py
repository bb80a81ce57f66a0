"""The words side of search: which Postgres text search configuration stems a video's words, the
text stored for it (numbers normalised), and a question's key words as a search asks for them.

A chunk's `search_vector` holds its words stemmed in its video's language (`search_config`), and,
for a language other than English, also as written (the 'simple' configuration): a question is
read as English and as plain words (`KEY_WORD_CONFIGS`), since the language it is asked in is not
known, so a French talk is still found by the French words a question shares with it.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from videos.text_search.answer_kinds import Asked
from videos.text_search.compounds import compound_tails
from videos.text_search.numbers import normalise_numbers

ENGLISH = "english"
SIMPLE = "simple"
# ISO 639-1 and -2 codes (what subtitle tracks, YouTube and Whisper report) of the languages
# Postgres stems; any other, or none, is searched by its words as written.
_CONFIG_BY_LANGUAGE = {
    "ar": "arabic", "ara": "arabic", "hy": "armenian", "arm": "armenian", "hye": "armenian", "eu": "basque",
    "baq": "basque", "eus": "basque", "ca": "catalan", "cat": "catalan", "da": "danish", "dan": "danish",
    "nl": "dutch", "dut": "dutch", "nld": "dutch", "en": ENGLISH, "eng": ENGLISH, "et": "estonian",
    "est": "estonian", "fi": "finnish", "fin": "finnish", "fr": "french", "fre": "french", "fra": "french",
    "de": "german", "ger": "german", "deu": "german", "el": "greek", "gre": "greek", "ell": "greek",
    "hi": "hindi", "hin": "hindi", "hu": "hungarian", "hun": "hungarian", "id": "indonesian",
    "ind": "indonesian", "ga": "irish", "gle": "irish", "it": "italian", "ita": "italian", "lt": "lithuanian",
    "lit": "lithuanian", "ne": "nepali", "nep": "nepali", "no": "norwegian", "nor": "norwegian",
    "nb": "norwegian", "nob": "norwegian", "nn": "norwegian", "nno": "norwegian", "pt": "portuguese",
    "por": "portuguese", "ro": "romanian", "rum": "romanian", "ron": "romanian", "ru": "russian",
    "rus": "russian", "sr": "serbian", "srp": "serbian", "es": "spanish", "spa": "spanish", "sv": "swedish",
    "swe": "swedish", "ta": "tamil", "tam": "tamil", "tr": "turkish", "tur": "turkish", "yi": "yiddish",
    "yid": "yiddish",
}  # fmt: skip
_CONFIG_BY_NAME = {name: name for name in set(_CONFIG_BY_LANGUAGE.values())}
# How a question is read: stemmed as English, and as written.
KEY_WORD_CONFIGS = (ENGLISH, SIMPLE)
# Words a question is asked with that name no subject (Postgres' English stop words are left out
# already): a window saying "how many" or "the best way" has not answered anything.
QUESTION_WORDS = frozenset(
    [
        "many", "much", "often", "long", "far", "big", "best", "good", "way", "get", "make", "need", "know",
        "want", "thing", "things", "tell", "explain", "mean", "means", "happen", "happens", "use", "like",
        "kind", "type", "say", "said", "video", "talk", "show", "please", "someone", "something", "anything",
        "find",
    ]
)  # fmt: skip
# A question's first key words only (a pasted paragraph is not a question of a hundred words).
MAX_KEY_WORDS = 8


def search_config(language: str) -> str:
    """The Postgres text search configuration for a transcript's `language` ("en", "fr-CA", "eng",
    "French"…): its stemming, or 'simple' (words as written) for a language Postgres does not stem."""
    code = language.strip().casefold().replace("_", "-")
    if not code:
        return ENGLISH  # no language recorded: what the bundled speech model and most subtitles are
    return _CONFIG_BY_NAME.get(code) or _CONFIG_BY_LANGUAGE.get(code.split("-")[0], SIMPLE)


def searchable_text(text: str) -> str:
    """What a question is read as, and the words of `text` as stored (`stored_text`): numbers in digits."""
    return normalise_numbers(text)


def stored_text(text: str, *, compounds: bool = True) -> str:
    """What is stemmed and stored for a window's `text`: its searchable text, then (with `compounds`:
    English) the last part of each compound it says (videos.text_search.compounds: "shipwreck" is
    also stored as "wreck"), so the words side finds a window by a word it says inside a compound."""
    searchable = searchable_text(text)
    if not compounds:
        return searchable
    tails = compound_tails(re.findall(r"[^\W\d_]+", searchable.casefold()))
    return f"{searchable} {' '.join(tails)}" if tails else searchable


# Kept: every search merges its windows by these (videos.selectors.search_moments_by_vector), and the
# same windows come back question after question about one video; the regular expression over a
# window's text was a third of a search's Python time.
@functools.lru_cache(maxsize=8192)
def plain_words(text: str) -> str:
    """A line's words as repeats of it are recognised: case, spacing and punctuation aside."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


# Every window's stored words also hold its workspace, as one lexeme no text can make (the parser
# never keeps a space inside a lexeme): GIN then finds a word among one workspace's windows by
# intersecting two of its own lists, the workspace's and the word's, instead of checking the word's
# windows of everyone on the table (videos.selectors._WORD_HITS_SQL; bench/search.py has the figures).
WORKSPACE_LEXEME_PREFIX = "~workspace "


def workspace_tsquery(workspace_id: int) -> str:
    """The workspace's lexeme as a tsquery, in the text form Postgres casts without stemming again."""
    return _tsquery_lexeme(f"{WORKSPACE_LEXEME_PREFIX}{int(workspace_id)}")


def _tsquery_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class KeyWords:
    """A question's key words, each as the forms a stored chunk may hold it in (its English stem and
    its plain lowercase spelling): what the full-text side of a search looks for."""

    forms: tuple[frozenset[str], ...] = ()
    asks: frozenset[Asked] = frozenset()  # the kinds of answer the question asks for (answer_kinds)

    def words(self) -> frozenset[str]:
        """Every form of every word, as one set."""
        return frozenset(form for word in self.forms for form in word)

    def __bool__(self) -> bool:
        return bool(self.forms)

    def __len__(self) -> int:
        return len(self.forms)

    def tsqueries(self) -> list[str]:
        """Each word as a tsquery (its forms OR-ed), in the text form Postgres casts to tsquery
        without stemming again."""
        return [" | ".join(_tsquery_lexeme(form) for form in sorted(word)) for word in self.forms]

    def said_in(self, text: str) -> int:
        """How many of the words `text` says, read in Python (for the sentences of a window found by
        its words): a word is said when a token, or the last part of a compound token ("wreck" of
        "shipwreck", as the stored words hold it: `stored_text`), is one of its forms or starts with
        its stem ("fli" of "flies"), close enough to Postgres' stemming to pick the sentence that has them."""
        return self._said(_tokens(text) | _tails(text))

    def compounded_in(self, text: str) -> int:
        """How many of the words `text` names only as the last part of a compound ("wreck" in
        "shipwreck", "boat" in "sailboat"; videos.text_search.compounds), never whole."""
        return self._said(_tokens(text) | _tails(text)) - self._said(_tokens(text))

    def only_repeated_in(self, text: str) -> bool:
        """Whether `text` says some of the words and nothing more: a slide's title "Budget" for "what
        does the slide say about the budget?" names the subject and answers nothing. Words of three
        letters or fewer ("the", "our", "key") do not count as more, numbers always do."""
        if not self:
            return False
        tokens = _tokens(text)
        more = [
            token
            for token in tokens
            if (len(token) > 3 or any(character.isdigit() for character in token))
            and not any(_is_form(token, form) for word in self.forms for form in word)
        ]
        return not more and self._said(tokens) > 0

    def _said(self, tokens: frozenset[str]) -> int:
        return sum(any(_is_form(token, form) for token in tokens for form in word) for word in self.forms)


# Kept, as `plain_words`: a question ranks the same slides' lines as the one before it.
@functools.lru_cache(maxsize=8192)
def _tokens(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[^\W_]+", searchable_text(text).casefold()))


@functools.lru_cache(maxsize=8192)
def _tails(text: str) -> frozenset[str]:
    return frozenset(compound_tails(sorted(_tokens(text))))


def _is_form(token: str, form: str) -> bool:
    return token == form or (len(form) >= 3 and token.startswith(form))


NO_KEY_WORDS = KeyWords()


def key_words_from(parsed: Iterable[tuple[str, str, Iterable[str] | None, Iterable[str] | None]]) -> KeyWords:
    """KeyWords from the question parsed by Postgres (`videos.selectors.question_key_words`): for
    each token (alias, token, English lexemes, plain lexemes), in order. A token is a key word when
    English stemming keeps it (not a stop word), it is no question word, and it is a whole word
    (the parts of "e-mail" are left to the whole)."""
    words: list[frozenset[str]] = []
    seen: set[frozenset[str]] = set()
    for alias, token, english, plain in parsed:
        if not english or alias.startswith("hword_") or token.casefold() in QUESTION_WORDS:
            continue
        forms = frozenset([*english, *(plain or ())])
        if forms and forms not in seen:
            seen.add(forms)
            words.append(forms)
    return KeyWords(tuple(words[:MAX_KEY_WORDS]))


def words_needed(asked: int, *, share: float, least: int) -> int:
    """How many of a question's `asked` key words a text must say to answer it by its words: at
    least `share` of them and at least `least` (all of them when the question has fewer)."""
    return min(asked, max(least, math.ceil(share * asked)))
