"""The test-media generator makes what it says it makes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from sage.synthetic_media import (
    BAD_FILE_KINDS,
    Cue,
    Scene,
    SceneKind,
    SpeechAudio,
    Tone,
    ToneAudio,
    decode_video,
    edited_copy,
    make_bad_file,
    make_video,
    reencode,
    speech_seconds,
    write_srt,
    write_vtt,
)


def streams_of(path: Path) -> list[tuple[str, str]]:
    with av.open(str(path)) as container:
        return [(stream.type, stream.codec_context.name) for stream in container.streams]


def subtitle_cues(path: Path) -> list[tuple[float, float, str]]:
    with av.open(str(path)) as container:
        stream = container.streams.subtitles[0]
        cues = []
        for packet in container.demux(stream):
            if packet.size and packet.pts is not None and packet.time_base is not None:
                for subtitle in packet.decode():
                    start = float(packet.pts * packet.time_base)
                    end = start + float((packet.duration or 0) * packet.time_base)
                    cues.append((start, end, subtitle.dialogue.decode()))  # type: ignore[union-attr]
        return cues


def mean_difference(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.abs(first.astype(np.int16) - second.astype(np.int16)).mean())


def test_default_video_is_six_seconds_of_320x240_h264_with_an_aac_tone(tmp_path):
    path = make_video(tmp_path / "a.mp4")

    decoded = decode_video(path)
    assert streams_of(path) == [("video", "h264"), ("audio", "aac")]
    assert (decoded.width, decoded.height, float(decoded.fps)) == (320, 240, 15.0)
    assert len(decoded.frames) == 90
    assert decoded.samples is not None
    assert len(decoded.samples) / 48_000 == pytest.approx(6.0, abs=0.1)
    spectrum = np.abs(np.fft.rfft(decoded.samples[48_000:96_000]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # 1 s of samples: bin = Hz


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.webm", [("video", "vp9"), ("audio", "opus")]),
        ("a.mkv", [("video", "h264"), ("audio", "aac")]),
        ("a.mov", [("video", "h264"), ("audio", "aac")]),
        ("a.avi", [("video", "mpeg4"), ("audio", "pcm_s16le")]),
    ],
)
def test_codecs_follow_the_container(tmp_path, name, expected):
    path = make_video(tmp_path / name, seconds=1, width=160, height=120)

    assert streams_of(path) == expected


def test_size_rate_and_silence_options(tmp_path):
    path = make_video(tmp_path / "small.mp4", seconds=2, width=160, height=120, fps=10, audio=None, crf=35)

    decoded = decode_video(path)
    assert streams_of(path) == [("video", "h264")]
    assert (decoded.width, decoded.height, len(decoded.frames)) == (160, 120, 20)


def test_same_arguments_write_the_same_bytes(tmp_path):
    scenes = [Scene(1, "noise", seed=4), Scene(1, "bars", seed=5)]
    first = make_video(tmp_path / "one.mkv", scenes=scenes, subtitles=[Cue(0, 1, "x")])
    second = make_video(tmp_path / "two.mkv", scenes=scenes, subtitles=[Cue(0, 1, "x")])

    assert first.read_bytes() == second.read_bytes()


def test_scenes_are_visibly_different_content_and_set_the_length(tmp_path):
    kinds: list[SceneKind] = ["shapes", "bars", "noise", "gradient"]
    scenes = [Scene(1, kind, seed=number) for number, kind in enumerate(kinds)]
    path = make_video(tmp_path / "scenes.mp4", scenes=scenes, width=160, height=120, fps=10, audio=None)

    frames = decode_video(path).frames
    assert len(frames) == 40
    middles = [frames[index * 10 + 5] for index in range(4)]
    for first in range(4):
        for second in range(first + 1, 4):
            assert mean_difference(middles[first], middles[second]) > 20
    # Within a scene the picture moves, but stays the same kind of picture.
    assert 0 < mean_difference(frames[3], frames[6]) < 20
    with pytest.raises(ValueError, match="scenes last"):
        make_video(tmp_path / "x.mp4", seconds=3, scenes=scenes)


def test_same_kind_with_another_seed_is_different_content(tmp_path):
    frames = {
        seed: decode_video(
            make_video(tmp_path / f"{seed}.mp4", scenes=[Scene(1, "shapes", seed=seed)], audio=None)
        ).frames
        for seed in (1, 2)
    }

    assert mean_difference(frames[1][5], frames[2][5]) > 20


def test_subtitles_are_muxed_as_a_stream_and_read_back(tmp_path):
    cues = [Cue(0.5, 1.5, "Hello, world"), Cue(2.0, 3.0, "Second line")]
    expected = [(0.5, 1.5, "Hello, world"), (2.0, 3.0, "Second line")]
    for name, codec in [("s.mp4", "mov_text"), ("s.mkv", "srt"), ("s.webm", "webvtt")]:
        path = make_video(tmp_path / name, seconds=4, width=160, height=120, subtitles=cues)

        assert streams_of(path)[-1] == ("subtitle", codec)
        assert [cue for cue in subtitle_cues(path) if cue[2]] == expected
        with av.open(str(path)) as container:
            assert container.streams.subtitles[0].language == "eng"


def test_speech_audio_is_spoken_where_asked_and_silent_elsewhere(tmp_path):
    phrase = "the quick brown fox"
    length = speech_seconds(phrase)
    assert 0.8 < length < 3
    path = make_video(tmp_path / "talk.mp4", seconds=length + 2, audio=SpeechAudio(phrase, start=1.0))

    samples = decode_video(path).samples
    assert samples is not None

    def loudness(start: float, end: float) -> float:
        return float(np.sqrt(np.mean(samples[int(start * 48_000) : int(end * 48_000)] ** 2)))

    assert loudness(0, 0.9) < 0.005
    assert loudness(1.0, 1.0 + length) > 0.03
    with pytest.raises(ValueError, match="past the video's end"):
        make_video(tmp_path / "short.mp4", seconds=1, audio=SpeechAudio(phrase))


def test_tone_segments_change_frequency(tmp_path):
    path = make_video(tmp_path / "tones.webm", seconds=2, audio=ToneAudio(segments=[Tone(1, 440), Tone(1, 880)]))

    samples = decode_video(path).samples
    assert samples is not None
    peaks = [int(np.argmax(np.abs(np.fft.rfft(samples[start : start + 24_000])))) * 2 for start in (12_000, 60_000)]
    assert peaks[0] == pytest.approx(440, abs=4)
    assert peaks[1] == pytest.approx(880, abs=4)


def test_reencode_keeps_the_content_at_another_size_and_codec(tmp_path):
    original = make_video(tmp_path / "o.mp4", scenes=[Scene(1, "shapes", 1), Scene(1, "bars", 2)])
    copy = reencode(original, tmp_path / "c.webm", width=160, height=120, crf=45)

    before, after = decode_video(original), decode_video(copy)
    assert streams_of(copy) == [("video", "vp9"), ("audio", "opus")]
    assert (after.width, after.height, len(after.frames)) == (160, 120, len(before.frames))
    shrunk = av.VideoFrame.from_ndarray(before.frames[20], format="rgb24").reformat(width=160, height=120)
    assert mean_difference(shrunk.to_ndarray(format="rgb24"), after.frames[20]) < 8


def test_edited_copy_replaces_one_stretch_and_keeps_the_rest(tmp_path):
    original = make_video(tmp_path / "o.mp4", scenes=[Scene(3, "gradient", 1)], fps=10)
    edited = edited_copy(original, tmp_path / "e.mp4", replace=(1.0, 2.0), tone=(1.0, 2.0, 1000))
    inserted = edited_copy(original, tmp_path / "i.mp4", insert_at=1.0, insert_seconds=1.0)

    before, after, longer = decode_video(original), decode_video(edited), decode_video(inserted)
    assert mean_difference(before.frames[5], after.frames[5]) < 5
    assert mean_difference(before.frames[15], after.frames[15]) > 20
    assert mean_difference(before.frames[25], after.frames[25]) < 5
    assert len(longer.frames) == 40
    assert mean_difference(before.frames[25], longer.frames[35]) < 5


def test_sidecar_subtitles_are_readable_srt_and_vtt(tmp_path):
    cues = [Cue(1.0, 2.5, "First"), Cue(3661.25, 3662.0, "An hour later")]
    for path in (write_srt(tmp_path / "s.srt", cues), write_vtt(tmp_path / "s.vtt", cues)):
        with av.open(str(path)) as container:
            packets = [packet for packet in container.demux() if packet.size]
            assert [bytes(packet).decode() for packet in packets] == ["First", "An hour later"]
            assert [float(packet.pts * packet.time_base) for packet in packets] == [1.0, 3661.25]  # type: ignore[operator]
    assert write_srt(tmp_path / "t.srt", cues).read_text().startswith("1\n00:00:01,000 --> 00:00:02,500\nFirst\n")


def test_every_bad_file_kind_is_written(tmp_path):
    paths = {kind: make_bad_file(kind, tmp_path / kind) for kind in BAD_FILE_KINDS}

    assert paths["zero_length"].stat().st_size == 0
    assert paths["image"].read_bytes().startswith(b"\x89PNG")
    assert paths["playlist"].read_text().startswith("#EXTM3U")
    assert "http://example.invalid/" in paths["playlist"].read_text()
    assert "file:///etc/passwd" in paths["playlist_local"].read_text()
    assert paths["concat_reference"].read_text().startswith("ffconcat version 1.0")
    assert paths["not_allowed_container"].suffix == ".avi"
    with av.open(str(paths["absurd_dimensions"])) as container:  # FFmpeg believes the patched header
        assert (container.streams.video[0].codec_context.width, container.streams.video[0].codec_context.height) == (
            16384,
            8192,
        )
    with av.open(str(paths["too_long"])) as container:
        assert container.duration is not None
        assert container.duration / 1_000_000 > 2 * 3600
    with av.open(str(paths["audio_only"])) as container:
        assert [stream.type for stream in container.streams] == ["audio"]
    with pytest.raises(ValueError, match="unknown bad-file kind"):
        make_bad_file("nonsense", tmp_path)
