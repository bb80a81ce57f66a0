"""The transcript an answer is written from: passages (the ~40 s windows closest to the question) and,
inside them, the sentences ranked by how well they answer it (videos.search)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from videos.models import TranscriptChunk
from videos.search import Quote, answering, rank_sentences, relevant
from videos.selectors import Moment, search_moments_by_vector
from videos.timed_text import Sentence
from videos.window_sentences import MomentSentences, moment_sentences

# A passage is a transcript search's moment: its video, times, text, distance and chunk.
Passage = Moment


@dataclass(frozen=True)
class Evidence:
    """What an answer may say and cite: the passages found (best first), the sentences of each (in
    the order said), and every one of those sentences ranked for the question (best first)."""

    passages: Sequence[Passage]
    sentences: Sequence[Sequence[Sentence]]
    ranked: Sequence[Quote]

    def answers(self) -> list[Quote]:
        """The ranked sentences that answer the question (in a passage close enough to it, and close
        enough themselves); none for an unrelated question."""
        close = {passage.chunk_id for passage in relevant(self.passages)}
        return [quote for quote in answering(self.ranked) if quote.moment.chunk_id in close]


NO_EVIDENCE = Evidence(passages=(), sentences=(), ranked=())


def citation_of(quote: Quote) -> dict[str, object]:
    """How an answer's message stores a citation: the sentence, when it is said, in which video
    (`low_confidence` only when the recogniser was unsure of it); a line shown on screen rather than
    said carries `"kind": "shown"`."""
    citation: dict[str, object] = {
        "video_id": quote.video_id,
        "start": quote.start,
        "end": quote.end,
        "text": quote.text,
    }
    if quote.low_confidence:
        citation["low_confidence"] = True
    if quote.kind == TranscriptChunk.Kind.SHOWN:
        citation["kind"] = TranscriptChunk.Kind.SHOWN.value
    return citation


def retrieve_passages(
    *, workspace_id: int | None, video_id: int | None, vector: np.ndarray, limit: int, question: str = ""
) -> list[Passage]:
    """The `limit` windows that best answer the question, best first: nearest to its `vector` and
    saying its key words (when the `question`'s text is given; videos.selectors.search_moments_by_vector),
    of the conversation's video, or of all the videos of the conversation's workspace, whoever
    uploaded them. Chunks carry their workspace, so a video that is gone or was never the
    workspace's simply has none; a guest's conversation has no workspace, so it finds nothing."""
    if workspace_id is None:
        return []
    return search_moments_by_vector(workspace_id, vector, question=question, limit=limit, video_id=video_id)


def retrieve(
    *, workspace_id: int | None, video_id: int | None, vector: np.ndarray, limit: int, question: str = ""
) -> tuple[list[Passage], MomentSentences]:
    """The passages (see `retrieve_passages`) and the sentences of each, with the vectors their
    windows stored (videos.window_sentences)."""
    passages = retrieve_passages(
        workspace_id=workspace_id, video_id=video_id, vector=vector, limit=limit, question=question
    )
    return passages, moment_sentences(passages)


def evidence_from(
    question_vector: np.ndarray,
    passages: Sequence[Passage],
    sentences: Sequence[Sequence[Sentence]],
    sentence_vectors: np.ndarray,
) -> Evidence:
    """The evidence, with the sentences of the first passages ranked: as many passages as
    `sentence_vectors` has rows for (the rest are given to a language model, not quoted)."""
    ranked_count, rows = 0, 0
    while ranked_count < len(sentences) and rows + len(sentences[ranked_count]) <= len(sentence_vectors):
        rows += len(sentences[ranked_count])
        ranked_count += 1
    ranked = rank_sentences(question_vector, passages[:ranked_count], sentences[:ranked_count], sentence_vectors)
    return Evidence(passages=passages, sentences=sentences, ranked=ranked)
