"""Transcripts from the video file's subtitle stream (offline speech recognition: test_speech_recognition.py)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from av.subtitles.stream import SubtitleStream
from av.subtitles.subtitle import SubtitleSet

from sage.synthetic_media import Cue, make_video
from videos.timed_text import TimedLine
from videos.transcripts import subtitle_stream_segments

CUES = [
    Cue(0.5, 2.0, "<i>Hello</i> there."),
    Cue(2.5, 4.0, "Second cue\nover two lines"),
    Cue(4.25, 5.5, "Fish & chips"),
]
EXPECTED_TEXTS = ["Hello there.", "Second cue over two lines", "Fish & chips"]


def assert_times(segments: list[TimedLine], cues: list[Cue]) -> None:
    times = [bound for segment in segments for bound in (segment.start, segment.end)]
    assert times == pytest.approx([bound for cue in cues for bound in (cue.start, cue.end)], abs=0.002)


# --- subtitle streams -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv", ".webm"])  # mov_text, mov_text, subrip, webvtt
def test_a_text_subtitle_stream_gives_plain_segments_at_the_cue_times(tmp_path: Path, suffix: str) -> None:
    path = make_video(tmp_path / f"subtitled{suffix}", seconds=6, subtitles=CUES)

    segments = subtitle_stream_segments(path)

    assert segments is not None
    assert [segment.text for segment in segments] == EXPECTED_TEXTS
    assert_times(segments, CUES)


def test_a_video_without_a_subtitle_stream_gives_none(tmp_path: Path) -> None:
    path = make_video(tmp_path / "plain.mp4", seconds=2)

    assert subtitle_stream_segments(path) is None


def test_a_file_that_is_not_media_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")

    assert subtitle_stream_segments(path) is None


_ASS_HEADER = b"""[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


def write_mkv_with_subtitle_streams(path: Path, *, bitmap: bool, ass_events: list[tuple[float, float, str]]) -> Path:
    """A 6 s Matroska file with, in this order, a DVD (bitmap) subtitle stream if `bitmap`, and an
    ASS stream of `ass_events` (start, end, ASS Text field) if any. The DVD packet is not a real
    picture: nothing should try to decode it."""
    output = av.open(str(path), mode="w", format="matroska")
    video = output.add_stream("libx264", rate=15)
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    dvd = output.add_stream("dvdsub") if bitmap else None
    ass: SubtitleStream | None = None
    if ass_events:
        ass = output.add_stream("ass")
        assert ass is not None
        ass.codec_context.subtitle_header = _ASS_HEADER
    for stream in (dvd, ass):
        if stream is not None:
            stream.time_base = Fraction(1, 1000)
    output.start_encoding()
    for index in range(6 * 15):
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index % 255, np.uint8), format="rgb24")
        frame.pts, frame.time_base = index, Fraction(1, 15)
        output.mux(video.encode(frame))
    output.mux(video.encode(None))
    if dvd is not None:
        packet = av.Packet(bytes(16))
        packet.stream, packet.pts, packet.dts, packet.duration = dvd, 500, 500, 1500
        output.mux(packet)
    for start, end, text in ass_events:
        assert ass is not None
        begin, length = round(start * 1000), round((end - start) * 1000)
        subtitle_set = SubtitleSet.create(f"0,0,Default,,0,0,0,,{text}".encode(), 0, length, begin)
        packet = ass.codec_context.encode_subtitle(subtitle_set)
        packet.stream, packet.pts, packet.dts, packet.duration = ass, begin, begin, length
        output.mux(packet)
    output.close()
    return path


def test_ass_dialogue_becomes_plain_text(tmp_path: Path) -> None:
    path = write_mkv_with_subtitle_streams(
        tmp_path / "styled.mkv",
        bitmap=False,
        ass_events=[(1.0, 2.5, r"{\an8}{\b1}Top{\b0} line\Nand the next"), (3.0, 4.0, r"Hard\hspace")],
    )

    segments = subtitle_stream_segments(path)

    assert segments == [TimedLine(1.0, 2.5, "Top line and the next"), TimedLine(3.0, 4.0, "Hard space")]


def test_a_bitmap_subtitle_stream_alone_gives_none(tmp_path: Path) -> None:
    path = write_mkv_with_subtitle_streams(tmp_path / "dvd.mkv", bitmap=True, ass_events=[])

    assert subtitle_stream_segments(path) is None


def test_a_text_stream_after_a_bitmap_one_is_used(tmp_path: Path) -> None:
    path = write_mkv_with_subtitle_streams(tmp_path / "both.mkv", bitmap=True, ass_events=[(1.0, 2.0, "Words")])

    assert subtitle_stream_segments(path) == [TimedLine(1.0, 2.0, "Words")]
