"""A video's transcript as a WebVTT captions track, for the player's <track>: the owner's (and the
shared sample's, which every account may watch; anyone else's video is a 404).

Cues are at most two lines and a few seconds, cut at sentence ends and pauses, where the recogniser
gave word times; a subtitle keeps its own times (videos.timed_text.cues). Cue text is escaped as
WebVTT needs (`&`, `<`, `>`), so "-->" (which would read as a timing line) is written with an escaped
`>`, and a cue's lines are never blank (a blank line would end it early).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from accounts.models import User
from sage.formatting import vtt_timestamp
from videos.selectors import transcript_lines, video_get_to_view
from videos.timed_text import Cue, TimedLine, cues_of
from workspaces.current import acting_membership

VTT_CONTENT_TYPE = "text/vtt; charset=utf-8"


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt(lines: Sequence[TimedLine]) -> str:
    """A WebVTT file of the transcript's cues."""
    return webvtt_of_cues(cues_of(lines))


def webvtt_of_cues(cues: Sequence[Cue]) -> str:
    """A WebVTT file of these cues, in their order."""
    blocks = ["WEBVTT"]
    for cue in cues:
        text = "\n".join(_escaped(line) for line in cue.lines)
        blocks.append(f"{vtt_timestamp(cue.start)} --> {vtt_timestamp(cue.end)}\n{text}")
    return "\n\n".join(blocks) + "\n"


@require_safe
@login_required
def video_captions(request: HttpRequest, video_id: int) -> HttpResponse:
    assert isinstance(request.user, User)  # login_required
    video = video_get_to_view(acting_membership(request), video_id)  # anyone else's video: 404
    response = HttpResponse(webvtt(transcript_lines(video.pk)), content_type=VTT_CONTENT_TYPE)
    # The transcript can be redone (re-transcribe): the browser asks again each time, cheaply.
    patch_cache_control(response, private=True, no_cache=True)
    return response
