"""Reading a video's on-screen lines (the page's transcript panel, the API, the transcript files)."""

from __future__ import annotations

from videos.models import ScreenTextLine, Video
from videos.screen_text.lines import shown_line_of
from videos.screen_text.state import ScreenTextState, screen_being_read, screen_text_state
from videos.screen_text.tracking import ShownLine


def screen_lines_for_video(video: Video, *, limit: int | None = None) -> list[ScreenTextLine]:
    """The text shown in `video`, line by line in time order (as many as `limit` when given)."""
    lines = ScreenTextLine.objects.filter(video=video).order_by("start", "index")
    return list(lines[:limit] if limit is not None else lines)


def screen_being_read_for(video_id: int) -> bool:
    """Whether the video's text on screen is being read (or queued to be, just after "ready")."""
    video = Video.objects.filter(pk=video_id).only("source", "status", "backends", "stage", "ready_at").first()
    return video is not None and screen_being_read(video)


def screen_lines_to_compare(video_a: Video, video_b: Video) -> tuple[list[ShownLine], list[ShownLine]]:
    """Both videos' on-screen lines as the reader gave them, in time order, for a comparison to set
    side by side: none for either until both screens have been read (one video's lines against
    nothing yet would read as every line gone)."""
    if any(screen_text_state(video) != ScreenTextState.DONE for video in (video_a, video_b)):
        return [], []
    return _shown_lines(video_a), _shown_lines(video_b)


def _shown_lines(video: Video) -> list[ShownLine]:
    return [shown_line_of(row) for row in screen_lines_for_video(video)]
