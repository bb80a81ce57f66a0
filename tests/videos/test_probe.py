"""Probing untrusted media: good files give their metadata, every bad file gets its own code and a
message a person understands, and nothing the file points at is ever opened."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from sage.synthetic_media import BAD_FILE_KINDS, Cue, SpeechAudio, make_bad_file, make_video
from videos import probe_worker
from videos.probe import ProbeError, ProbeResult, SubtitleStream, format_length, probe_media, probe_verdict

FIFTEEN_MINUTES = 15 * 60

EXPECTED = {
    "not_a_video": ("not_a_video", "This file is not a video we can read."),
    "zero_length": ("empty", "The file is empty."),
    "truncated": ("damaged", "The file is cut short or damaged."),
    "truncated_faststart": ("damaged", "The file is cut short or damaged."),
    "audio_only": ("audio_only", "This file has sound but no picture."),
    "no_decodable_frames": ("undecodable", "The video's frames cannot be decoded."),
    "absurd_dimensions": (
        "too_large_dimensions",
        "The picture size 16384×8192 is larger than we support (max 7680×4320).",
    ),
    # FFmpeg's own H.264 decoder refuses a 100000×100000 SPS, so nothing can be decoded.
    "absurd_dimensions_header": ("undecodable", "The video's frames cannot be decoded."),
    "too_long": ("too_long", "This video is 2 h 05 min long; your plan allows up to 15 min."),
    "huge_frame_count": ("too_many_frames", "This video has 1000 frames per second; we support up to 240."),
    "playlist": ("remote_reference", "Playlists and files that point to other files are not accepted."),
    "playlist_local": ("remote_reference", "Playlists and files that point to other files are not accepted."),
    "concat_reference": ("remote_reference", "Playlists and files that point to other files are not accepted."),
    "wrong_extension": ("not_a_video", "This file is not a video we can read."),
    "image": ("not_a_video", "This file is a picture, not a video."),
    "not_allowed_container": (
        "format_not_allowed",
        "This container format (avi) is not accepted: upload MP4, MOV, M4V, WebM or MKV.",
    ),
    "flv": ("format_not_allowed", "This container format (flv) is not accepted: upload MP4, MOV, M4V, WebM or MKV."),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("bad")
    return {kind: make_bad_file(kind, directory / kind) for kind in BAD_FILE_KINDS}


@pytest.fixture
def request_log() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request: proof that nothing was fetched."""
    seen: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"#EXTM3U\n")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def refusal(path: Path, **limits) -> ProbeError:
    with pytest.raises(ProbeError) as caught:
        probe_media(path, max_seconds=limits.pop("max_seconds", FIFTEEN_MINUTES), **limits)
    return caught.value


def test_every_kind_in_the_corpus_has_an_expectation():
    assert set(EXPECTED) == set(BAD_FILE_KINDS)


@pytest.mark.parametrize("kind", BAD_FILE_KINDS)
def test_bad_file_gets_its_own_code_and_a_human_message(corpus, kind):
    error = refusal(corpus[kind])

    assert (error.code, error.message) == EXPECTED[kind]
    assert str(error) == error.message


def test_mp4_with_h264_and_aac(tmp_path):
    result = probe_media(make_video(tmp_path / "a.mp4"), max_seconds=FIFTEEN_MINUTES)

    assert result == ProbeResult(
        duration=6.0,
        width=320,
        height=240,
        fps=15.0,
        video_codec="h264",
        audio_codec="aac",
        has_audio=True,
        frame_count=90,
        container="mp4",
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        subtitle_streams=(),
        rate=Fraction(15),
        pix_fmt="yuv420p",
        profile="High",
        interlaced=False,
        variable_rate=False,
        index_first=False,  # FFmpeg's MP4 muxer writes the index last unless told otherwise
        rotation=0,
    )


def test_the_start_timecode_a_quicktime_timecode_track_carries_is_read(tmp_path):
    path = tmp_path / "tc.mov"
    with av.open(str(path), "w") as output:
        stream = output.add_stream("mpeg4", rate=Fraction(30000, 1001))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.metadata["timecode"] = "10:00:00;00"  # FFmpeg's MOV muxer writes it as a tmcd track
        for _ in range(10):
            output.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")))
        output.mux(stream.encode())

    assert probe_media(path, max_seconds=60).start_timecode == "10:00:00;00"
    assert probe_media(make_video(tmp_path / "plain.mp4", seconds=1), max_seconds=60).start_timecode == ""


def test_webm_with_vp9_and_opus(tmp_path):
    result = probe_media(make_video(tmp_path / "a.webm", seconds=3, width=160, height=120), max_seconds=60)

    assert (result.container, result.format_name) == ("webm", "matroska,webm")
    assert (result.video_codec, result.audio_codec, result.has_audio) == ("vp9", "opus", True)
    assert (result.width, result.height, result.fps) == (160, 120, 15.0)
    assert result.duration == pytest.approx(3.0, abs=0.05)
    assert result.frame_count == 45


def test_mkv_lists_its_subtitle_stream(tmp_path):
    path = make_video(tmp_path / "a.mkv", seconds=3, subtitles=[Cue(0.5, 2.0, "Hello")], subtitle_language="fra")

    result = probe_media(path, max_seconds=60)

    assert result.container == "mkv"
    assert result.subtitle_streams == (SubtitleStream(index=2, codec="srt", language="fra"),)


def test_mov_and_m4v_without_sound(tmp_path):
    mov = probe_media(
        make_video(tmp_path / "a.mov", seconds=2, fps=10, audio=None, subtitles=[Cue(0, 1, "Hi")]), max_seconds=60
    )
    m4v = probe_media(make_video(tmp_path / "a.m4v", seconds=2, audio=SpeechAudio("hi")), max_seconds=60)

    assert (mov.container, mov.has_audio, mov.audio_codec, mov.fps, mov.frame_count) == ("mov", False, None, 10.0, 20)
    assert mov.subtitle_streams == (SubtitleStream(index=1, codec="mov_text", language="eng"),)
    assert (m4v.container, m4v.has_audio) == ("m4v", True)


def test_the_plan_length_is_the_limit(tmp_path):
    path = make_video(tmp_path / "six.mp4", width=160, height=120, audio=None)

    assert probe_media(path, max_seconds=6).duration == 6.0
    error = refusal(path, max_seconds=5)
    assert (error.code, error.message) == ("too_long", "This video is 6 s long; your plan allows up to 5 s.")


def test_a_child_past_its_time_limit_is_killed_and_reported(tmp_path):
    path = make_video(tmp_path / "a.mp4", seconds=1, width=160, height=120)

    started = time.monotonic()
    error = refusal(path, timeout=0.01)

    assert (error.code, error.message) == ("timeout", "Probing took too long.")
    assert time.monotonic() - started < 2
    children = [
        entry.name
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent_of(entry) == os.getpid() and b"probe_worker" in _cmdline(entry)
    ]
    assert children == []  # killed and reaped, not left running


def _parent_of(process: Path) -> int | None:
    try:
        return int((process / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:
        return b""


def test_a_child_past_its_memory_limit_is_reported(tmp_path):
    path = make_video(tmp_path / "a.mp4", seconds=1, width=160, height=120)

    error = refusal(path, memory_bytes=48 << 20)

    assert (error.code, error.message) == ("out_of_memory", "The file needs too much memory to read.")


def test_the_memory_limit_holds_an_absurd_picture_and_still_names_it(corpus):
    # 16384×8192 frames need ~200 MB each; under a 192 MiB limit FFmpeg's allocations fail cleanly.
    error = refusal(corpus["absurd_dimensions"], memory_bytes=192 << 20)

    assert error.code == "too_large_dimensions"


def test_paths_that_are_not_regular_files_fail_cleanly(tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)

    assert refusal(tmp_path).code == "not_a_video"
    assert refusal(fifo).code == "not_a_video"  # and did not block on the pipe
    missing = refusal(tmp_path / "nowhere.mp4")
    assert (missing.code, missing.message) == ("missing", "The file could not be found.")


def test_playlists_are_refused_without_fetching_anything(tmp_path, request_log):
    base, seen = request_log
    remote = tmp_path / "remote.mp4"
    remote.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{base}/segment.ts\n#EXT-X-ENDLIST\n")
    nested = tmp_path / "nested.m3u8"
    nested.write_text(f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{base}/variant.m3u8\n")

    assert refusal(remote).code == "remote_reference"
    assert refusal(nested).code == "remote_reference"
    assert seen == []


def _probe_in_process(path: Path) -> probe_worker.Refusal:
    """The child's FFmpeg stage alone, skipping its byte sniffing: the defences behind it."""
    with path.open("rb") as upload, pytest.raises(probe_worker.Refusal) as caught:
        probe_worker._probe_with_av(
            upload, str(path), head=upload.read(4096), size=path.stat().st_size, max_seconds=FIFTEEN_MINUTES
        )
    return caught.value


def test_without_sniffing_the_format_whitelist_still_refuses_references(tmp_path, request_log):
    base, seen = request_log
    video = make_video(tmp_path / "real.mp4", seconds=1, width=160, height=120)
    playlist = tmp_path / "p.m3u8"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{base}/s.ts\n#EXTINF:1,\n{video}\n#EXT-X-ENDLIST\n"
    )
    concat = tmp_path / "c.ffconcat"
    concat.write_text(f"ffconcat version 1.0\nfile {video}\nfile {base}/x.mp4\n")

    assert _probe_in_process(playlist).code == "not_a_video"  # FFmpeg: "Format hls not on whitelist"
    assert _probe_in_process(concat).code == "not_a_video"
    assert seen == []


def test_without_sniffing_or_whitelist_nothing_but_the_upload_is_opened(tmp_path, request_log, monkeypatch):
    # Even a demuxer that follows references (hls, concat) gets nothing from the io_open guard.
    monkeypatch.setattr(probe_worker, "FORMAT_WHITELIST", "mov,matroska,hls,concat")
    base, seen = request_log
    video = make_video(tmp_path / "real.mp4", seconds=1, width=160, height=120)
    playlist = tmp_path / "p.m3u8"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{base}/s.ts\n#EXT-X-ENDLIST\n")
    local = tmp_path / "local.m3u8"
    local.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile://{video}\n#EXT-X-ENDLIST\n")
    concat = tmp_path / "c.ffconcat"
    concat.write_text(f"ffconcat version 1.0\nfile {video}\n")

    for path in (playlist, local, concat):
        assert _probe_in_process(path).code == "remote_reference"
    assert seen == []


def test_a_crashed_or_garbled_child_is_reported_not_trusted():
    def completed(returncode: int, stdout: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(args=[], returncode=returncode, stdout=stdout, stderr=b"")

    with pytest.raises(ProbeError) as crashed:
        probe_verdict(completed(-signal.SIGSEGV, b""))
    with pytest.raises(ProbeError) as cpu:
        probe_verdict(completed(-signal.SIGXCPU, b""))
    with pytest.raises(ProbeError) as garbled:
        probe_verdict(completed(0, b"not json"))
    with pytest.raises(ProbeError) as unknown:
        probe_verdict(completed(0, b'{"ok": false, "code": "made_up"}'))

    assert [crashed.value.code, cpu.value.code, garbled.value.code, unknown.value.code] == [
        "crashed",
        "timeout",
        "crashed",
        "crashed",
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (900, "15 min"), (930, "15 min 30 s"), (7500, "2 h 05 min"), (36000, "10 h 00 min")],
)
def test_lengths_read_naturally(seconds, text):
    assert format_length(seconds) == text
