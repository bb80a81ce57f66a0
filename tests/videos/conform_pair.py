"""A stored comparison of two reels to read change lists from, without running the engine: v1's
10–12 s removed, 14–17 s of v2 new (tests of the change list's API and page)."""

from __future__ import annotations

from tests.factories import ComparisonFactory, VideoFactory
from videos.models import Comparison

SPANS = [[0.0, 10.0, 0.0, 10.0], [12.0, 16.0, 10.0, 14.0], [16.0, 20.0, 17.0, 21.0]]


def made(**fields: object) -> Comparison:
    video_a = VideoFactory(title="Reel 1", duration=20.0, fps=25.0, comparable=True)
    video_b = VideoFactory(title="Reel 1 new", duration=21.0, fps=25.0, comparable=True, owner=video_a.owner)
    fields = {"matched_spans": SPANS, **fields}
    return ComparisonFactory(owner=video_a.owner, video_a=video_a, video_b=video_b, **fields)
