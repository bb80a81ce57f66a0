"""Subtitles muxed into the video file itself (mov_text in MP4, SubRip/WebVTT/ASS in Matroska/WebM)."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import av.container
from av.subtitles.stream import SubtitleStream
from av.subtitles.subtitle import AssSubtitle

from videos.timed_text import TimedLine
from videos.transcripts.base import clean_segments
from videos.transcripts.subtitles import MAX_CUES, strip_markup

logger = logging.getLogger(__name__)

# FFmpeg leaves a cue's end unknown as "display until the next one" (end_display_time 0 or ~0);
# it then lasts until the next cue starts, at most this long.
_OPEN_ENDED_CUE_SECONDS = 5.0
_UNKNOWN_END_MS = 0xFFFFFFFF


def subtitle_stream_segments(path: Path) -> list[TimedLine] | None:
    """Segments of the first text subtitle stream in the file at `path`.

    None when the file has no subtitle stream, only bitmap ones (DVD, PGS: pictures of text, not
    text), or the stream cannot be read. Only the subtitle stream's packets are decoded."""
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError) as error:
        logger.warning("cannot open %s to read its subtitles: %s", Path(path).name, error)
        return None
    with container:
        stream = next((s for s in container.streams.subtitles if s.codec_context.codec.text_sub), None)
        if stream is None:
            return None
        try:
            timed = _read_cues(container, stream)
        except av.error.FFmpegError as error:
            logger.warning("cannot read the subtitle stream of %s: %s", Path(path).name, error)
            return None
        duration = container.duration / av.time_base if container.duration else None
    segments = clean_segments(_close_open_ends(timed), duration=duration)
    return segments or None


def _read_cues(container: av.container.InputContainer, stream: SubtitleStream) -> list[tuple[float, float | None, str]]:
    """(start, end or None when open-ended, text) per cue, times in seconds from the file's start."""
    time_base = float(stream.time_base or 0)
    origin = container.start_time / av.time_base if container.start_time is not None else 0.0
    cues: list[tuple[float, float | None, str]] = []
    for packet in container.demux(stream):  # demuxing one stream: no other packet is decoded
        if packet.pts is None or not packet.size:
            continue
        subtitle_set = stream.decode2(packet)
        if subtitle_set is None:  # e.g. mov_text's empty "nothing shown" samples between cues
            continue
        text = " ".join(_rect_text(rect) for rect in subtitle_set if isinstance(rect, AssSubtitle))
        text = strip_markup(text)
        if not text:
            continue
        start = packet.pts * time_base - origin + subtitle_set.start_display_time / 1000
        end: float | None = None
        if packet.duration:
            end = packet.pts * time_base - origin + packet.duration * time_base
        elif 0 < subtitle_set.end_display_time < _UNKNOWN_END_MS:
            end = packet.pts * time_base - origin + subtitle_set.end_display_time / 1000
        cues.append((start, end, text))
        if len(cues) >= MAX_CUES:
            break
    return cues


def _rect_text(rect: AssSubtitle) -> str:
    """The text of one decoded subtitle: FFmpeg hands every text codec over as an ASS event
    ("ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text"); PyAV's `dialogue` is its
    Text field with the ASS line breaks turned into newlines."""
    if rect.type == b"text":
        return rect.text.decode("utf-8", errors="replace")
    return rect.dialogue.decode("utf-8", errors="replace")


def _close_open_ends(cues: list[tuple[float, float | None, str]]) -> list[TimedLine]:
    segments: list[TimedLine] = []
    for index, (start, end, text) in enumerate(cues):
        if end is None:
            following = cues[index + 1][0] if index + 1 < len(cues) else start + _OPEN_ENDED_CUE_SECONDS
            end = min(following, start + _OPEN_ENDED_CUE_SECONDS)
        segments.append(TimedLine(start=start, end=end, text=text))
    return segments
