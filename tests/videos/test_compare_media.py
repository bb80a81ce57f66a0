"""The comparison engine on real videos through the `local` backend, checked against the known edits
(issue 5's required cases). Every video is made once per module: 24 s, 320×240, six 4-second
scenes with a different tone each, edits from 8 to 12 s. Run with -s for the distances."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sage.synthetic_media import Scene, SceneKind, Tone, ToneAudio, decode_video, edited_copy, make_video, reencode
from sage.synthetic_media.writing import container_for, write_streams
from videos.embeddings import get_backend
from videos.engine.clip_grid import DEFAULT_THRESHOLDS, ClipSeries, ComparisonResult, compare, series_from_rows

SCENES = [
    Scene(4, "shapes", seed=1),
    Scene(4, "bars", seed=2),
    Scene(4, "gradient", seed=3),
    Scene(4, "noise", seed=4),
    Scene(4, "shapes", seed=5),
    Scene(4, "bars", seed=6),
]
TONES = ToneAudio(segments=[Tone(4, freq) for freq in (330, 440, 550, 660, 495, 392)])
EDIT = (8.0, 12.0)  # where the edits are, in seconds of the original
CLIP = 2.0
ALIGNMENTS = ["none", "offset", "cuts"]

Paint = Callable[[np.ndarray], np.ndarray]


def embed(path: Path) -> ClipSeries:
    return series_from_rows(get_backend("local").embed_clips(path))


def painted_copy(src: Path, dst: Path, paint: Paint, *, start: float, end: float) -> Path:
    """`src` with `paint` applied to every frame shown from `start` to `end` seconds (sound kept)."""
    video = decode_video(src)
    fps = float(video.fps)
    frames = [paint(frame.copy()) if start <= index / fps < end else frame for index, frame in enumerate(video.frames)]
    return write_streams(
        dst,
        frames=frames,
        width=video.width,
        height=video.height,
        fps=video.fps,
        container=container_for(dst),
        codec=None,
        crf=None,
        bitrate=None,
        samples=video.samples,
    )


def banner(frame: np.ndarray) -> np.ndarray:
    """A lower-third caption: a blue band over a fifth of the picture with a white line of "text"."""
    height, width = frame.shape[:2]
    frame[int(height * 0.7) : int(height * 0.9), int(width * 0.05) : int(width * 0.95)] = (20, 40, 160)
    frame[int(height * 0.75) : int(height * 0.8), int(width * 0.1) : int(width * 0.6)] = 255
    return frame


def small_logo(frame: np.ndarray) -> np.ndarray:
    """A 40×24 white corner logo: 1.25 % of the picture."""
    frame[8:32, -48:-8] = 255
    return frame


def greyscale(frame: np.ndarray) -> np.ndarray:
    grey = frame.mean(axis=2, keepdims=True).astype(np.uint8)
    return np.repeat(grey, 3, axis=2)


def show(label: str, result: ComparisonResult) -> None:
    print(
        f"\n{label} ({result.alignment}): similarity {result.similarity:.1f} %, segments "
        + str([(s.kind, s.a_start, s.a_end, s.b_start, s.b_end, s.severity) for s in result.segments])
        + f"\n  visual {np.array2string(result.visual, precision=3)}"
        + f"\n  audio  {np.array2string(result.audio, precision=3)}"
    )


def near(value: float | None, truth: float) -> bool:
    """Within one clip of the truth."""
    return value is not None and abs(value - truth) <= CLIP


# --- videos (each made and embedded once) --------------------------------------------------------


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compare")


@pytest.fixture(scope="module")
def original_path(media: Path) -> Path:
    return make_video(media / "original.mp4", scenes=SCENES, audio=TONES)


@pytest.fixture(scope="module")
def original(original_path: Path) -> ClipSeries:
    return embed(original_path)


@pytest.fixture(scope="module")
def reencodes(media: Path, original_path: Path) -> dict[str, ClipSeries]:
    return {
        "x264 160×120 at 30 kbit/s": embed(
            reencode(original_path, media / "small.mp4", width=160, height=120, bitrate=30_000)
        ),
        "VP9 + Opus 640×480 at 60 kbit/s": embed(
            reencode(original_path, media / "large.webm", width=640, height=480, bitrate=60_000)
        ),
    }


@pytest.fixture(scope="module")
def replaced(media: Path, original_path: Path) -> ClipSeries:
    return embed(edited_copy(original_path, media / "replaced.mp4", replace=EDIT))


@pytest.fixture(scope="module")
def with_banner(media: Path, original_path: Path) -> ClipSeries:
    return embed(painted_copy(original_path, media / "banner.mp4", banner, start=EDIT[0], end=EDIT[1]))


@pytest.fixture(scope="module")
def with_small_logo(media: Path, original_path: Path) -> ClipSeries:
    return embed(painted_copy(original_path, media / "logo.mp4", small_logo, start=EDIT[0], end=EDIT[1]))


@pytest.fixture(scope="module")
def in_grey(media: Path, original_path: Path) -> ClipSeries:
    return embed(painted_copy(original_path, media / "grey.mp4", greyscale, start=EDIT[0], end=EDIT[1]))


@pytest.fixture(scope="module")
def new_tone(media: Path, original_path: Path) -> ClipSeries:
    return embed(edited_copy(original_path, media / "tone.mp4", tone=(*EDIT, 880.0)))


@pytest.fixture(scope="module")
def inserted(media: Path, original_path: Path) -> ClipSeries:
    return embed(edited_copy(original_path, media / "inserted.mp4", insert_at=8.0, insert_seconds=6.0))


@pytest.fixture(scope="module")
def late_start(media: Path, original_path: Path) -> ClipSeries:
    """4 s of something else, then the original: B starts later in its own timeline."""
    return embed(edited_copy(original_path, media / "late.mp4", insert_at=0.0, insert_seconds=4.0))


@pytest.fixture(scope="module")
def unrelated(media: Path) -> ClipSeries:
    kinds: list[SceneKind] = ["gradient", "noise", "shapes"] * 2
    scenes = [Scene(4, kind, seed=10 + number) for number, kind in enumerate(kinds)]
    tones = ToneAudio(segments=[Tone(4, freq) for freq in (700, 300, 500, 800, 250, 600)])
    return embed(make_video(media / "unrelated.mp4", scenes=scenes, audio=tones))


# --- the required cases -----------------------------------------------------------------------


@pytest.mark.parametrize("alignment", ALIGNMENTS)
def test_a_reencode_at_another_bitrate_and_resolution_shows_no_differences(original, reencodes, alignment) -> None:
    threshold = DEFAULT_THRESHOLDS["cosine"]
    for label, copy in reencodes.items():
        result = compare(original, copy, alignment=alignment)
        show(label, result)
        assert result.segments == []
        assert result.similarity == 100.0
        # With room to spare: a noisier encoder must not bring the default threshold into play.
        assert np.nanmax(result.visual) < threshold / 4
        assert np.nanmax(result.audio) < threshold / 4


@pytest.mark.parametrize("alignment", ALIGNMENTS)
def test_one_replaced_4_second_stretch_is_one_segment_within_one_clip_of_the_truth(
    original, replaced, alignment
) -> None:
    result = compare(original, replaced, alignment=alignment)
    show("pictures replaced 8–12 s", result)
    [segment] = result.segments
    assert segment.kind == "visual"
    assert near(segment.a_start, EDIT[0]) and near(segment.a_end, EDIT[1])
    assert near(segment.b_start, EDIT[0]) and near(segment.b_end, EDIT[1])
    assert segment.severity == "high"


def test_an_overlay_is_a_visual_difference(original, with_banner) -> None:
    result = compare(original, with_banner, alignment="cuts")
    show("banner 8–12 s", result)
    [segment] = result.segments
    assert segment.kind == "visual"
    assert near(segment.a_start, EDIT[0]) and near(segment.a_end, EDIT[1])


def test_a_colour_change_is_a_visual_difference(original, in_grey) -> None:
    result = compare(original, in_grey, alignment="cuts")
    show("greyscale 8–12 s", result)
    [segment] = result.segments
    assert segment.kind == "visual"
    assert near(segment.a_start, EDIT[0]) and near(segment.a_end, EDIT[1])


@pytest.mark.parametrize("alignment", ALIGNMENTS)
def test_an_audio_only_change_is_an_audio_difference(original, new_tone, alignment) -> None:
    result = compare(original, new_tone, alignment=alignment)
    show("880 Hz 8–12 s", result)
    [segment] = result.segments
    assert segment.kind == "audio"
    assert near(segment.a_start, EDIT[0]) and near(segment.a_end, EDIT[1])


def test_a_6_second_insertion_is_only_in_b_at_the_right_place_with_cuts_and_nothing_after_it(
    original, inserted
) -> None:
    result = compare(original, inserted, alignment="cuts")
    show("6 s inserted at 8 s", result)
    [segment] = result.segments
    assert segment.kind == "only_b"
    assert near(segment.b_start, 8.0) and near(segment.b_end, 14.0)
    assert near(segment.a_start, 8.0) and segment.a_start == segment.a_end
    # Everything after the insertion lines up again: the original's 8–24 s matches B's 14–30 s.
    assert segment.last_pair is not None
    after = np.arange(len(result.visual)) > segment.last_pair
    assert np.nanmax(result.visual[after]) < DEFAULT_THRESHOLDS["cosine"] / 4
    assert result.similarity == pytest.approx(100 * 24 / 30)

    # Without alignment the same pair differs from the insertion to the end.
    unaligned = compare(original, inserted, alignment="none")
    differing = [s for s in unaligned.segments if s.kind in ("visual", "audio", "both")]
    assert sum((s.a_end or 0.0) - (s.a_start or 0.0) for s in differing) >= 14.0


@pytest.mark.parametrize("alignment", ["offset", "cuts"])
def test_a_video_that_starts_later_lines_up_after_its_extra_start(original, late_start, alignment) -> None:
    result = compare(original, late_start, alignment=alignment)
    show("4 s before the original", result)
    [segment] = result.segments
    assert (segment.kind, segment.b_start, segment.a_start) == ("only_b", 0.0, 0.0)
    assert near(segment.b_end, 4.0)


@pytest.mark.parametrize("alignment", ALIGNMENTS)
def test_two_unrelated_videos_have_low_similarity(original, unrelated, alignment) -> None:
    result = compare(original, unrelated, alignment=alignment)
    show("unrelated", result)
    assert result.similarity < 20.0


def test_severity_grows_with_the_size_of_the_change(original, with_small_logo, with_banner, replaced) -> None:
    severities = [compare(original, copy).segments[0].severity for copy in (with_small_logo, with_banner, replaced)]
    assert severities == ["low", "high", "high"]


def test_the_default_threshold_sits_between_re_encoding_and_the_smallest_change(
    original, reencodes, with_small_logo
) -> None:
    threshold = DEFAULT_THRESHOLDS["cosine"]
    worst_reencode = max(float(np.nanmax(compare(original, copy).visual)) for copy in reencodes.values())
    logo = compare(original, with_small_logo)
    show("40×24 logo 8–12 s", logo)
    smallest_change = float(np.nanmax(logo.visual))
    print(f"  worst re-encode {worst_reencode:.4f} < threshold {threshold} < 40×24 logo {smallest_change:.4f}")
    assert worst_reencode * 4 < threshold < smallest_change
