"""A video's transcript as a WebVTT captions track, for the player's <track>: the owner's (and the
shared sample's, which every account may watch; anyone else's video is a 404).

Cues are the transcript's lines with their times. Cue text is escaped as WebVTT needs (`&`, `<`, `>`)
and a line can never end a cue early: blank lines inside it are closed up, and "-->" (which would
read as a timing line) is written with an escaped `>`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from accounts.models import User
from videos.models import TranscriptSegment
from videos.selectors import transcript_segments, video_get_to_view

VTT_CONTENT_TYPE = "text/vtt; charset=utf-8"


def vtt_timestamp(seconds: float) -> str:
    """hh:mm:ss.ttt, as WebVTT cue timings are written."""
    milliseconds = max(0, round(seconds * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, thousandths = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}.{thousandths:03d}"


def _cue_text(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "\n".join(line.strip() for line in escaped.splitlines() if line.strip())


def webvtt(segments: Iterable[TranscriptSegment]) -> str:
    """A WebVTT file with one cue per transcript line (lines with no text or no duration left out)."""
    blocks = ["WEBVTT"]
    for segment in segments:
        text = _cue_text(segment.text)
        if not text or segment.end <= segment.start:
            continue
        blocks.append(f"{vtt_timestamp(segment.start)} --> {vtt_timestamp(segment.end)}\n{text}")
    return "\n\n".join(blocks) + "\n"


@require_safe
@login_required
def video_captions(request: HttpRequest, video_id: int) -> HttpResponse:
    assert isinstance(request.user, User)  # login_required
    video = video_get_to_view(request.user, video_id)  # anyone else's video: 404
    response = HttpResponse(webvtt(transcript_segments(video)), content_type=VTT_CONTENT_TYPE)
    # The transcript can be redone (re-transcribe): the browser asks again each time, cheaply.
    patch_cache_control(response, private=True, no_cache=True)
    return response
