"""Reading a video's on-screen lines (the page's transcript panel, the API, the transcript files)."""

from __future__ import annotations

from videos.models import ScreenTextLine, Video


def screen_lines_for_video(video: Video, *, limit: int | None = None) -> list[ScreenTextLine]:
    """The text shown in `video`, line by line in time order (as many as `limit` when given)."""
    lines = ScreenTextLine.objects.filter(video=video).order_by("start", "index")
    return list(lines[:limit] if limit is not None else lines)
