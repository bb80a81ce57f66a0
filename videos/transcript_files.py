"""A video's transcript as files to download, plain text and WebVTT, with the text shown on screen
(videos.screen_text) among the said lines in time order, each such line marked "[on screen]". The
player's captions track (videos.captions) stays speech only: a caption is what is said."""

from __future__ import annotations

from dataclasses import dataclass

from sage.formatting import clock_mark
from videos.captions import webvtt_of_cues
from videos.models import Video
from videos.screen_text.selectors import screen_lines_for_video
from videos.selectors import transcript_lines
from videos.timed_text import Cue, cues_of, said_then_shown

ON_SCREEN = "[on screen]"
NOTE = f'Lines marked "{ON_SCREEN}" are text shown in the video, not said.'


@dataclass(frozen=True)
class _FileLine:
    start: float
    end: float
    text: str


def _shown_lines(video: Video) -> list[_FileLine]:
    return [_FileLine(row.start, row.end, f"{ON_SCREEN} {row.text}") for row in screen_lines_for_video(video)]


def transcript_text(video: Video) -> str:
    """The title, then each said or shown line as `[mm:ss] text`, in time order."""
    said = [_FileLine(line.start, line.end, line.text) for line in transcript_lines(video.pk)]
    shown = _shown_lines(video)
    lines = said_then_shown(said, shown)
    header = [video.title, NOTE, ""] if shown else [video.title, ""]
    return "\n".join([*header, *(f"{clock_mark(line.start)} {line.text}" for line in lines)]) + "\n"


def transcript_webvtt(video: Video) -> str:
    """The captions' cues (what is said), and a cue for each line shown on screen, in time order."""
    cues = cues_of(transcript_lines(video.pk))
    shown = [Cue(line.start, line.end, (line.text,)) for line in _shown_lines(video) if line.end > line.start]
    return webvtt_of_cues(said_then_shown(cues, shown))
