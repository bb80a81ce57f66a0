"""Engine 2 on real files: alignment off the 2 s grid, edits found to a fraction of a second with the
right kind, re-encodes (other size and codec, pillarbox padding) giving nothing, and comparisons
stored, re-judged and upgraded from the clip grid. Videos are made once per module: 27 s, 320×240,
15 fps, six scenes with a tone each; edited versions are cut from the decoded original, so the
truth is exact to a frame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage

from sage.synthetic_media import SAMPLE_RATE, Scene, Tone, ToneAudio, decode_video, make_video, reencode, scene_frames
from sage.synthetic_media.writing import write_streams
from tests.factories import UserFactory, VideoFactory
from tests.shared_media import made_once
from videos.api.comparisons import comparison_payload
from videos.compare import services as compare_services
from videos.compare.files import compare_files
from videos.compare.services import comparison_at, comparison_create
from videos.engine.result import EngineResult
from videos.models import Comparison, Video, VideoFingerprint
from videos.pipeline.steps import embed_and_store_clips
from videos.tasks import verify_comparison

FPS = 15
SCENES = [
    Scene(3, "shapes", 1),
    Scene(4, "bars", 2),
    Scene(5, "gradient", 3),
    Scene(4, "shapes", 4),
    Scene(6, "noise", 5),
    Scene(5, "shapes", 6),
]
TONES = ToneAudio(
    segments=[Tone(s, f) for s, f in ((1.5, 300), (2.5, 500), (3, 700), (2, 0), (4, 900), (3, 400), (5, 600), (3, 350))]
)
Edit = Callable[[list[np.ndarray], np.ndarray], tuple[list[np.ndarray], np.ndarray]]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("refined")


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    """Made once a run for this module and test_compare_recompute's (tests/shared_media.py)."""
    return made_once(
        tmp_path_factory, "refined-a.mp4", (SCENES, TONES, FPS),
        lambda path: make_video(path, scenes=SCENES, audio=TONES, fps=FPS),
    )  # fmt: skip


def frame_at(seconds: float) -> int:
    return round(seconds * FPS)


def sample_at(frame: int) -> int:
    return round(frame / FPS * SAMPLE_RATE)


def inserted(at: float, seconds: float, seed: int) -> Edit:
    """`seconds` of other pictures and a 1234 Hz hum inserted at `at` (a frame boundary)."""

    def edit(frames: list[np.ndarray], samples: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        count, first = frame_at(seconds), frame_at(at)
        extra = list(scene_frames([Scene(count / FPS, "noise", seed)], width=320, height=240, fps=FPS))[:count]
        hum = 0.1 * np.sin(2 * np.pi * 1234 * np.arange(sample_at(count)) / SAMPLE_RATE)
        at_sample = sample_at(first)
        return (
            frames[:first] + extra + frames[first:],
            np.concatenate([samples[:at_sample], hum.astype(np.float32), samples[at_sample:]]),
        )

    return edit


def removed(at: float, seconds: float) -> Edit:
    def edit(frames: list[np.ndarray], samples: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        first, last = frame_at(at), frame_at(at + seconds)
        return frames[:first] + frames[last:], np.concatenate([samples[: sample_at(first)], samples[sample_at(last) :]])

    return edit


def painted(start: float, end: float, paint: Callable[[np.ndarray], np.ndarray]) -> Edit:
    def edit(frames: list[np.ndarray], samples: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        first, last = frame_at(start), frame_at(end)
        return [paint(f.copy()) if first <= i < last else f for i, f in enumerate(frames)], samples

    return edit


def muted(start: float, end: float) -> Edit:
    def edit(frames: list[np.ndarray], samples: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        quiet = samples.copy()
        quiet[sample_at(frame_at(start)) : sample_at(frame_at(end))] = 0
        return frames, quiet

    return edit


def edited(original: Path, target: Path, *edits: Edit) -> Path:
    if target.exists():
        return target
    decoded = decode_video(original)
    frames, samples = list(decoded.frames), decoded.samples
    assert samples is not None
    for edit in edits:
        frames, samples = edit(frames, samples)
    return write_streams(
        target, frames=frames, width=320, height=240, fps=FPS, container="mp4", codec=None, crf=None,
        bitrate=None, samples=samples,
    )  # fmt: skip


def spans_near(start: float | None, end: float | None, expected: tuple[float, float], tolerance: float) -> bool:
    """Whether a segment's start and end are each within `tolerance` seconds of `expected`."""
    return (
        start is not None
        and end is not None
        and abs(start - expected[0]) <= tolerance
        and abs(end - expected[1]) <= tolerance
    )


def kinds(result: EngineResult) -> list[str]:
    return [segment.kind for segment in result.segments]


def test_an_off_grid_lead_in_is_found_to_a_tenth_of_a_second_and_nothing_else_differs(original, folder) -> None:
    lead = edited(original, folder / "lead.mp4", inserted(0.0, 3.4, seed=9))

    result = compare_files(original, lead)

    assert result.offset == pytest.approx(3.4, abs=0.1)
    assert kinds(result) == ["only_b"]
    only_b = result.segments[0]
    assert spans_near(only_b.b_start, only_b.b_end, (0.0, 3.4), 0.1)
    assert result.similarity > 85


def test_an_insertion_off_the_grid_is_only_in_b_at_the_right_place(original, folder) -> None:
    copy = edited(original, folder / "inserted.mp4", inserted(7.0, 3.73, seed=8))

    result = compare_files(original, copy)

    assert kinds(result) == ["only_b"]
    segment = result.segments[0]
    assert segment.a_start == pytest.approx(7.0, abs=0.25)
    assert spans_near(segment.b_start, segment.b_end, (7.0, 7.0 + 3.73), 0.25)
    # Both sides of the edit are matched with their own offsets.
    assert [round(span.offset, 1) for span in result.spans] == [0.0, 3.7]


def test_a_removal_off_the_grid_is_only_in_a(original, folder) -> None:
    copy = edited(original, folder / "removed.mp4", removed(3.4, 4.2))

    result = compare_files(original, copy)

    only_a = [segment for segment in result.segments if segment.kind == "only_a"]
    assert len(only_a) == 1
    assert spans_near(only_a[0].a_start, only_a[0].a_end, (3.4, 7.6), 0.25)
    assert [s for s in result.segments if s.kind not in ("only_a",) and (s.severity or "") != "low"] == []


def test_a_re_encode_at_another_size_and_codec_with_pillarbox_bars_differs_nowhere(original, folder) -> None:
    pillarboxed = folder / "pillarbox.webm"
    if not pillarboxed.exists():
        decoded = decode_video(original)
        # The 4:3 picture at 360 px high inside a 640×360 frame: black bars left and right.
        frames = [np.pad(frame, ((60, 60), (80, 80), (0, 0))) for frame in decoded.frames]
        write_streams(
            pillarboxed, frames=frames, width=640, height=360, fps=decoded.fps, container="webm", codec=None,
            crf=None, bitrate=None, samples=decoded.samples,
        )  # fmt: skip
    smaller = reencode(original, folder / "small.mp4", width=192, height=144, crf=35)

    smaller_result = compare_files(original, smaller)
    assert smaller_result.segments == []
    assert smaller_result.offset == pytest.approx(0.0, abs=0.05)
    # VP9 through a stretched pillarbox frame, the block-noise scene included.
    pillarbox_result = compare_files(original, pillarboxed)
    assert pillarbox_result.segments == []
    assert pillarbox_result.offset == pytest.approx(0.0, abs=0.05)


def banner(frame: np.ndarray) -> np.ndarray:
    frame[150:200, 20:300] = (20, 40, 160)
    return frame


def test_a_banner_and_a_muted_stretch_are_found_with_their_kind_and_range(original, folder) -> None:
    copy = edited(original, folder / "banner.mp4", painted(4.4, 9.1, banner), muted(17.3, 20.6))

    result = compare_files(original, copy)

    assert kinds(result) == ["visual", "audio"]
    picture, sound = result.segments
    assert spans_near(picture.a_start, picture.a_end, (4.4, 9.1), 0.25)
    assert spans_near(sound.a_start, sound.a_end, (17.3, 20.6), 0.25)
    # A muted soundtrack is never a small change; the scale does not move with the threshold.
    assert sound.severity == "high"
    assert result.with_threshold(0.05).segments[1].severity == "high"
    assert result.with_threshold(1.0).segments == []


# --- stored comparisons --------------------------------------------------------------------------


def processed(owner, path: Path, title: str) -> Video:
    """A ready upload of `path` with clips and fingerprint, as the pipeline leaves it."""
    key = default_storage.save(f"videos/{title}/original{path.suffix}", path.open("rb"))
    video = VideoFactory(
        owner=owner, title=title, status=Video.Status.READY, storage_key=key, duration=decode_seconds(path)
    )
    embed_and_store_clips(video, Path(default_storage.path(key)))
    video.refresh_from_db()
    return video


def decode_seconds(path: Path) -> float:
    return decode_video(path).seconds


@pytest.mark.django_db
def test_a_stored_comparison_keeps_the_offset_and_spans_and_is_rejudged_without_decoding(original, folder) -> None:
    owner = UserFactory()
    copy = edited(original, folder / "inserted.mp4", inserted(7.0, 3.73, seed=8))
    video_a, video_b = processed(owner, original, "a"), processed(owner, copy, "b")
    assert VideoFingerprint.objects.filter(video__in=[video_a, video_b]).count() == 2

    comparison, created = comparison_create(user=owner, video_a=video_a, video_b=video_b)

    assert created and comparison.engine == 3
    assert comparison.offset == pytest.approx(0.0, abs=0.05)
    assert [round(span[2] - span[0], 1) for span in comparison.matched_spans] == [0.0, 3.7]
    assert [segment["kind"] for segment in comparison.segments] == ["only_b"]
    # Judging at another threshold reads what the row keeps: the files may be gone.
    default_storage.delete(video_b.storage_key)
    assert [segment.kind for segment in comparison_at(comparison, 0.5).segments] == ["only_b"]


@pytest.mark.django_db
def test_a_comparison_of_a_video_without_fingerprint_is_made_by_a_task(
    original, folder, django_capture_on_commit_callbacks
) -> None:
    owner = UserFactory()
    lead = edited(original, folder / "lead.mp4", inserted(0.0, 3.4, seed=9))
    video_a, video_b = processed(owner, original, "a"), processed(owner, lead, "b")
    VideoFingerprint.objects.filter(video=video_b).delete()  # processed before fingerprints existed

    with django_capture_on_commit_callbacks(execute=False) as queued:
        comparison, _ = comparison_create(user=owner, video_a=video_a, video_b=video_b)
    # Answered at once, unmade: fingerprinting B decodes it, which the task does.
    assert (comparison.engine, comparison_payload(comparison)["recomputing"]) == (0, True)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()  # the recomputation task (Celery runs eagerly in tests)

    comparison = Comparison.objects.get(pk=comparison.pk)
    assert comparison.engine == 3
    assert comparison.offset == pytest.approx(3.4, abs=0.1)
    assert [segment["kind"] for segment in comparison.segments] == ["only_b"]
    assert VideoFingerprint.objects.filter(video=video_b).exists()


@pytest.mark.django_db
def test_a_large_comparison_is_shown_on_first_estimates_then_verified_by_a_worker(
    original, folder, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    owner = UserFactory()
    copy = edited(original, folder / "banner.mp4", painted(4.4, 9.1, banner), muted(17.3, 20.6))
    video_a, video_b = processed(owner, original, "a"), processed(owner, copy, "b")
    # Anything to verify counts as too much to do while the comparison is made.
    monkeypatch.setattr(compare_services, "INLINE_VERIFY_SECONDS", 0.0)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        comparison, created = comparison_create(user=owner, video_a=video_a, video_b=video_b)
    assert created and comparison.engine == 3
    stored = Comparison.objects.get(pk=comparison.pk)
    assert stored.verified is False
    assert comparison_payload(stored)["verified"] is False  # what the API and the page say
    assert stored.segments  # the fingerprints' estimate is shown meanwhile

    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()  # the verification task (Celery runs eagerly in tests)

    checked = Comparison.objects.get(pk=comparison.pk)
    assert checked.verified is True
    assert comparison_payload(checked)["verified"] is True
    picture, sound = (segment for segment in checked.segments)
    assert (picture["kind"], sound["kind"]) == ("visual", "audio")
    assert spans_near(picture["a_start"], picture["a_end"], (4.4, 9.1), 0.25)
    assert spans_near(sound["a_start"], sound["a_end"], (17.3, 20.6), 0.25)
    assert sound["severity"] == "high"
    # Done once: a verified row is left as it is.
    assert verify_comparison(comparison.pk) is False


@pytest.mark.django_db
def test_videos_stored_on_s3_are_verified_in_place_without_downloading_them(original, folder, s3_reads) -> None:
    owner = UserFactory()
    copy = edited(original, folder / "banner.mp4", painted(4.4, 9.1, banner), muted(17.3, 20.6))
    video_a, video_b = (on_s3(owner, path, title) for path, title in ((original, "a"), (copy, "b")))

    comparison, created = comparison_create(user=owner, video_a=video_a, video_b=video_b)

    assert created and comparison.engine == 3 and comparison.verified
    picture, sound = comparison.segments
    assert (picture["kind"], sound["kind"]) == ("visual", "audio")
    assert spans_near(picture["a_start"], picture["a_end"], (4.4, 9.1), 0.25)
    assert spans_near(sound["a_start"], sound["a_end"], (17.3, 20.6), 0.25)
    assert sound["severity"] == "high"
    # FFmpeg read both objects from S3 itself, in byte ranges; nothing was copied through Django.
    assert s3_reads == []


def on_s3(owner, path: Path, title: str) -> Video:
    """A ready video whose file is on S3, fingerprinted from the local file it was made from."""
    key = default_storage.save(f"videos/{title}/original{path.suffix}", path.open("rb"))
    video = VideoFactory(
        owner=owner, title=title, status=Video.Status.READY, storage_key=key, duration=decode_seconds(path)
    )
    embed_and_store_clips(video, path)
    video.refresh_from_db()
    return video
