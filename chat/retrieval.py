"""The transcript passages a question is answered from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videos.selectors import search_moments_by_vector


@dataclass(frozen=True)
class Passage:
    video_id: int
    video_title: str
    start: float
    end: float
    text: str
    distance: float
    chunk_id: int = 0  # the transcript chunk quoted (0: not from the index)

    def citation(self) -> dict[str, object]:
        return {"video_id": self.video_id, "start": self.start, "end": self.end, "text": self.text}


def retrieve_passages(*, owner_id: int | None, video_id: int | None, vector: np.ndarray, limit: int) -> list[Passage]:
    """The `limit` transcript chunks closest to `vector`, best first: of the conversation's video, or
    of all the owner's videos. Chunks carry their owner, so a video that is gone or was never the
    owner's simply has none; guests own no videos, so a guest conversation finds nothing."""
    if owner_id is None:
        return []
    moments = search_moments_by_vector(owner_id, vector, limit=limit, video_id=video_id)
    return [
        Passage(
            video_id=moment.video_id,
            video_title=moment.video_title,
            start=moment.start,
            end=moment.end,
            text=moment.text,
            distance=moment.distance,
            chunk_id=moment.chunk_id,
        )
        for moment in moments
    ]
