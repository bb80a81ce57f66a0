"""Transcript sources, each pure library code (no models, no DB): a sidecar subtitle file
(`subtitles`), a subtitle stream in the container (`stream`), YouTube captions
(`youtube_captions`) and offline speech recognition (`speech`, with the Whisper model of
`whisper_model`). Each returns transcript lines with times (`videos.timed_text.TimedLine`, with
its `Word`s); `base` holds `TranscriptResult`, `TranscriptError` and `clean_segments`, which every
source's output goes through.
"""

from __future__ import annotations

from videos.transcripts.base import (
    ProgressCallback,
    TranscriptError,
    TranscriptResult,
    clean_segments,
)
from videos.transcripts.speech import recognise_speech
from videos.transcripts.stream import subtitle_stream_segments
from videos.transcripts.subtitles import MAX_CUES, SUBTITLE_EXTENSIONS, parse_subtitles, validate_subtitle_file
from videos.transcripts.youtube_captions import fetch_youtube_transcript

__all__ = [
    "MAX_CUES",
    "SUBTITLE_EXTENSIONS",
    "ProgressCallback",
    "TranscriptError",
    "TranscriptResult",
    "clean_segments",
    "fetch_youtube_transcript",
    "parse_subtitles",
    "recognise_speech",
    "subtitle_stream_segments",
    "validate_subtitle_file",
]
