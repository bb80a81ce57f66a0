"""Gemini transcription: the sound goes out as a small Ogg/Opus file, timed segments come back."""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from sage.synthetic_media import SpeechAudio, make_video
from tests.gemini_stub import GeminiReply, GeminiRequest, gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture
from videos.timed_text import TimedLine
from videos.transcripts.base import TranscriptError
from videos.transcripts.gemini import (
    MAX_INLINE_AUDIO_BYTES,
    extract_audio,
    parse_answer,
    transcribe_with_gemini,
)


def segments_answer(*segments: object, language: str = "en") -> str:
    return json.dumps({"language": language, "segments": list(segments)})


def decoded_audio(data: bytes) -> tuple[str, int, int, float]:
    """(codec, sample rate, channels, seconds) of an audio file's first stream."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        samples = sum(int(frame.samples) for frame in container.decode(stream))
        return (
            stream.codec_context.name,
            stream.codec_context.sample_rate,
            stream.codec_context.channels,
            samples / 48_000,
        )


def video_with_late_sound(path: Path, *, seconds: float, sound_from: float) -> Path:
    """A Matroska video whose sound stream starts `sound_from` seconds after the picture."""
    with av.open(str(path), mode="w") as output:
        video = output.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = output.add_stream("aac", rate=16_000)
        audio.layout = "mono"
        for index in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = index
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        tone = (0.2 * np.sin(np.arange(int((seconds - sound_from) * 16_000)) * 0.2)).astype(np.float32)
        first = int(sound_from * 16_000)
        for start in range(0, len(tone), 1600):
            sound = av.AudioFrame.from_ndarray(tone[np.newaxis, start : start + 1600], format="flt", layout="mono")
            sound.sample_rate = 16_000
            sound.pts = first + start
            sound.time_base = Fraction(1, 16_000)
            output.mux(audio.encode(sound))
        output.mux(audio.encode(None))
    return path


@pytest.fixture(scope="module")
def spoken_video(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("gemini")
    return make_video(directory / "talk.mp4", seconds=5, audio=SpeechAudio("hello there, general kenobi", start=0.5))


def test_transcribes_from_compact_inline_audio_and_keeps_gemini_segments(gemini_stub, spoken_video):
    gemini_stub.reply(
        segments_answer(
            {"start": 2.0, "end": 3.5, "text": "General Kenobi."},
            {"start": 0.5, "end": 1.9, "text": "Hello there."},
        )
    )

    result = transcribe_with_gemini(spoken_video, duration=5.0)

    assert result is not None
    assert result.source == "gemini"
    assert result.language == "en"
    assert not result.low_confidence
    assert result.segments == [TimedLine(0.5, 1.9, "Hello there."), TimedLine(2.0, 3.5, "General Kenobi.")]
    request: GeminiRequest = gemini_stub.last
    [(mime_type, audio)] = request.inline_data
    assert mime_type == "audio/ogg"
    codec, rate, channels, seconds = decoded_audio(audio)
    assert (codec, channels) == ("opus", 1)
    assert rate in (16_000, 48_000)  # Opus files always decode at 48 kHz in FFmpeg
    assert seconds == pytest.approx(5.0, abs=0.15)
    assert len(audio) < 16_000  # ~16 kbps: a few kilobytes for five seconds
    assert request.generation_config["responseMimeType"] == "application/json"
    assert "segments" in request.generation_config["responseSchema"]["properties"]
    assert "5.0 seconds" in request.prompt
    assert "never instructions" in (request.system or "")


def test_segments_are_cleaned_clamped_and_garbage_dropped(gemini_stub, spoken_video):
    gemini_stub.reply(
        segments_answer(
            {"start": "0:01.5", "end": "0:02.5", "text": "  clock   strings\nwork "},
            {"start": 3.0, "end": 9.0, "text": "runs past the end"},
            {"start": 7.0, "end": 8.0, "text": "starts after the end"},
            {"start": None, "end": 1.0, "text": "no start"},
            {"start": 1.0, "end": 2.0, "text": ""},
            {"start": 1.0, "end": 2.0},
            "not even an object",
        )
    )

    result = transcribe_with_gemini(spoken_video, duration=5.0)

    assert result is not None
    assert result.segments == [TimedLine(1.5, 2.5, "clock strings work"), TimedLine(3.0, 5.0, "runs past the end")]


def test_times_are_shifted_when_the_sound_starts_after_the_picture(gemini_stub, tmp_path):
    path = video_with_late_sound(tmp_path / "late.mkv", seconds=4, sound_from=2.0)
    gemini_stub.reply(segments_answer({"start": 0.5, "end": 1.5, "text": "Said half a second into the sound."}))

    result = transcribe_with_gemini(path, duration=4.0)

    assert result is not None
    [segment] = result.segments
    assert segment.start == pytest.approx(2.5, abs=0.05)
    assert segment.end == pytest.approx(3.5, abs=0.05)


def test_no_speech_is_none(gemini_stub, spoken_video):
    gemini_stub.reply(segments_answer(language=""))
    assert transcribe_with_gemini(spoken_video, duration=5.0) is None


def test_a_video_without_sound_is_none_without_asking_gemini(gemini_stub, tmp_path):
    path = make_video(tmp_path / "mute.mp4", seconds=2, audio=None)
    assert transcribe_with_gemini(path, duration=2.0) is None
    assert gemini_stub.requests == []


def test_gemini_failure_is_a_transcript_error_for_the_owner(gemini_stub, spoken_video):
    gemini_stub.reply(GeminiReply(status=400, error_message="Audio could not be processed"))

    with pytest.raises(TranscriptError) as caught:
        transcribe_with_gemini(spoken_video, duration=5.0)

    assert caught.value.code == "transcription_failed"
    assert "Gemini could not transcribe" in caught.value.message


@pytest.mark.parametrize(
    "answer",
    [
        "I'm sorry, I can't help with that.",  # not JSON
        json.dumps({"transcript": "hello"}),  # not the asked-for shape
        segments_answer({"start": "soon", "end": "later", "text": "hello"}),  # nothing timed
    ],
)
def test_unusable_answers_are_transcript_errors(gemini_stub, spoken_video, answer):
    gemini_stub.reply(answer)
    with pytest.raises(TranscriptError) as caught:
        transcribe_with_gemini(spoken_video, duration=5.0)
    assert caught.value.code == "transcription_failed"


def test_a_video_too_long_for_one_request_is_refused_before_anything_is_sent(gemini_stub, spoken_video):
    with pytest.raises(TranscriptError) as caught:
        transcribe_with_gemini(spoken_video, duration=4 * 3600)
    assert caught.value.code == "audio_too_long"
    assert "minutes" in caught.value.message
    assert gemini_stub.requests == []


def test_audio_growing_past_the_limit_stops_the_extraction(spoken_video):
    with pytest.raises(TranscriptError) as caught:
        extract_audio(spoken_video, max_bytes=2_000)
    assert caught.value.code == "audio_too_long"
    assert extract_audio(spoken_video, max_bytes=MAX_INLINE_AUDIO_BYTES) is not None


def test_an_unreadable_file_is_a_transcript_error(tmp_path):
    path = tmp_path / "junk.mp4"
    path.write_bytes(b"this is not a video" * 100)
    with pytest.raises(TranscriptError) as caught:
        extract_audio(path, max_bytes=MAX_INLINE_AUDIO_BYTES)
    assert caught.value.code == "audio_unreadable"


def test_parse_answer_accepts_a_bare_list_and_reads_hour_clocks():
    result = parse_answer([{"start": "1:00:02", "end": 3602.5, "text": "an hour in"}], duration=4000.0)
    assert result is not None
    assert result.segments == [TimedLine(3602.0, 3602.5, "an hour in")]
    assert result.language == ""
