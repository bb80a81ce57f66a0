"""The comparison engine (videos.compare) on synthetic clip vectors with known edits.

Clips are random unit vectors: two different clips are ~1 apart in cosine distance, a "re-encoded"
clip (the same vector plus a little noise) ~1e-4 from its original."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from videos.embeddings.base import ClipEmbedding
from videos.engine.clip_grid import (
    DEFAULT_THRESHOLDS,
    AlignedPair,
    ClipSeries,
    align,
    best_lag,
    compare,
    derive_segments,
    distance_curve,
    pair_distances,
    pair_indexes,
    pairs_from_indexes,
    series_from_rows,
    severity_for,
    similarity,
)

COSINE = DEFAULT_THRESHOLDS["cosine"]
VISUAL_DIMS, AUDIO_DIMS = 32, 16


def unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def random_clips(count: int, dims: int, seed: int) -> np.ndarray:
    return unit(np.random.default_rng(seed).normal(size=(count, dims)))


def reencoded(vectors: np.ndarray, seed: int = 99, noise: float = 0.01) -> np.ndarray:
    return unit(vectors + noise * np.random.default_rng(seed).normal(size=vectors.shape))


def series(visual: np.ndarray, audio: np.ndarray | None = None, *, last_seconds: float = 2.0) -> ClipSeries:
    """2-second clips from 0 s; the last one `last_seconds` long."""
    count = len(visual)
    starts = np.arange(count) * 2.0
    ends = starts + 2.0
    if count:
        ends[-1] = starts[-1] + last_seconds
    return ClipSeries(starts, ends, visual, audio)


def pairs_of(*spec: tuple[int | None, int | None]) -> list[AlignedPair]:
    return [AlignedPair(a, b) for a, b in spec]


def diagonal(count: int) -> list[AlignedPair]:
    return [AlignedPair(index, index) for index in range(count)]


def summary(segments) -> list[tuple]:
    return [(s.kind, s.a_start, s.a_end, s.b_start, s.b_end) for s in segments]


@pytest.fixture
def story() -> tuple[np.ndarray, np.ndarray]:
    """30 clips (a minute) of visual and audio vectors."""
    return random_clips(30, VISUAL_DIMS, 1), random_clips(30, AUDIO_DIMS, 2)


# --- clip series --------------------------------------------------------------------------------


@dataclass
class Row:
    """A clip row as the database gives it back: vectors may be lists."""

    start: float
    end: float
    visual: Any
    audio: Any


def test_series_from_rows_reads_clips_in_order_from_the_backend_or_the_database() -> None:
    from_backend = [
        ClipEmbedding(index=0, start=0.0, end=2.0, visual=np.array([1, 0, 0], np.float32), audio=np.array([0, 1.0])),
        ClipEmbedding(index=1, start=2.0, end=3.2, visual=np.array([0, 1, 0], np.float32), audio=np.array([1, 0.0])),
    ]
    from_database = [Row(0.0, 2.0, [1.0, 0.0, 0.0], [0.0, 1.0]), Row(2.0, 3.2, [0.0, 1.0, 0.0], [1.0, 0.0])]
    clips = series_from_rows(from_backend)
    assert series_from_rows(from_database).visual.tolist() == clips.visual.tolist()
    assert len(clips) == 2
    assert clips.starts.tolist() == [0.0, 2.0]
    assert clips.durations.tolist() == pytest.approx([2.0, 1.2])
    assert clips.visual.shape == (2, 3) and clips.visual.dtype == np.float32
    assert clips.audio is not None and clips.audio.shape == (2, 2)


def test_a_video_whose_clips_lack_sound_has_no_audio_and_no_clips_is_an_empty_series() -> None:
    rows = [ClipEmbedding(index=0, start=0.0, end=2.0, visual=np.ones(3, np.float32), audio=None)]
    assert series_from_rows(rows).audio is None
    empty = series_from_rows([])
    assert len(empty) == 0 and empty.audio is None


def test_a_series_with_mismatched_arrays_is_refused() -> None:
    with pytest.raises(ValueError, match="clip series"):
        ClipSeries(np.zeros(3), np.zeros(2), np.zeros((3, 4)), None)
    with pytest.raises(ValueError, match="audio"):
        ClipSeries(np.zeros(3), np.ones(3), np.zeros((3, 4)), np.zeros((2, 4)))


def test_pairs_round_trip_through_index_arrays() -> None:
    pairs = pairs_of((0, 0), (None, 1), (1, 2), (2, None))
    a_indexes, b_indexes = pair_indexes(pairs)
    assert a_indexes.tolist() == [0, -1, 1, 2]
    assert b_indexes.tolist() == [0, 1, 2, -1]
    assert pairs_from_indexes(a_indexes, b_indexes) == pairs


# --- distances ------------------------------------------------------------------------------------


def test_distances_per_pair_for_both_metrics() -> None:
    x, y = [1.0, 0.0], [0.0, 1.0]
    a = series(np.array([x, x, x], np.float32), np.array([x, x, x], np.float32))
    b = series(np.array([x, y, [-1.0, 0.0]], np.float32), np.array([y, x, x], np.float32))
    visual, audio = pair_distances(a, b, diagonal(3), metric="cosine")
    assert visual.tolist() == pytest.approx([0.0, 1.0, 2.0])
    assert audio.tolist() == pytest.approx([1.0, 0.0, 0.0])
    visual, audio = pair_distances(a, b, diagonal(3), metric="euclidean")
    assert visual.tolist() == pytest.approx([0.0, math.sqrt(2), 2.0])
    assert audio.tolist() == pytest.approx([math.sqrt(2), 0.0, 0.0])


def test_cosine_distance_ignores_vector_length() -> None:
    vectors = random_clips(4, VISUAL_DIMS, 5)
    visual, _ = pair_distances(series(vectors), series(vectors * 3.5), diagonal(4), metric="cosine")
    assert visual.max() < 1e-6


def test_distances_are_one_float_per_pair_and_nan_where_a_side_or_its_sound_is_missing(story) -> None:
    visual_a, audio_a = story
    with_sound, mute = series(visual_a[:3], audio_a[:3]), series(visual_a[:4])
    pairs = pairs_of((None, 0), (0, 1), (1, 2), (2, None), (None, 3))
    visual, audio = pair_distances(with_sound, mute, pairs, metric="cosine")
    assert visual.shape == audio.shape == (5,)
    assert visual.dtype == np.float64
    assert np.isnan(visual[[0, 3, 4]]).all() and np.isfinite(visual[[1, 2]]).all()
    assert np.isnan(audio).all()
    both = pair_distances(with_sound, series(visual_a[:4], audio_a[:4]), pairs, metric="cosine")[1]
    assert np.isnan(both[[0, 3, 4]]).all() and np.isfinite(both[[1, 2]]).all()


def test_vectors_of_different_sizes_are_not_compared() -> None:
    with pytest.raises(ValueError, match="different sizes"):
        pair_distances(series(random_clips(2, 8, 1)), series(random_clips(2, 16, 1)), diagonal(2), metric="cosine")
    with pytest.raises(ValueError, match="unknown metric"):
        pair_distances(
            series(random_clips(2, 8, 1)),
            series(random_clips(2, 8, 1)),
            diagonal(2),
            metric="manhattan",  # type: ignore[arg-type]
        )


# --- segments ---------------------------------------------------------------------------------------


def run(visual: list[float], audio: list[float] | None = None, *, threshold: float = 0.1):
    """Segments of len(visual) matched 2-second clips with these distances."""
    count = len(visual)
    clips = series(random_clips(count, 4, 0))
    audio_d = np.array(audio if audio is not None else [math.nan] * count)
    return derive_segments(clips, clips, diagonal(count), np.array(visual), audio_d, threshold=threshold)


def test_adjacent_differing_pairs_merge_into_one_segment_with_peak_and_mean() -> None:
    segments = run([0.0, 0.2, 0.4, 0.3, 0.0, 0.0, 0.5, 0.0])
    assert summary(segments) == [("visual", 2.0, 8.0, 2.0, 8.0), ("visual", 12.0, 14.0, 12.0, 14.0)]
    first = segments[0]
    assert first.peak == pytest.approx(0.4)
    assert first.mean == pytest.approx(0.3)
    assert (first.first_pair, first.last_pair) == (1, 3)


def test_a_pair_differs_only_when_a_distance_passes_the_threshold() -> None:
    assert run([0.1, 0.1000001], threshold=0.1)[0].first_pair == 1
    assert run([0.1, 0.1], threshold=0.1) == []


def test_kind_says_which_distance_passed_anywhere_in_the_segment() -> None:
    visual = [0.0, 0.5, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.5, 0.0]
    audio = [0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.5, 0.0, 0.5, 0.0]
    assert [segment.kind for segment in run(visual, audio)] == ["visual", "audio", "both", "both"]


def test_severity_grows_with_the_peak_relative_to_the_threshold() -> None:
    segments = run([0.15, 0.0, 0.3, 0.0, 0.45, 0.0], threshold=0.1)
    assert [segment.severity for segment in segments] == ["low", "medium", "high"]
    assert [severity_for(peak, 0.1) for peak in (0.1999, 0.2, 0.3999, 0.4)] == ["low", "medium", "medium", "high"]
    # Euclidean distances grade like the cosine distances of the same unit vectors.
    euclidean = DEFAULT_THRESHOLDS["euclidean"]
    for cosine_peak in (0.07, 0.15, 0.5):
        assert severity_for(math.sqrt(2 * cosine_peak), euclidean, "euclidean") == severity_for(cosine_peak, COSINE)


def test_changing_the_threshold_re_derives_segments_from_the_stored_distances(story) -> None:
    visual_a, audio_a = story
    visual_b = visual_a.copy()
    visual_b[5:9] = unit(visual_a[5:9] + 0.35 * random_clips(4, VISUAL_DIMS, 7))  # a mild change
    visual_b[20:23] = random_clips(3, VISUAL_DIMS, 8)  # a strong one
    a, b = series(visual_a, audio_a), series(visual_b, reencoded(audio_a))
    result = compare(a, b, threshold=COSINE)
    assert summary(result.segments) == [("visual", 10.0, 18.0, 10.0, 18.0), ("visual", 40.0, 46.0, 40.0, 46.0)]
    assert result.similarity == pytest.approx(100 * 23 / 30)

    stricter = result.with_threshold(0.3)
    assert summary(stricter.segments) == [("visual", 40.0, 46.0, 40.0, 46.0)]
    assert stricter.similarity == pytest.approx(100 * 27 / 30)
    assert stricter.visual is result.visual  # nothing was measured again
    assert summary(stricter.segments) == summary(compare(a, b, threshold=0.3).segments)
    assert result.with_threshold(COSINE).segments == result.segments


def test_similarity_is_the_share_of_aligned_time_that_does_not_differ() -> None:
    # Six pairs: 2 s each except the last (1 s); pair 1 differs, pair 4 has no clip in B.
    clips = series(random_clips(6, 4, 0), last_seconds=1.0)
    other = series(random_clips(5, 4, 0), last_seconds=1.0)
    pairs = pairs_of((0, 0), (1, 1), (2, 2), (3, 3), (4, None), (5, 4))
    visual = np.array([0.0, 0.9, 0.0, 0.0, math.nan, 0.0])
    audio = np.full(6, math.nan)
    # The last pair weighs (1 + 1)/2 = 1 s; the only-in-A pair its 2 s: 7 of 11 seconds match.
    assert similarity(clips, other, pairs, visual, audio, threshold=0.1) == pytest.approx(100 * 7 / 11)


def test_the_distance_curve_gives_time_and_distances_per_pair_ready_for_json(story) -> None:
    visual_a, audio_a = story
    a, b = series(visual_a[:3], audio_a[:3]), series(visual_a[:2], audio_a[:2])
    pairs = align(a, b, "none", metric="cosine")
    visual, audio = pair_distances(a, b, pairs, metric="cosine")
    curve = distance_curve(a, b, pairs, visual, audio)
    assert curve.a_time.tolist() == [0.0, 2.0, 4.0]
    columns = curve.as_lists()
    assert columns["b_time"] == [0.0, 2.0, None]
    assert columns["visual"][:2] == [0.0, 0.0] and columns["visual"][2] is None
    assert columns["audio"][2] is None


def test_counts_by_kind_and_severity(story) -> None:
    visual_a, audio_a = story
    visual_b, audio_b = visual_a.copy(), audio_a.copy()
    visual_b[3] = random_clips(1, VISUAL_DIMS, 30)[0]
    audio_b[10] = random_clips(1, AUDIO_DIMS, 31)[0]
    result = compare(series(visual_a, audio_a), series(visual_b[:28], audio_b[:28]))
    assert result.counts() == {"visual": 1, "audio": 1, "only_a": 1, "high": 2}


# --- alignment: none ------------------------------------------------------------------------------


def test_without_alignment_the_longer_videos_tail_is_only_in_it(story) -> None:
    visual_a, audio_a = story
    a, b = series(visual_a[:10], audio_a[:10]), series(reencoded(visual_a[:13]), audio_a[:13])
    result = compare(a, b, alignment="none")
    assert summary(result.segments) == [("only_b", 20.0, 20.0, 20.0, 26.0)]
    assert result.segments[0].severity is None and result.segments[0].peak is None
    assert summary(compare(b, a, alignment="none").segments) == [("only_a", 20.0, 26.0, 20.0, 20.0)]


def test_without_alignment_an_insertion_makes_everything_after_it_differ(story) -> None:
    visual_a, audio_a = story
    visual_b = np.concatenate([visual_a[:10], random_clips(3, VISUAL_DIMS, 50), visual_a[10:]])
    audio_b = np.concatenate([audio_a[:10], random_clips(3, AUDIO_DIMS, 51), audio_a[10:]])
    result = compare(series(visual_a, audio_a), series(visual_b, audio_b), alignment="none")
    assert summary(result.segments) == [("both", 20.0, 60.0, 20.0, 60.0), ("only_b", 60.0, 60.0, 60.0, 66.0)]


# --- alignment: offset ----------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_offset_finds_that_one_video_starts_later(story, metric) -> None:
    visual_a, audio_a = story
    intro_visual, intro_audio = random_clips(4, VISUAL_DIMS, 60), random_clips(4, AUDIO_DIMS, 61)
    a = series(visual_a, audio_a)
    b = series(reencoded(np.concatenate([intro_visual, visual_a])), np.concatenate([intro_audio, audio_a]))
    assert best_lag(a, b, metric=metric) == 4
    assert best_lag(b, a, metric=metric) == -4
    result = compare(a, b, metric=metric, alignment="offset")
    assert summary(result.segments) == [("only_b", 0.0, 0.0, 0.0, 8.0)]
    assert result.similarity == pytest.approx(100 * 30 / 34)
    assert summary(compare(b, a, metric=metric, alignment="offset").segments) == [("only_a", 0.0, 8.0, 0.0, 0.0)]


def test_offset_with_both_ends_trimmed_reports_both_tails(story) -> None:
    visual_a, _ = story
    a, b = series(visual_a), series(reencoded(visual_a[3:25]))  # B: A's 6–50 s
    result = compare(a, b, alignment="offset")
    assert summary(result.segments) == [("only_a", 0.0, 6.0, 0.0, 0.0), ("only_a", 50.0, 60.0, 44.0, 44.0)]


def test_offset_prefers_no_shift_when_every_shift_matches_as_well() -> None:
    still = np.repeat(random_clips(1, VISUAL_DIMS, 3), 12, axis=0)
    assert best_lag(series(still), series(reencoded(still)), metric="cosine") == 0


def test_offset_needs_the_videos_to_overlap_by_half_the_shorter_one() -> None:
    # B's last clip equals A's first: a perfect match over one clip only, which must not win.
    visual_a = random_clips(10, VISUAL_DIMS, 4)
    visual_b = random_clips(10, VISUAL_DIMS, 5)
    visual_b[9] = visual_a[0]
    assert abs(best_lag(series(visual_a), series(visual_b), metric="cosine")) <= 5


# --- alignment: cuts ------------------------------------------------------------------------------


def test_cuts_reports_an_insertion_as_only_in_b_and_lines_up_after_it(story) -> None:
    visual_a, audio_a = story
    visual_b = reencoded(np.concatenate([visual_a[:10], random_clips(3, VISUAL_DIMS, 50), visual_a[10:]]))
    audio_b = np.concatenate([audio_a[:10], random_clips(3, AUDIO_DIMS, 51), audio_a[10:]])
    result = compare(series(visual_a, audio_a), series(visual_b, audio_b), alignment="cuts")
    assert summary(result.segments) == [("only_b", 20.0, 20.0, 20.0, 26.0)]
    assert result.pairs[9:14] == pairs_of((9, 9), (None, 10), (None, 11), (None, 12), (10, 13))


def test_cuts_reports_a_removal_as_only_in_a(story) -> None:
    visual_a, audio_a = story
    a = series(visual_a, audio_a)
    b = series(reencoded(np.delete(visual_a, range(12, 17), axis=0)), np.delete(audio_a, range(12, 17), axis=0))
    result = compare(a, b, alignment="cuts")
    assert summary(result.segments) == [("only_a", 24.0, 34.0, 24.0, 24.0)]


def test_cuts_keeps_a_replaced_stretch_matched_and_says_what_changed(story) -> None:
    visual_a, audio_a = story
    visual_b = visual_a.copy()
    visual_b[8:12] = random_clips(4, VISUAL_DIMS, 70)
    result = compare(series(visual_a, audio_a), series(visual_b, audio_a), alignment="cuts")
    assert summary(result.segments) == [("visual", 16.0, 24.0, 16.0, 24.0)]


def test_cuts_keeps_a_short_stretch_between_a_removal_and_an_insertion_matched(story) -> None:
    """7 clips removed, 4 kept, 3 inserted: not 4 mismatched clips and a smaller gap (the affine
    gap cost makes one run of each cheaper than shifting the kept clips)."""
    visual_a, _ = story
    visual_b = reencoded(
        np.concatenate([visual_a[:15], visual_a[22:26], random_clips(3, VISUAL_DIMS, 80), visual_a[26:]])
    )
    result = compare(series(visual_a), series(visual_b), alignment="cuts")
    assert summary(result.segments) == [("only_a", 30.0, 44.0, 30.0, 30.0), ("only_b", 52.0, 52.0, 38.0, 44.0)]


def test_cuts_handles_an_insertion_a_removal_and_a_change_in_one_video() -> None:
    visual_a = random_clips(120, VISUAL_DIMS, 9)
    changed = random_clips(2, VISUAL_DIMS, 11)
    visual_b = reencoded(
        np.concatenate(
            [visual_a[:20], random_clips(5, VISUAL_DIMS, 10), visual_a[20:60], changed, visual_a[62:90], visual_a[97:]]
        )
    )
    result = compare(series(visual_a), series(visual_b), alignment="cuts")
    assert summary(result.segments) == [
        ("only_b", 40.0, 40.0, 40.0, 50.0),
        ("visual", 120.0, 124.0, 130.0, 134.0),
        ("only_a", 180.0, 194.0, 190.0, 190.0),
    ]


def test_cuts_reports_tails_present_in_one_video(story) -> None:
    visual_a, _ = story
    b = series(reencoded(visual_a[4:]))  # B lacks A's first 8 s
    assert summary(compare(series(visual_a), b, alignment="cuts").segments) == [("only_a", 0.0, 8.0, 0.0, 0.0)]
    b = series(reencoded(np.concatenate([visual_a, random_clips(3, VISUAL_DIMS, 12)])))
    assert summary(compare(series(visual_a), b, alignment="cuts").segments) == [("only_b", 60.0, 60.0, 60.0, 66.0)]


@pytest.mark.parametrize("seed", range(6))
def test_cuts_recovers_random_edits_exactly(seed: int) -> None:
    """A's clips, some runs removed and some unrelated runs inserted, re-encoded: every kept clip of A
    is matched with its own copy and every other clip is reported as only in one video."""
    rng = np.random.default_rng(seed)
    visual_a = random_clips(200, VISUAL_DIMS, 100 + seed)
    pieces, truth = [], []
    position, b_count = 0, 0
    while position < 200:
        keep = int(rng.integers(10, 40))
        kept = range(position, min(200, position + keep))
        pieces.append(visual_a[kept.start : kept.stop])
        truth += [(index, b_count + offset) for offset, index in enumerate(kept)]
        b_count += len(kept)
        position = kept.stop
        if rng.random() < 0.5:
            inserted = int(rng.integers(1, 8))
            pieces.append(random_clips(inserted, VISUAL_DIMS, 1000 + position))
            b_count += inserted
        else:
            position += int(rng.integers(1, 8))
    b = series(reencoded(np.concatenate(pieces)))
    pairs = align(series(visual_a), b, "cuts", metric="cosine")
    a_indexes, b_indexes = pair_indexes(pairs)
    assert sorted(a_indexes[a_indexes >= 0].tolist()) == list(range(200))
    assert sorted(b_indexes[b_indexes >= 0].tolist()) == list(range(len(b)))
    assert [(pair.a, pair.b) for pair in pairs if pair.a is not None and pair.b is not None] == truth


def test_cuts_on_identical_videos_is_the_diagonal(story) -> None:
    visual_a, audio_a = story
    pairs = align(series(visual_a, audio_a), series(reencoded(visual_a), audio_a), "cuts", metric="euclidean")
    assert pairs == diagonal(30)


def test_cuts_aligns_two_3_hour_videos_in_about_a_second_at_most() -> None:
    """5,400 clips each. The bound is twice the goal, for a machine busy with other work;
    bench/compare.py measures the real figure (≈ 0.3 s)."""
    visual_a = random_clips(5400, 256, 20)
    audio_a = random_clips(5400, 64, 21)
    visual_b = reencoded(
        np.concatenate([visual_a[:2000], random_clips(30, 256, 22), visual_a[2000:4000], visual_a[4020:]])
    )
    audio_b = np.concatenate([audio_a[:2000], random_clips(30, 64, 23), audio_a[2000:4000], audio_a[4020:]])
    a, b = series(visual_a, audio_a), series(visual_b, audio_b)
    align(a, b, "cuts", metric="cosine")  # warm-up (first BLAS call starts its threads)
    started = time.perf_counter()
    result = compare(a, b, alignment="cuts")
    elapsed = time.perf_counter() - started
    assert summary(result.segments) == [
        ("only_b", 4000.0, 4000.0, 4000.0, 4060.0),
        ("only_a", 8000.0, 8040.0, 8060.0, 8060.0),
    ]
    assert elapsed < 2.0


# --- metrics and edge cases ----------------------------------------------------------------------


def test_default_thresholds_call_the_same_pairs_under_both_metrics(story) -> None:
    visual_a, audio_a = story
    rng = np.random.default_rng(5)
    # Changes of every strength, from re-encode noise to unrelated content.
    visual_b = unit(visual_a + rng.uniform(0.0, 1.2, size=(30, 1)) * rng.normal(size=visual_a.shape) / 5)
    a, b = series(visual_a, audio_a), series(visual_b, reencoded(audio_a))
    by_cosine = compare(a, b, metric="cosine")
    by_euclidean = compare(a, b, metric="euclidean")
    assert len(by_cosine.segments) > 0
    assert summary(by_cosine.segments) == summary(by_euclidean.segments)
    assert [s.severity for s in by_cosine.segments] == [s.severity for s in by_euclidean.segments]
    assert by_cosine.similarity == pytest.approx(by_euclidean.similarity)


@pytest.mark.parametrize("mode", ["none", "offset", "cuts"])
def test_two_empty_videos_are_the_same_and_one_empty_is_all_different(mode, story) -> None:
    visual_a, _ = story
    empty = series(np.zeros((0, VISUAL_DIMS), np.float32))
    nothing = compare(empty, empty, alignment=mode)
    assert nothing.pairs == [] and nothing.segments == [] and nothing.similarity == 100.0
    result = compare(empty, series(visual_a[:3]), alignment=mode)
    assert [(s.kind, s.b_start, s.b_end, s.a_start) for s in result.segments] == [("only_b", 0.0, 6.0, None)]
    assert result.similarity == 0.0


@pytest.mark.parametrize("mode", ["none", "offset", "cuts"])
def test_one_clip_against_one_clip(mode, story) -> None:
    visual_a, audio_a = story
    one = series(visual_a[:1], audio_a[:1], last_seconds=1.3)
    assert compare(one, series(reencoded(visual_a[:1]), audio_a[:1]), alignment=mode).segments == []
    other = compare(one, series(visual_a[1:2], audio_a[1:2]), alignment=mode)
    assert other.similarity == 0.0
    assert {segment.kind for segment in other.segments} <= {"both", "only_a", "only_b"}
    assert other.segments


@pytest.mark.parametrize("mode", ["none", "offset", "cuts"])
def test_a_video_without_sound_is_compared_on_pictures_only(mode, story) -> None:
    visual_a, audio_a = story
    visual_b = reencoded(visual_a)
    visual_b[6:8] = random_clips(2, VISUAL_DIMS, 40)
    result = compare(series(visual_a, audio_a), series(visual_b), alignment=mode)
    assert np.isnan(result.audio).all()
    assert summary(result.segments) == [("visual", 12.0, 16.0, 12.0, 16.0)]


def test_unknown_alignment_or_negative_threshold_is_refused(story) -> None:
    clips = series(story[0])
    with pytest.raises(ValueError, match="unknown alignment"):
        align(clips, clips, "sideways", metric="cosine")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        compare(clips, clips, threshold=-0.1)
