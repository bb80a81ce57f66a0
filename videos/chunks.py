"""The one way a video's search windows are written: what is said (the transcript's windows) and
what is shown (its on-screen text), each kind replaced as a whole, with their vectors for the
meaning side of search, their stemmed words for the full-text side, and the sentences a search
quotes from each with their vectors (videos.window_sentences)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import connection, transaction

from sage.sql import TableNames, sql
from videos.models import Transcript, TranscriptChunk, Video
from videos.text_search.words import ENGLISH, SIMPLE, WORKSPACE_LEXEME_PREFIX, search_config, stored_text
from videos.timed_text import Sentence
from videos.window_sentences import TimedText, sentences_to_json, vectors_to_bytes


def replace_chunks(
    video: Video,
    kind: TranscriptChunk.Kind,
    windows: Sequence[TimedText],
    vectors: np.ndarray,
    *,
    sentences: Sequence[Sequence[Sentence]] | None = None,
    sentence_vectors: Sequence[np.ndarray] | None = None,
) -> None:
    """The video's windows of `kind`, replacing those it had (a rerun, or a re-read, writes the set
    anew, sentences included); `vectors` are the windows' text embeddings, in order. Their words are
    stemmed in the transcript's language (videos.text_search.words.search_config). `sentences` and
    `sentence_vectors`, each window's sentences and their vectors (videos.window_sentences), are
    stored with them in the same rows; without them a search works them out at question time."""
    if (sentences is None) != (sentence_vectors is None):
        raise ValueError("sentences and their vectors go together")
    stored: list[tuple[list[list[Any]] | None, bytes | None]] = (
        [
            (sentences_to_json(inside), vectors_to_bytes(rows))
            for inside, rows in zip(sentences, sentence_vectors, strict=True)
        ]
        if sentences is not None and sentence_vectors is not None
        else [(None, None)] * len(windows)
    )
    language = Transcript.objects.filter(video=video).values_list("language", flat=True).first() or ""
    with transaction.atomic():
        TranscriptChunk.objects.filter(video=video, kind=kind).delete()
        chunks = TranscriptChunk.objects.bulk_create(
            TranscriptChunk(
                video=video,
                workspace_id=video.workspace_id,
                kind=kind,
                index=index,
                start=window.start,
                end=window.end,
                text=window.text,
                embedding=vector,
                sentences=window_sentences,
                sentence_vectors=window_sentence_vectors,
            )
            for index, (window, vector, (window_sentences, window_sentence_vectors)) in enumerate(
                zip(windows, vectors, stored, strict=True)
            )
        )
        fill_search_vectors([chunk.pk for chunk in chunks], [chunk.text for chunk in chunks], search_config(language))


# The tsvector stored for a window whose searchable text is the SQL expression `{text}`, stemmed
# with the configuration its parameters (`search_vector_parameters`) name, and its workspace's lexeme
# (the SQL expression `{workspace}` is the workspace's id; videos.text_search.words.WORKSPACE_LEXEME_PREFIX).
# Also what bench/search.py fills a million rows with, in bulk.
SEARCH_VECTOR_SQL = (
    "(CASE WHEN %s::regconfig IN (%s::regconfig, %s::regconfig) THEN to_tsvector(%s::regconfig, {text}) "
    "ELSE to_tsvector(%s::regconfig, {text}) || to_tsvector(%s::regconfig, {text}) END) "
    f"|| array_to_tsvector(ARRAY['{WORKSPACE_LEXEME_PREFIX}' || {{workspace}}::text])"
)


def search_vector_parameters(config: str) -> list[str]:
    """SEARCH_VECTOR_SQL's parameters, in order, for a window stemmed with `config`."""
    return [config, ENGLISH, SIMPLE, config, config, SIMPLE]


_FILL_SQL = sql(
    "UPDATE {Chunk} AS c SET {Chunk.search_vector} = {search_vector} "
    "FROM unnest(%s::bigint[], %s::text[]) AS words(id, text) WHERE {c.id} = words.id",
    Chunk=TranscriptChunk,
    c=TableNames(TranscriptChunk, alias="c"),
    search_vector=SEARCH_VECTOR_SQL.replace("{text}", "words.text").replace("{workspace}", "c.workspace_id"),
)


def fill_search_vectors(chunk_ids: Sequence[int], texts: Sequence[str], config: str) -> None:
    """Store each chunk's words for full-text search (one statement for all): numbers in digits and,
    in English, the last parts of compounds added (`stored_text`), stemmed with `config`, and, for a
    language other than English, also as written, since a question is read as English and as plain
    words (videos.text_search.words)."""
    if not chunk_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _FILL_SQL,
            [
                *search_vector_parameters(config),
                list(chunk_ids),
                [stored_text(text, compounds=config == ENGLISH) for text in texts],
            ],
        )
