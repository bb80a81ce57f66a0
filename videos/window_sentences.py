"""The sentences a search window quotes, and their vectors.

A search or a chat answer points at a sentence of the window it found: the sentence that answers
best, ranked by its similarity to the question (videos.search.rank_sentences). Which sentences a
window has, and their MiniLM vectors, depend on the window and its video's lines alone, not on the
question: they are worked out when the window is written (videos.chunks.replace_chunks, with
`said_window_sentences` / `shown_window_sentences`) and stored on it, so a search reads them
(`moment_sentences`) instead of embedding a few dozen sentences while the person waits. A window
written before they were stored (until `store_window_sentences` fills it) has them worked out and
embedded at question time, the same way, from the lines stored then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from django.db import connection, transaction

from sage.sql import TableNames, sql
from videos.models import TEXT_EMBEDDING_DIM, TranscriptChunk
from videos.screen_text.lines import LINE_SEPARATOR, shown_lines_around
from videos.screen_text.tracking import ShownLine
from videos.selectors import Moment, transcript_lines_around
from videos.text_embedding.model import embed_texts
from videos.text_search.words import plain_words
from videos.timed_text import Sentence, TimedLine, sentences_of

# Transcript read either side of a window, so the sentences at its edges are read whole.
EDGE_SECONDS = 15.0
# How stored vectors are laid out: little-endian float32, one row of TEXT_EMBEDDING_DIM a sentence.
_VECTOR_DTYPE = np.dtype("<f4")


class TimedText(Protocol):
    """A window: a search's `Moment`, or one being written (videos.timed_text.Window, a shown window)."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...


# --- which sentences a window has ------------------------------------------------------------------


def sentences_inside(sentences: Sequence[Sentence], *, start: float, end: float) -> list[Sentence]:
    return [sentence for sentence in sentences if start <= (sentence.start + sentence.end) / 2 <= end]


def said_sentences(window: TimedText, around: Sequence[TimedLine]) -> list[Sentence]:
    """A `said` window's sentences, in order, from the transcript lines `around` it (those said
    within EDGE_SECONDS of it, so its edge sentences are read whole): a sentence belongs to the
    window its middle is in. A window with no lines (gone, or never stored) is split into sentences
    on its own text, timed linearly across it."""
    inside = sentences_inside(sentences_of(around), start=window.start, end=window.end)
    return inside or sentences_of([TimedLine(window.start, window.end, window.text)])


def shown_sentences(window: TimedText, lines: Sequence[ShownLine]) -> list[Sentence]:
    """A `shown` window's "sentences": its on-screen lines (`lines`: those on screen during it, in
    the order they appear), each from when it first appears to when it last goes (a line read twice
    in the window is one), in the order they appear. Only the lines the window was made of: a line
    standing beside them (a logo, a course title) is a window of its own. A window whose lines are
    gone gives its text's lines, timed as the whole window."""
    wanted = {plain_words(text) for text in window.text.split(LINE_SEPARATOR)}
    spans: dict[str, tuple[float, float, str]] = {}
    for line in lines:
        key = plain_words(line.text)
        if key not in wanted:
            continue
        start, end, text = spans.get(key, (line.start, line.end, line.text))
        spans[key] = (min(start, line.start), max(end, line.end), text)
    if not spans:
        texts = [text.strip() for text in window.text.split(LINE_SEPARATOR) if text.strip()]
        return [Sentence(window.start, window.end, text) for text in texts]
    return sorted(
        (Sentence(max(start, window.start), min(end, window.end), text) for start, end, text in spans.values()),
        key=lambda sentence: (sentence.start, sentence.end),
    )


def said_window_sentences(windows: Sequence[TimedText], lines: Sequence[TimedLine]) -> list[list[Sentence]]:
    """Each window's sentences (`said_sentences`) from all the video's transcript `lines` (in
    order): the lines a search would read around it, taken here from memory."""
    return [
        said_sentences(
            window,
            [
                line
                for line in lines
                if line.end >= window.start - EDGE_SECONDS and line.start <= window.end + EDGE_SECONDS
            ],
        )
        for window in windows
    ]


def shown_window_sentences(windows: Sequence[TimedText], lines: Sequence[ShownLine]) -> list[list[Sentence]]:
    """Each `shown` window's sentences (`shown_sentences`) from all the video's on-screen `lines`,
    in the order a search reads them (by when they appear, then as stored)."""
    return [
        shown_sentences(window, [line for line in lines if line.end > window.start and line.start < window.end])
        for window in windows
    ]


def embed_window_sentences(sentences: Sequence[Sequence[Sentence]]) -> list[np.ndarray]:
    """Each window's sentence vectors (rows in its sentences' order): every distinct text embedded
    once, in one batch (overlapping windows share their edge sentences)."""
    texts = sorted({sentence.text for inside in sentences for sentence in inside})
    vectors = embed_texts(texts) if texts else np.zeros((0, TEXT_EMBEDDING_DIM), np.float32)
    row_of = {text: row for row, text in enumerate(texts)}
    return [
        np.asarray(vectors[[row_of[sentence.text] for sentence in inside]], dtype=np.float32).reshape(
            len(inside), TEXT_EMBEDDING_DIM
        )
        for inside in sentences
    ]


# --- how they are stored ---------------------------------------------------------------------------


def sentences_to_json(sentences: Sequence[Sentence]) -> list[list[Any]]:
    """`TranscriptChunk.sentences`: `[[start, end, "text", low_confidence], ...]` (times unrounded:
    a stored sentence is the one a search would work out, to the bit)."""
    return [[sentence.start, sentence.end, sentence.text, sentence.low_confidence] for sentence in sentences]


def sentences_from_json(value: Sequence[Sequence[Any]]) -> list[Sentence]:
    return [Sentence(float(start), float(end), str(text), bool(low)) for start, end, text, low in value]


def vectors_to_bytes(vectors: np.ndarray) -> bytes:
    """`TranscriptChunk.sentence_vectors`: the rows as little-endian float32, one after another."""
    return np.ascontiguousarray(vectors, dtype=_VECTOR_DTYPE).tobytes()


def vectors_from_bytes(value: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(value, dtype=_VECTOR_DTYPE).reshape(-1, TEXT_EMBEDDING_DIM).astype(np.float32)


# --- what a search reads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MomentSentences:
    """The sentences of each moment's window (one list per moment, in order) and, for the windows
    that stored them, their vectors (None for the others: `to_embed` lists what is missing)."""

    sentences: list[list[Sentence]]
    stored_vectors: list[np.ndarray | None]

    def to_embed(self, *, windows: int | None = None) -> list[str]:
        """The texts of the sentences of the first `windows` windows (all by default) that have no
        stored vector, in order: what the question's time must embed (nothing, once all are stored)."""
        return [
            sentence.text
            for inside, stored in zip(self.sentences[:windows], self.stored_vectors[:windows], strict=True)
            if stored is None
            for sentence in inside
        ]

    def vectors(self, embedded: np.ndarray, *, windows: int | None = None) -> np.ndarray:
        """The vectors of the first `windows` windows' sentences, one row each in order: stored, or
        taken in turn from `embedded` (the vectors of `to_embed(windows=...)`)."""
        parts: list[np.ndarray] = []
        taken = 0
        for inside, stored in zip(self.sentences[:windows], self.stored_vectors[:windows], strict=True):
            if stored is None:
                stored = embedded[taken : taken + len(inside)]
                taken += len(inside)
            parts.append(stored)
        if not parts:
            return np.zeros((0, TEXT_EMBEDDING_DIM), np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)


NO_SENTENCES = MomentSentences(sentences=[], stored_vectors=[])

_STORED_SQL = sql(
    "SELECT {c.id}, {c.sentences}, {c.sentence_vectors} FROM {Chunk} c "
    "WHERE {c.id} = ANY(%s::bigint[]) AND {c.sentences} IS NOT NULL AND {c.sentence_vectors} IS NOT NULL",
    Chunk=TranscriptChunk,
    c=TableNames(TranscriptChunk, alias="c"),
)


def _stored(chunk_ids: Sequence[int]) -> dict[int, tuple[list[Sentence], np.ndarray]]:
    """The stored sentences and vectors of those of the chunks that have them, by chunk id: one query."""
    wanted = [chunk_id for chunk_id in chunk_ids if chunk_id]
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_STORED_SQL, [wanted])
        rows = cursor.fetchall()
    found: dict[int, tuple[list[Sentence], np.ndarray]] = {}
    for chunk_id, sentences, vectors in rows:
        # jsonb read through a raw cursor comes as text (Django's loader), bytea as bytes.
        parsed = sentences_from_json(json.loads(sentences) if isinstance(sentences, str) else sentences)
        stored_vectors = vectors_from_bytes(vectors)
        if len(parsed) == len(stored_vectors):
            found[chunk_id] = (parsed, stored_vectors)
    return found


def moment_sentences(moments: Sequence[Moment]) -> MomentSentences:
    """The sentences of each moment's window, in order, with their vectors where the window stored
    them (one query); for the windows that did not, worked out now (one more query for each kind of
    window there is): what is said from the transcript lines around it (`said_sentences`), what is
    shown from its on-screen lines (`shown_sentences`)."""
    if not moments:
        return NO_SENTENCES
    stored = _stored([moment.chunk_id for moment in moments])
    found: list[list[Sentence]] = [[] for _ in moments]
    vectors: list[np.ndarray | None] = [None for _ in moments]
    for index, moment in enumerate(moments):
        if moment.chunk_id in stored:
            found[index], vectors[index] = stored[moment.chunk_id]
    missing = [index for index, moment in enumerate(moments) if moment.chunk_id not in stored]
    said = [index for index in missing if moments[index].kind != TranscriptChunk.Kind.SHOWN]
    shown = [index for index in missing if moments[index].kind == TranscriptChunk.Kind.SHOWN]
    said_lines = transcript_lines_around(
        [(moments[i].video_id, moments[i].start - EDGE_SECONDS, moments[i].end + EDGE_SECONDS) for i in said]
    )
    shown_lines = shown_lines_around([(moments[i].video_id, moments[i].start, moments[i].end) for i in shown])
    for index, around in zip(said, said_lines, strict=True):
        found[index] = said_sentences(moments[index], around)
    for index, on_screen in zip(shown, shown_lines, strict=True):
        found[index] = shown_sentences(moments[index], on_screen)
    return MomentSentences(sentences=found, stored_vectors=vectors)


# --- filling windows written before -----------------------------------------------------------------

_FILL_SQL = sql(
    "UPDATE {Chunk} AS c SET {Chunk.sentences} = stored.sentences, {Chunk.sentence_vectors} = stored.vectors "
    "FROM unnest(%s::bigint[], %s::jsonb[], %s::bytea[]) AS stored(id, sentences, vectors) "
    "WHERE {c.id} = stored.id AND {c.sentences} IS NULL",
    Chunk=TranscriptChunk,
    c=TableNames(TranscriptChunk, alias="c"),
)


def store_window_sentences(chunk_ids: Sequence[int]) -> int:
    """Store the sentences and vectors of those of the chunks that have none (written before they
    were stored), worked out as a search would work them out now; returns how many were stored.
    Idempotent: a chunk that has them, or is gone (its video re-processed meanwhile: the new
    windows come with theirs), is left alone."""
    rows = list(
        TranscriptChunk.objects.filter(pk__in=list(chunk_ids), sentences__isnull=True).values_list(
            "pk", "video_id", "start", "end", "text", "kind"
        )
    )
    if not rows:
        return 0
    moments = [
        Moment(video_id=video_id, video_title="", start=start, end=end, text=text, distance=0.0, kind=kind)
        for _, video_id, start, end, text, kind in rows
    ]
    # Worked out with no chunk id: the question-time way, whatever another run stored meanwhile.
    sentences = moment_sentences(moments).sentences
    vectors = embed_window_sentences(sentences)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _FILL_SQL,
            [
                [pk for pk, *_ in rows],
                [json.dumps(sentences_to_json(inside)) for inside in sentences],
                [vectors_to_bytes(rows_of) for rows_of in vectors],
            ],
        )
        return int(cursor.rowcount)


def chunks_without_sentences(*, after: int = 0, limit: int) -> list[int]:
    """Ids of up to `limit` windows past id `after` that have no stored sentences, in id order."""
    rows = TranscriptChunk.objects.filter(pk__gt=after, sentences__isnull=True).order_by("pk")
    return list(rows.values_list("pk", flat=True)[:limit])
