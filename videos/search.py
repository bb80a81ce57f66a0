"""Transcript search down to the sentence: the windows of my videos that best answer a question, by
meaning and by words (videos.selectors.search_moments_by_vector: vector and full-text search fused),
then, inside them, the sentences that answer it.

Windows (~40 s) are what is embedded and searched: long enough to carry a subject. A citation or a
search result points at a sentence: its time is when that sentence starts, and what it quotes is
that sentence. The sentences of the windows found, with their vectors stored when each window was
written (videos.window_sentences), are ranked against the question (`Quote.score`).

A vector search returns the nearest windows however unrelated: a window further than
MOMENT_MATCH_MAX_DISTANCE from the question, or a sentence less similar than SENTENCE_MATCH_MIN,
does not answer it, so an unrelated question finds nothing; unless it says enough of the
question's key words (`found_by_words`): then the window answers, and so do its sentences that
say them, however far their meaning, since a question's own words transcribed are the surest sign.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from videos.models import TranscriptChunk, Video
from videos.screen_text.lines import LINE_SEPARATOR
from videos.selectors import Moment, search_moments_by_vector
from videos.text_embedding.model import embed_query, embed_texts_for_request
from videos.text_search.answer_kinds import holds
from videos.text_search.words import KeyWords, words_needed
from videos.text_search.words import plain_words as plain_words  # re-exported: callers read it here
from videos.timed_text import Sentence
from videos.window_sentences import moment_sentences as moment_sentences  # re-exported: callers read it here
from videos.window_sentences import sentences_inside as sentences_inside  # re-exported: callers read it here
from workspaces.models import Membership

# A window and the best sentence in it answer a question only when both are close enough to it:
# the window within MOMENT_MATCH_MAX_DISTANCE (cosine distance, MiniLM) and the sentence's similarity
# at least SENTENCE_MATCH_MIN. Calibrated on bench/talks.py with 40 s windows (bench/citations.py
# prints the figures): the best window of a related question lay at 0.32–0.80 (median 0.47), of an
# unrelated one at 0.59–0.94 (median 0.84), so no window distance alone separates them (0.78 alone
# lets 5 of 30 unrelated questions through); the best sentence of a related question had a
# similarity of 0.25–0.84 (median 0.65; 0.44 but for one), of an unrelated one 0.12–0.46 (median
# 0.20). Together they keep 47 of 48 related questions and let 2 of 30 unrelated ones through (both
# near a talk's subject: "learn to swim as an adult", "how fast does light travel"). The floor sits
# low in the gap because a related question asked in other words can score under 0.4 ("what do we
# do about the mess on the counter?" against "we clean up: wash the bowls and wipe the flour off
# the counter", 0.38), and quoting nothing is the worse mistake. The window cut was raised from
# 0.78 to 0.80 on the tuning half of bench/citations.py's talks with slides (real recordings and
# espeak-ng, said and shown): a real recording's "what would please almost any girl?" found its
# window at 0.783 (sentence 0.47) and was answered by nothing; at 0.80 the tuning half keeps 23/23,
# the unrelated questions there still get nothing (30/30, the nearest at 0.736 with a best
# sentence of 0.32), and the talks above are unchanged (47/48 kept, 2/30 through).
MOMENT_MATCH_MAX_DISTANCE = 0.80
SENTENCE_MATCH_MIN = 0.35
# A window (and a sentence of it) answers by its words when it says at least WORDS_MATCH_SHARE of the
# question's key words, and at least WORDS_MATCH_LEAST of them (all, when the question has fewer):
# stop words and question words ("how many", "best way") are not key words
# (videos.text_search.words). bench/hybrid.py runs the talks' questions through the database search,
# the even-numbered half to tune, the odd half held out: on the tuned half every rule from "a third
# and one word" to "all and three" keeps 24/24 related and lets 0/15 unrelated through, so the
# values are the plain reading (half, and two words: one word in common is chance); held out, they
# keep 24/24 and let 1/15 through, as the vector cut-offs alone do ("learn to swim as an adult",
# 0.59 from the languages talk), where one word would let 4/15 through. Every related question of
# the talks is found by meaning already: what words add is tested in tests/videos/test_hybrid_search.py.
# A sentence just under SENTENCE_MATCH_MIN answers when it names one of the question's key words as
# the end of a compound (videos.text_search.compounds): "How deep is the old wreck?" against "A
# shipwreck from 1711 lies in twelve metres of water" is 0.338 (issue 65), while "How deep is the
# shipwreck?" is 0.56. The words side finds the window by "wreck" now, but one key word of three is
# not enough words to answer by, so the sentence still needs this. Not whole words: the talks'
# unrelated "What is a good chess opening for beginners?" has a best sentence at 0.326, and several
# of theirs say "beginner(s)".
NAMED_WORD_LEEWAY = 0.05
WORDS_MATCH_SHARE = 0.5
WORDS_MATCH_LEAST = 2
# How sentences are ranked: their similarity to the question plus a share of their window's, which
# prefers a sentence in a window about the question when two say much the same. bench/citations.py:
# the similarity alone, with the window's share, with a bonus for the question's words, or with the
# sentence before as context, all cite within 2 s for 40–42 of 48 questions (the words bonus ranks
# "let's get the oven going" above the temperature for "how hot should the oven be?").
WINDOW_WEIGHT = 0.3
# Chat ranks the sentences of its best RANKED_WINDOWS passages only: bench/citations.py cites as well
# from the best 3 windows as from the best 5 (chosen when each sentence was embedded at question
# time, ~8 a window, ~8 ms each on one core; windows written before their vectors were stored still are).
RANKED_WINDOWS = 3
# An extractive answer quotes the best sentence, and up to MAX_QUOTES in all of those ranking within
# QUOTE_MARGIN of it.
MAX_QUOTES = 3
QUOTE_MARGIN = 0.08
# A slide's line that only repeats the question's key words (its title "Budget") is kept this far
# below the lowest of the slide's other lines: more than QUOTE_MARGIN, so it is never quoted beside
# them, only when nothing else answers.
REPEATED_TITLE_BELOW = 2 * QUOTE_MARGIN
# A slide's line holding the kind of answer asked for ("Commander Eugene Cernan" for "who …?") goes
# this far above the slide's best match, so it is quoted first (`lift_answering_lines`).
ANSWER_KIND_AHEAD = 0.01
# A figure in a line: a number of two characters or more ("2026", "42,000", "7:30", "15%").
_FIGURE = re.compile(r"\d[\d.,:/]*\d|\d\s?%")


@dataclass(frozen=True)
class Quote:
    """A sentence that answers a question, in the window (`moment`) the search found it in: said, or
    a line shown on screen (`kind`)."""

    moment: Moment
    sentence: Sentence
    similarity: float  # cosine similarity of the sentence and the question
    lent: float = 0.0  # for a line shown: what its slide's repeated title gives or takes (`lend_titles`)

    @property
    def match(self) -> float:
        """How well the sentence answers on its own: its similarity, with what its slide lends it."""
        return self.similarity + self.lent

    @property
    def score(self) -> float:
        """Rank among sentences: the sentence's match, and a share of its window's similarity."""
        return self.match + WINDOW_WEIGHT * self.moment.score

    @property
    def video_id(self) -> int:
        return self.moment.video_id

    @property
    def start(self) -> float:
        return self.sentence.start

    @property
    def end(self) -> float:
        return self.sentence.end

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def low_confidence(self) -> bool:
        return self.sentence.low_confidence

    @property
    def kind(self) -> str:
        """`said` (a sentence of the transcript) or `shown` (a line of text on screen)."""
        return self.moment.kind


def enough_words(found: int, asked: int) -> bool:
    """Whether saying `found` of a question's `asked` key words answers it."""
    return asked > 0 and found >= words_needed(asked, share=WORDS_MATCH_SHARE, least=WORDS_MATCH_LEAST)


def found_by_words(moment: Moment) -> bool:
    """Whether the moment says enough of the question's key words to answer it whatever its distance."""
    return enough_words(moment.words_found, len(moment.key_words))


def relevant(moments: Sequence[Moment], *, max_distance: float = MOMENT_MATCH_MAX_DISTANCE) -> list[Moment]:
    """The moments that answer the question: close enough to it in meaning, or saying its key words."""
    return [moment for moment in moments if moment.distance <= max_distance or found_by_words(moment)]


def answering(ranked: Sequence[Quote], *, min_similarity: float = SENTENCE_MATCH_MIN) -> list[Quote]:
    """The ranked sentences that answer the question well enough on their own: close enough in
    meaning, or, in a window found by its words, saying enough of them itself."""
    return [
        quote
        for quote in ranked
        if quote.match >= min_similarity
        or (quote.match >= min_similarity - NAMED_WORD_LEEWAY and quote.moment.key_words.compounded_in(quote.text) > 0)
        or (
            found_by_words(quote.moment)
            and enough_words(quote.moment.key_words.said_in(quote.text), len(quote.moment.key_words))
        )
    ]


def rank_sentences(
    question_vector: np.ndarray,
    moments: Sequence[Moment],
    sentences: Sequence[Sequence[Sentence]],
    sentence_vectors: np.ndarray,
) -> list[Quote]:
    """Every sentence of the moments, best first; `sentence_vectors` are the sentences' (normalised)
    vectors in the order of `sentences` flattened. A sentence in two overlapping windows is kept once,
    with its better score, and so is a line a video says again and again (a jingle, a "thank you"):
    one citation stands for its repeats (`plain_words` alike; the best-scoring, the first said on a
    tie), so they cannot fill every place an answer or a search has."""
    best: dict[tuple[int, str], Quote] = {}
    row = 0
    for moment, inside in zip(moments, sentences, strict=True):
        quotes = [
            Quote(moment=moment, sentence=sentence, similarity=float(sentence_vectors[row + offset] @ question_vector))
            for offset, sentence in enumerate(inside)
        ]
        row += len(inside)
        if moment.kind == TranscriptChunk.Kind.SHOWN:
            quotes = lift_answering_lines(lend_titles(quotes))
        for quote in quotes:
            key = (moment.video_id, plain_words(quote.text))
            kept = best.get(key)
            if kept is None or (kept.score, -kept.start) < (quote.score, -quote.start):
                best[key] = quote
    return sorted(best.values(), key=lambda quote: -quote.score)


def lend_titles(quotes: Sequence[Quote]) -> list[Quote]:
    """The lines of one slide (a `shown` window), with a line that names the question's subject
    without answering it standing for its slide instead: the slide's title when it says some of the
    question's key words (`slide_title`: "About the budget" for "what does the budget slide say
    about hardware?"), or any line that says nothing but them (`KeyWords.only_repeated_in`).
    Such a line is the closest in meaning (MiniLM puts "Budget" at 0.72 to "what does the slide say
    about the budget?", the line with the figure at 0.39), but what the slide says about its subject
    is in its other lines: the best of them takes the title's similarity, the others keep their
    distance below it, and the title goes REPEATED_TITLE_BELOW under the lowest. A slide of nothing
    but such lines is left as it is."""
    if not quotes:
        return []
    key_words = quotes[0].moment.key_words
    title = slide_title(quotes[0].moment.text.split(LINE_SEPARATOR))
    repeats = [
        key_words.only_repeated_in(quote.text)
        or (title is not None and plain_words(quote.text) == title and key_words.said_in(quote.text) > 0)
        for quote in quotes
    ]
    titles = [quote.similarity for quote, repeat in zip(quotes, repeats, strict=True) if repeat]
    others = [quote.similarity for quote, repeat in zip(quotes, repeats, strict=True) if not repeat]
    if not titles or not others:
        return list(quotes)
    lift = max(0.0, max(titles) - max(others))
    below = min(others) + lift - REPEATED_TITLE_BELOW
    return [
        replace(quote, lent=min(0.0, below - quote.similarity) if repeat else lift)
        for quote, repeat in zip(quotes, repeats, strict=True)
    ]


def answer_kind_held(quote: Quote) -> int:
    """How plainly the line holds the kind of answer its question asks for (answer_kinds.holds; the
    plainest, when it asks for several), 0 when the question asks for none."""
    key_words = quote.moment.key_words
    if not key_words.asks:
        return 0
    words = key_words.words()
    return max(holds(quote.text, kind, question_words=words) for kind in key_words.asks)


def lift_answering_lines(quotes: Sequence[Quote]) -> list[Quote]:
    """The lines of one slide, with those that hold the kind of answer the question asks for most
    plainly (a person for "who …?", a figure in km/h for "how fast …?": `answer_kind_held`) lifted
    to the slide's best match, and a hair above it: the line that repeats the question's words is
    closest in meaning, the one naming the person or giving the speed answers. The lifted lines keep
    their distances from each other; the others keep theirs. A slide where every line, or none,
    holds such an answer is left as it is."""
    if not quotes:
        return []
    held = [answer_kind_held(quote) for quote in quotes]
    most = max(held)
    if most == 0 or min(held) == most:
        return list(quotes)
    top = max(quote.match for quote in quotes)
    best_holding = max(quote.match for quote, plainly in zip(quotes, held, strict=True) if plainly == most)
    lift = top - best_holding + ANSWER_KIND_AHEAD
    return [
        replace(quote, lent=quote.lent + lift) if plainly == most else quote
        for quote, plainly in zip(quotes, held, strict=True)
    ]


def slide_title(lines: Sequence[str]) -> str | None:
    """A slide's title told by its layout, as `plain_words`, or None: its first line in reading order
    (the top one), shorter than each of its other lines, and holding no figure (an amount, a year, a
    time: a fact, which may answer; a lone digit numbers a part, "Volcanoes: lecture 3"). Told by
    place and length rather than by the words it shares with a question, so a title saying more than
    the question ("Budget and travel") is one too."""
    texts = [line for line in lines if plain_words(line)]
    if len(texts) < 2:
        return None
    first, rest = plain_words(texts[0]), [plain_words(line) for line in texts[1:]]
    if _FIGURE.search(texts[0]) or any(len(first) >= len(line) for line in rest):
        return None
    return first


def best_quotes(ranked: Sequence[Quote], *, limit: int = MAX_QUOTES) -> list[Quote]:
    """The best sentence and the next ones scoring within QUOTE_MARGIN of it, at most `limit`, those
    holding the kind of answer asked for first (`answer_kind_held`); lines of one slide among them in
    the order `in_slide_order` gives, in the place of the best of them."""
    if not ranked:
        return []
    top = ranked[0].score
    chosen = [quote for quote in ranked[:limit] if quote.score >= top - QUOTE_MARGIN]
    # Of quotes answering about equally well, one holding the kind of answer asked for comes first
    # ("… decides whether it turns pink" for "what decides the colour …?"); the order is kept otherwise.
    chosen.sort(key=lambda quote: -answer_kind_held(quote))
    return in_slide_order(chosen)


def in_slide_order(quotes: Sequence[Quote]) -> list[Quote]:
    """The quotes, with those of each `shown` window put within the places they hold: first those
    holding the kind of answer asked for (`answer_kind_held`), then those saying more of the
    question's key words, then in the slide's reading order (top to bottom, left to right, as its
    text joins them). Lines of one slide within QUOTE_MARGIN answer about equally
    well by meaning; the one naming what was asked ("Travel budget cut by 15%" for "what does the slide
    say about travel?") answers it, and among equals a slide is read top to bottom."""
    ordered = list(quotes)
    slides: dict[int, list[int]] = {}
    for place, quote in enumerate(quotes):
        if quote.kind == TranscriptChunk.Kind.SHOWN:
            slides.setdefault(quote.moment.chunk_id, []).append(place)
    for places in slides.values():
        moment = quotes[places[0]].moment
        lines = [plain_words(text) for text in moment.text.split(LINE_SEPARATOR)]

        def slide_place(
            quote: Quote, lines: list[str] = lines, key_words: KeyWords = moment.key_words
        ) -> tuple[int, int, int]:
            key = plain_words(quote.text)
            place = lines.index(key) if key in lines else len(lines)
            return -answer_kind_held(quote), -key_words.said_in(quote.text), place

        for place, quote in zip(places, sorted((quotes[place] for place in places), key=slide_place), strict=True):
            ordered[place] = quote
    return ordered


def best_quote_per_moment(ranked: Sequence[Quote], moments: Sequence[Moment]) -> list[Quote]:
    """For each moment (in its order), its best sentence; moments without sentences are left out."""
    best: dict[int, Quote] = {}
    for quote in ranked:
        best.setdefault(quote.moment.chunk_id, quote)
    return [best[moment.chunk_id] for moment in moments if moment.chunk_id in best]


def search_quotes(member: Membership, query: str, *, limit: int = 10, video: Video | None = None) -> list[Quote]:
    """The search page's and the API's results: the windows of the videos of `member`'s workspace
    (whoever uploaded them) that answer `query` (none for an unrelated one), each as its
    best sentence, best first (a sentence two overlapping windows share, once)."""

    query = query.strip()
    if not query:
        return []
    vector = embed_query(query)
    video_id = video.pk if video is not None else None
    workspace_id = member.workspace_id
    moments = relevant(search_moments_by_vector(workspace_id, vector, question=query, limit=limit, video_id=video_id))
    if not moments:
        return []
    found = moment_sentences(moments)
    vectors = found.vectors(embed_texts_for_request(found.to_embed()))
    ranked = answering(rank_sentences(vector, moments, found.sentences, vectors))
    quotes: list[Quote] = []
    seen: set[tuple[int, float]] = set()
    for quote in sorted(best_quote_per_moment(ranked, moments), key=lambda quote: -quote.score):
        key = (quote.video_id, round(quote.start, 2))
        if key not in seen:
            seen.add(key)
            quotes.append(quote)
    return quotes


def has_searchable_videos(member: Membership) -> bool:
    """Whether any video of `member`'s workspace has transcript windows to search."""
    return TranscriptChunk.objects.filter(workspace_id=member.workspace_id).exists()
