"""The transcript passages a question is answered from."""

from __future__ import annotations

import numpy as np

from videos.selectors import Moment, search_moments_by_vector

# A passage is a transcript search's moment: its video, times, text, distance and chunk.
Passage = Moment


def citation_of(passage: Passage) -> dict[str, object]:
    """How an answer's message stores a citation of the passage."""
    return {"video_id": passage.video_id, "start": passage.start, "end": passage.end, "text": passage.text}


def retrieve_passages(*, owner_id: int | None, video_id: int | None, vector: np.ndarray, limit: int) -> list[Passage]:
    """The `limit` transcript chunks closest to `vector`, best first: of the conversation's video, or
    of all the owner's videos. Chunks carry their owner, so a video that is gone or was never the
    owner's simply has none; guests own no videos, so a guest conversation finds nothing."""
    if owner_id is None:
        return []
    return search_moments_by_vector(owner_id, vector, limit=limit, video_id=video_id)
