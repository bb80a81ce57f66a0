"""The `local` clip-embedding backend on small videos made on the fly (sage/synthetic_media).

Run with `-s` to see the distance figures the invariance tests assert on."""

from __future__ import annotations

import itertools
import os
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from av.video.stream import VideoStream

from sage.synthetic_media import (
    Scene,
    SpeechAudio,
    Tone,
    ToneAudio,
    make_bad_file,
    make_video,
    reencode,
    scene_frames,
)
from videos.embeddings import AUDIO_DIM, VISUAL_DIM, ClipEmbedding, EmbeddingError, clip_spans, get_backend, visual
from videos.embeddings import local as local_backend
from videos.embeddings.fingerprint import VISUAL_FEATURES, cell_sums, content_box, visual_features
from videos.embeddings.local import LocalClipEmbedder

SCENES = [Scene(4, "shapes", seed=1), Scene(4, "bars", seed=2), Scene(4, "gradient", seed=3)]
TONES = ToneAudio(segments=[Tone(4, 330), Tone(4, 440), Tone(4, 550)])
CHANGED_CLIPS = {2, 3}  # 4–8 s: the middle scene


def embed(path: Path, **options) -> list[ClipEmbedding]:
    return LocalClipEmbedder(**options).embed_clips(path)


def distances(first: list[ClipEmbedding], second: list[ClipEmbedding], part: str) -> np.ndarray:
    """Cosine distance per clip between two embeddings of the same length."""
    assert len(first) == len(second)
    return np.array([1.0 - float(getattr(a, part) @ getattr(b, part)) for a, b in zip(first, second, strict=True)])


def show(label: str, **per_clip: np.ndarray) -> None:
    """Print per-clip figures (seen with `pytest -s`)."""
    print(
        f"\n{label}: "
        + "  ".join(f"{name} {np.array2string(values, precision=4)}" for name, values in per_clip.items())
    )


def spans(embeddings: list[ClipEmbedding]) -> list[tuple[float, float]]:
    return [(clip.start, clip.end) for clip in embeddings]


def assert_spans(embeddings: list[ClipEmbedding], expected: list[tuple[float, float]], *, tolerance: float) -> None:
    assert len(embeddings) == len(expected), spans(embeddings)
    flat = [bound for span in spans(embeddings) for bound in span]
    assert flat == pytest.approx([bound for span in expected for bound in span], abs=tolerance), spans(embeddings)


# --- videos shared by the invariance tests (made once per module) ----------------------------


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clip_embeddings")


@pytest.fixture(scope="module")
def original(media: Path) -> Path:
    return make_video(media / "original.mp4", scenes=SCENES, audio=TONES)


@pytest.fixture(scope="module")
def reencoded(media: Path, original: Path) -> dict[str, Path]:
    """The same pictures and sound at other sizes, codecs and (much lower) bitrates."""
    return {
        "x264 640×480": reencode(original, media / "large.mp4", width=640, height=480),
        "x264 160×120 20 kbit/s": reencode(original, media / "small.mp4", width=160, height=120, bitrate=20_000),
        "x264 15 kbit/s": reencode(original, media / "starved.mp4", bitrate=15_000),  # the original has ~65
        "vp9+opus 40 kbit/s": reencode(original, media / "vp9.webm", bitrate=40_000),
        "mpeg4+pcm 480×360 avi": reencode(original, media / "mpeg4.avi", width=480, height=360),
    }


@pytest.fixture(scope="module")
def embedded(original: Path, reencoded: dict[str, Path]) -> dict[str, list[ClipEmbedding]]:
    return {"original": embed(original)} | {name: embed(path) for name, path in reencoded.items()}


@pytest.fixture(scope="module")
def same_content_distance(embedded: dict[str, list[ClipEmbedding]]) -> float:
    """The largest distance, visual or audio, between the original and any re-encoded copy."""
    worst = 0.0
    print("\nre-encoded copies, per-clip cosine distance to the original:")
    for name, clips in embedded.items():
        if name == "original":
            continue
        visual = distances(embedded["original"], clips, "visual")
        audio = distances(embedded["original"], clips, "audio")
        print(
            f"  {name:24s} visual {np.array2string(visual, precision=4)}  audio {np.array2string(audio, precision=4)}"
        )
        worst = max(worst, float(visual.max()), float(audio.max()))
    print(f"  largest: {worst:.4f}")
    return worst


# --- clips --------------------------------------------------------------------------------------


def test_clip_spans_keep_a_tail_of_half_a_second_and_merge_a_shorter_one() -> None:
    assert clip_spans(10.0) == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    assert clip_spans(9.3)[-1] == (8, 9.3)
    assert clip_spans(8.5)[-1] == (8, 8.5)
    assert clip_spans(8.4) == [(0, 2), (2, 4), (4, 6), (6, 8.4)]
    assert clip_spans(1.2) == [(0, 1.2)]
    assert clip_spans(0.3) == [(0, 0.3)]


def test_a_10_second_video_has_five_2_second_clips(tmp_path: Path) -> None:
    clips = embed(make_video(tmp_path / "ten.mp4", seconds=10, width=160, height=120))
    assert [clip.index for clip in clips] == [0, 1, 2, 3, 4]
    assert_spans(clips, [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)], tolerance=1e-3)


def test_a_9_3_second_video_ends_with_a_1_3_second_clip(tmp_path: Path) -> None:
    clips = embed(make_video(tmp_path / "short_tail.mp4", seconds=9.3, fps=10, width=160, height=120))
    assert_spans(clips, [(0, 2), (2, 4), (4, 6), (6, 8), (8, 9.3)], tolerance=1e-3)


def test_a_tail_under_half_a_second_joins_the_clip_before_it(tmp_path: Path) -> None:
    clips = embed(make_video(tmp_path / "merged_tail.mp4", seconds=10.3, fps=10, width=160, height=120))
    assert_spans(clips, [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10.3)], tolerance=1e-3)


@pytest.mark.parametrize("seconds", [1.2, 0.3])
def test_a_video_shorter_than_a_clip_is_one_clip(tmp_path: Path, seconds: float) -> None:
    clips = embed(make_video(tmp_path / "tiny.mp4", seconds=seconds, fps=10, width=160, height=120))
    assert_spans(clips, [(0, seconds)], tolerance=1e-3)
    assert clips[0].visual.shape == (VISUAL_DIM,)
    assert clips[0].audio is not None


def test_a_video_without_sound_has_no_audio_vectors(tmp_path: Path) -> None:
    clips = embed(make_video(tmp_path / "mute.mp4", seconds=4, width=160, height=120, audio=None))
    assert len(clips) == 2
    assert all(clip.audio is None for clip in clips)
    assert all(clip.visual.shape == (VISUAL_DIM,) for clip in clips)


def test_vectors_are_unit_length_float32_with_the_declared_sizes(embedded) -> None:
    for clip in embedded["original"]:
        assert clip.visual.shape == (VISUAL_DIM,)
        assert clip.audio is not None
        assert clip.audio.shape == (AUDIO_DIM,)
        assert clip.visual.dtype == clip.audio.dtype == np.float32
        assert np.linalg.norm(clip.visual) == pytest.approx(1.0, abs=1e-5)
        assert np.linalg.norm(clip.audio) == pytest.approx(1.0, abs=1e-5)
        assert np.isfinite(clip.visual).all()
        assert np.isfinite(clip.audio).all()


# --- invariance and sensitivity ------------------------------------------------------------------


def test_re_encoding_barely_moves_the_vectors_while_a_replaced_scene_moves_them_far(
    media: Path, embedded, same_content_distance: float
) -> None:
    replaced = make_video(media / "replaced.mp4", scenes=[SCENES[0], Scene(4, "noise", seed=9), SCENES[2]], audio=TONES)
    clips = embed(replaced)
    visual = distances(embedded["original"], clips, "visual")
    audio = distances(embedded["original"], clips, "audio")
    changed = visual[sorted(CHANGED_CLIPS)]
    unchanged = np.delete(visual, sorted(CHANGED_CLIPS))
    show("4–8 s replaced", visual=visual, audio=audio)
    print(f"  same content at most {same_content_distance:.4f}; replaced clips at least {changed.min():.4f}")

    assert same_content_distance < 0.5 * changed.min()
    assert unchanged.max() < 0.5 * changed.min()
    assert audio.max() < 0.5 * changed.min()  # the sound was left alone


def test_a_replaced_scene_of_the_same_kind_is_still_told_apart(media: Path, embedded, same_content_distance) -> None:
    other_bars = make_video(
        media / "other_bars.mp4", scenes=[SCENES[0], Scene(4, "bars", seed=7), SCENES[2]], audio=TONES
    )
    visual = distances(embedded["original"], embed(other_bars), "visual")
    show("4–8 s other bars", visual=visual)
    assert same_content_distance < 0.5 * visual[sorted(CHANGED_CLIPS)].min()
    assert np.delete(visual, sorted(CHANGED_CLIPS)).max() < 0.5 * visual[sorted(CHANGED_CLIPS)].min()


def test_a_changed_tone_moves_only_the_audio_of_the_changed_clips(media: Path, embedded, same_content_distance) -> None:
    new_tone = ToneAudio(segments=[Tone(4, 330), Tone(4, 880), Tone(4, 550)])
    clips = embed(make_video(media / "new_tone.mp4", scenes=SCENES, audio=new_tone))
    visual = distances(embedded["original"], clips, "visual")
    audio = distances(embedded["original"], clips, "audio")
    changed = audio[sorted(CHANGED_CLIPS)]
    show("4–8 s at 880 Hz", visual=visual, audio=audio)

    assert same_content_distance < 0.5 * changed.min()
    assert np.delete(audio, sorted(CHANGED_CLIPS)).max() < 0.5 * changed.min()
    assert visual.max() < 0.5 * changed.min()


def test_speech_where_there_was_silence_moves_the_audio_of_those_clips(media: Path) -> None:
    quiet = make_video(media / "quiet.mp4", scenes=SCENES, audio=ToneAudio(0))
    spoken = make_video(media / "spoken.mp4", scenes=SCENES, audio=SpeechAudio("the quick brown fox", start=4.2))
    first, second = embed(quiet), embed(spoken)
    audio = distances(first, second, "audio")
    visual = distances(first, second, "visual")
    show("speech from 4.2 s", visual=visual, audio=audio)

    assert audio[2] > 0.2  # the phrase (about 1.5 s) is in clip 2 (4–6 s); 0.35 measured
    assert audio[[0, 1, 4, 5]].max() < 0.01  # silence in both
    assert visual.max() < 0.01


# --- what the speed-ups cost ---------------------------------------------------------------------


def test_skipping_non_reference_frames_changes_nothing(original: Path, monkeypatch) -> None:
    fast = embed(original, skip_loop_filter=False)
    # Every packet decoded: the picked frames must be the very same pictures.
    monkeypatch.setattr(local_backend._FrameSampler, "wants", lambda self, time: True)
    full = embed(original, skip_loop_filter=False)
    assert distances(fast, full, "visual").max() < 1e-6


def test_skipping_the_loop_filter_moves_vectors_far_less_than_re_encoding(
    original: Path, same_content_distance
) -> None:
    exact = embed(original, skip_loop_filter=False)
    fast = embed(original)
    drift = distances(exact, fast, "visual").max()
    print(f"\nloop filter skipped: visual drift at most {drift:.5f}")
    assert drift < 0.005


def test_the_decode_the_samples_need_skips_frames_nothing_looks_at(original: Path) -> None:
    with av.open(str(original)) as container:
        every_frame = sum(1 for _ in container.decode(video=0))
    needed = local_backend.decode_needed_frames(original)
    # The fingerprint looks at 10 pictures a second of this 25 fps file, the clips at 2 more: the
    # rest of the non-reference frames are skipped.
    assert 0 < needed < every_frame


def test_a_failure_while_measuring_frames_is_raised_and_the_decode_stops(original: Path) -> None:
    class BrokenTap:
        calls = 0

        def wants(self, time: float, length: float) -> bool:
            return True

        def add(self, time: float, frame: av.VideoFrame) -> None:
            self.calls += 1
            if self.calls == 3:
                raise RuntimeError("the tap broke")

    tap = BrokenTap()
    with pytest.raises(RuntimeError, match="the tap broke"):
        LocalClipEmbedder().embed_clips_and_fingerprint(original, frames=tap)
    assert tap.calls == 3  # nothing handed to the tap after its failure


def _niceness_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_pictures_are_measured_at_a_lower_priority_than_the_decode(original: Path) -> None:
    # The decoder's threads go first (see local._PictureThread); the caller's priority is untouched.
    class PriorityTap:
        def __init__(self) -> None:
            self.niceness: set[int] = set()

        def wants(self, time: float, length: float) -> bool:
            return False

        def add(self, time: float, frame: av.VideoFrame) -> None:  # called on the picture thread
            self.niceness.add(_niceness_of_this_thread())

    caller = _niceness_of_this_thread()
    if caller == 19:
        pytest.skip("the tests already run at the lowest priority")
    tap = PriorityTap()
    LocalClipEmbedder().embed_clips_and_fingerprint(original, frames=tap)
    (picture_thread,) = tap.niceness
    assert picture_thread > caller
    assert picture_thread == min(19, caller + local_backend._PICTURE_THREAD_NICENESS)
    assert _niceness_of_this_thread() == caller


def test_cell_means_split_as_array_split_does() -> None:
    image = np.random.default_rng(5).random((3, 32, 31)).astype(np.float32)
    for rows, columns in ((4, 4), (2, 2), (3, 5), (5, 3)):
        row_cells = np.array_split(np.arange(image.shape[1]), rows)
        column_cells = np.array_split(np.arange(image.shape[2]), columns)
        expected = np.stack(
            [image[:, r[0] : r[-1] + 1, c[0] : c[-1] + 1].mean(axis=(1, 2)) for r in row_cells for c in column_cells],
            axis=-1,
        )
        assert visual._cell_means(image, rows, columns) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("height", "width"), [(64, 64), (37, 50), (9, 13), (8, 8), (5, 7), (3, 64)])
def test_fingerprint_cell_sums_are_the_exact_sums_over_each_cell(height: int, width: int) -> None:
    pictures = np.random.default_rng(height * width).integers(0, 256, (2, height, width, 3)).astype(np.uint8)
    for rows, columns in ((8, 8), (4, 4)):
        row_edges = np.linspace(0, height, rows + 1).round().astype(int)
        column_edges = np.linspace(0, width, columns + 1).round().astype(int)
        expected = [
            [
                picture[top:bottom, left:right].astype(np.int64).sum(axis=(0, 1))
                for top, bottom in itertools.pairwise(row_edges)
                for left, right in itertools.pairwise(column_edges)
            ]
            for picture in pictures
        ]
        sums = cell_sums(pictures, rows, columns)
        assert sums.shape == (2, rows, columns, 3)
        assert np.array_equal(sums.reshape(2, rows * columns, 3), np.array(expected))


def test_fingerprint_cell_sums_refuse_pictures_too_large_to_sum_exactly() -> None:
    assert cell_sums(np.full((1, 256, 256, 3), 255, np.uint8), 8, 8).max() == 255 * 32 * 32
    with pytest.raises(ValueError, match="too large"):
        cell_sums(np.zeros((1, 300, 300, 3), np.uint8), 8, 8)


def test_fingerprint_features_are_the_steps_nearest_each_cell_s_exact_mean() -> None:
    """Worked out pixel by pixel in float64: every value within half a step of the exact mean."""
    pictures = np.concatenate([_bordered_pictures(), np.random.default_rng(3).integers(0, 256, (20, 64, 64, 3))])
    pictures = pictures.astype(np.uint8)
    features = visual_features(pictures)
    for picture, values in zip(pictures, features, strict=True):
        top, bottom, left, right = content_box(picture.astype(np.float32) / 255.0)
        rgb = picture[top:bottom, left:right].astype(np.float64)
        luma = rgb @ np.array([0.299, 0.587, 0.114])
        expected = []
        for plane, cells, offset in (
            (luma, 8, 0.0),
            ((rgb[..., 2] - luma) * 0.564, 4, 127.5),
            ((rgb[..., 0] - luma) * 0.713, 4, 127.5),
        ):
            row_edges = np.linspace(0, plane.shape[0], cells + 1).round().astype(int)
            column_edges = np.linspace(0, plane.shape[1], cells + 1).round().astype(int)
            expected += [
                plane[top_edge:bottom_edge, left_edge:right_edge].mean() + offset
                for top_edge, bottom_edge in itertools.pairwise(row_edges)
                for left_edge, right_edge in itertools.pairwise(column_edges)
            ]
        assert np.abs(values - np.clip(expected, 0, 255)).max() <= 0.5 + 1e-9


def _bordered_pictures() -> np.ndarray:
    """Picture samples with no border, letterbox bars, pillarbox bars, a dark frame and a bright one."""
    rng = np.random.default_rng(11)
    pictures = rng.integers(40, 256, (6, 64, 64, 3)).astype(np.uint8)
    pictures[1, :8] = pictures[1, -8:] = 12  # letterbox
    pictures[2, :, :10] = pictures[2, :, -6:] = 20  # pillarbox, uneven
    pictures[3] = rng.integers(0, 25, (64, 64, 3))  # dark throughout: no border taken
    pictures[4, :30] = 0  # more than the share a border may take
    return pictures


def test_measuring_samples_together_gives_each_the_features_it_gets_alone() -> None:
    pictures = _bordered_pictures()
    together = visual_features(pictures)
    assert together.shape == (len(pictures), VISUAL_FEATURES) and together.dtype == np.uint8
    for picture, features in zip(pictures, together, strict=True):
        assert np.array_equal(features, visual_features(picture[np.newaxis])[0])
    # The bars went: the letterboxed sample measures as the picture between them alone.
    inside = pictures[1, 9:-9]
    assert content_box(pictures[1].astype(np.float32) / 255.0) == (9, 55, 0, 64)
    assert np.array_equal(together[1], visual_features(inside[np.newaxis])[0])
    assert content_box(pictures[3].astype(np.float32) / 255.0) == (0, 64, 0, 64)
    assert content_box(pictures[4].astype(np.float32) / 255.0)[0] == int(0.4 * 64)


def test_the_fingerprint_does_not_depend_on_how_many_samples_are_measured_at_once(original: Path, monkeypatch) -> None:
    _, batched = LocalClipEmbedder().embed_clips_and_fingerprint(original)
    monkeypatch.setattr(local_backend, "_MEASURED_TOGETHER", 1)
    _, alone = LocalClipEmbedder().embed_clips_and_fingerprint(original)
    assert len(batched.visual) % 32 != 0  # the last batch is a partial one
    assert np.array_equal(batched.visual, alone.visual)


def _thumbnails(seed: int, times: list[float]) -> list[visual.Thumbnail]:
    rng = np.random.default_rng(seed)
    size = visual.THUMB_SIZE
    return [visual.Thumbnail(time=time, rgb=rng.random((size, size, 3), np.float32)) for time in times]


def test_clips_embedded_together_get_the_vectors_they_get_alone() -> None:
    whole = [0.25, 0.75, 1.25, 1.75]
    clips = [
        (_thumbnails(1, whole), 0.0, 2.0),
        (_thumbnails(2, [time + 2 for time in whole]), 2.0, 4.0),
        (_thumbnails(3, [4.25]), 4.0, 6.0),  # one thumbnail: no motion, one half compared with itself
        (_thumbnails(4, [6.25, 6.75, 7.25]), 6.0, 7.4),  # a short last clip
        (_thumbnails(5, [time + 8 for time in whole]), 8.0, 10.0),
    ]
    together = visual.visual_vectors(clips)
    assert together.shape == (len(clips), VISUAL_DIM) and together.dtype == np.float32
    alone = np.stack([visual.visual_vector(samples, start=start, end=end) for samples, start, end in clips])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    # Each clip's vector is its own: another clip in the batch changing moves no other.
    changed = visual.visual_vectors([clips[0], (_thumbnails(9, [time + 2 for time in whole]), 2.0, 4.0), *clips[2:]])
    np.testing.assert_allclose(np.delete(changed, 1, axis=0), np.delete(together, 1, axis=0), atol=1e-6)
    assert float(changed[1] @ together[1]) < 0.99


def test_the_clips_do_not_depend_on_how_many_are_embedded_at_once(original: Path, monkeypatch) -> None:
    batched = embed(original)  # its cells, fewer than a batch, embedded together at the end
    monkeypatch.setattr(local_backend, "_EMBEDDED_TOGETHER", 1)
    alone = embed(original)  # a cell or two at a time as the decode goes
    np.testing.assert_allclose(
        np.stack([clip.visual for clip in batched]), np.stack([clip.visual for clip in alone]), atol=1e-6
    )


# --- awkward files --------------------------------------------------------------------------------


def _remux_with_offset(src: Path, dst: Path, *, seconds: float) -> Path:
    """`src`'s packets in a Matroska file, every timestamp `seconds` later."""
    with av.open(str(src)) as source, av.open(str(dst), mode="w") as output:
        mapping = {stream.index: output.add_stream_from_template(stream) for stream in source.streams}
        for packet in source.demux():
            if packet.dts is None and packet.pts is None:
                continue
            assert packet.time_base is not None
            shift = round(seconds / packet.time_base)
            packet.pts = None if packet.pts is None else packet.pts + shift
            packet.dts = None if packet.dts is None else packet.dts + shift
            packet.stream = mapping[packet.stream.index]
            output.mux(packet)
    return dst


def test_timestamps_that_do_not_start_at_zero_give_the_same_clips(media: Path, original: Path, embedded) -> None:
    late = _remux_with_offset(original, media / "late.mkv", seconds=5.0)
    with av.open(str(late)) as container:
        assert container.start_time is not None
        assert container.start_time / av.time_base == pytest.approx(5.0, abs=0.05)
    clips = embed(late)
    assert_spans(clips, spans(embedded["original"]), tolerance=0.03)
    assert distances(embedded["original"], clips, "visual").max() < 1e-3  # the same packets
    # Matroska keeps no AAC priming/trim information, so the sound comes out a little different.
    assert distances(embedded["original"], clips, "audio").max() < 0.01


def _write_frames(path: Path, frames: list[np.ndarray], times: list[float], *, codec: str, pix_fmt: str) -> Path:
    """Video only, each RGB frame shown at its time in seconds (millisecond timestamps)."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), mode="w") as output:
        stream = output.add_stream(codec, rate=30)
        assert isinstance(stream, VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        for image, time in zip(frames, times, strict=True):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = round(time * 1000)
            frame.time_base = Fraction(1, 1000)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


def test_variable_frame_rate_samples_the_same_moments(tmp_path: Path) -> None:
    scenes = [Scene(3, "shapes", seed=4), Scene(3, "bars", seed=5)]
    frames = list(scene_frames(scenes, width=320, height=240, fps=30))
    times = [index / 30 for index in range(len(frames))]
    steady = _write_frames(tmp_path / "steady.mkv", frames, times, codec="libx264", pix_fmt="yuv420p")
    # Keep about half the frames, with gaps of up to 5 frame intervals, as a phone does under load.
    keep = np.random.default_rng(3).random(len(frames)) < 0.5
    keep[::5] = True
    kept = [index for index in range(len(frames)) if keep[index]]
    jumpy = _write_frames(
        tmp_path / "jumpy.mkv", [frames[i] for i in kept], [times[i] for i in kept], codec="libx264", pix_fmt="yuv420p"
    )
    steady_clips, jumpy_clips = embed(steady), embed(jumpy)
    assert_spans(jumpy_clips, spans(steady_clips), tolerance=0.05)
    visual = distances(steady_clips, jumpy_clips, "visual")
    show("variable frame rate vs constant", visual=visual)
    assert visual.max() < 0.05


def test_odd_frame_sizes_are_embedded(tmp_path: Path) -> None:
    scenes = [Scene(2, "shapes", seed=4), Scene(2, "gradient", seed=6)]
    even = list(scene_frames(scenes, width=320, height=240, fps=15))
    odd = list(scene_frames(scenes, width=321, height=241, fps=15))
    times = [index / 15 for index in range(len(even))]
    even_clips = embed(_write_frames(tmp_path / "even.webm", even, times, codec="libvpx-vp9", pix_fmt="yuv420p"))
    odd_clips = embed(_write_frames(tmp_path / "odd.webm", odd, times, codec="libvpx-vp9", pix_fmt="yuv420p"))
    assert len(odd_clips) == 2
    visual = distances(even_clips, odd_clips, "visual")
    show("321×241 vs 320×240", visual=visual)
    assert visual.max() < 0.05


def test_a_file_without_video_or_not_a_video_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="no video stream"):
        embed(make_bad_file("audio_only", tmp_path))
    with pytest.raises(EmbeddingError, match="cannot open"):
        embed(make_bad_file("not_a_video", tmp_path))


# --- interface ------------------------------------------------------------------------------------


def test_progress_rises_to_one(original: Path) -> None:
    reported: list[float] = []
    LocalClipEmbedder().embed_clips(original, on_progress=reported.append)
    assert len(reported) >= 3
    assert reported == sorted(reported)
    assert len(set(reported)) == len(reported)
    assert reported[0] > 0
    assert reported[-1] == 1.0
    assert reported.count(1.0) == 1


def test_the_backend_is_chosen_by_the_name_recorded_with_its_data() -> None:
    assert get_backend("local").name == "local"
    assert get_backend().name == "local"
    with pytest.raises(ValueError, match="unknown clip-embedding backend"):
        get_backend("nonesuch")
