"""The refined comparison engine on short edited pairs of natural-looking footage (sage/synthetic_media/corpus.py's
QUICK_CASES: ≤ 15 s at 320×180, edits off the 2 s clip grid), through `compare_files` as the
pipeline runs it: what a person checking two cuts would notice — the edit found with the right
kind and range (within 0.5 s on both videos), the offset within 0.1 s, nothing for re-encodes.
bench/accuracy.py scores the full corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from sage.synthetic_media.corpus import Case, case_named, render_case
from sage.synthetic_media.edits import SEVERITIES
from videos.compare.files import compare_files

RANGE_TOLERANCE = 0.5
OFFSET_TOLERANCE = 0.1


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("accuracy")


def compared(name: str, media: Path):
    case = case_named(name)
    path_a, path_b = render_case(case, media)
    result = compare_files(path_a, path_b)
    print(f"\n{name}: offset {result.offset}, segments {[_text(segment) for segment in result.segments]}")
    return case, result


def _text(segment) -> str:
    return f"{segment.kind} A {segment.a_start}–{segment.a_end} B {segment.b_start}–{segment.b_end} {segment.severity}"


def assert_found_as_the_truth_says(case: Case, result) -> None:
    """The offset, and one segment per truth segment, of its kind, within tolerance — nothing else."""
    truth = case.truth
    assert result.offset == pytest.approx(truth.offset, abs=OFFSET_TOLERANCE)
    assert len(result.segments) == len(truth.segments), [_text(segment) for segment in result.segments]
    for expected in truth.segments:
        matching = [
            segment
            for segment in result.segments
            if segment.kind == expected.kind
            and all(
                abs(found - wanted) <= RANGE_TOLERANCE
                for found, wanted in (
                    (segment.a_start, expected.a_start),
                    (segment.a_end, expected.a_end),
                    (segment.b_start, expected.b_start),
                    (segment.b_end, expected.b_end),
                )
            )
        ]
        assert matching, f"{expected} not among {[_text(segment) for segment in result.segments]}"
        if expected.floor is not None:
            assert SEVERITIES.index(matching[0].severity) >= SEVERITIES.index(expected.floor)


def test_a_copy_with_2_6_s_more_lead_in_is_offset_by_it_and_the_lead_in_is_only_in_b(media: Path) -> None:
    case, result = compared("quick_lead_in", media)
    assert_found_as_the_truth_says(case, result)
    assert result.offset == pytest.approx(2.6, abs=OFFSET_TOLERANCE)


def test_3_7_s_inserted_at_6_7_s_is_only_in_b_at_its_place_and_the_rest_lines_up(media: Path) -> None:
    case, result = compared("quick_insertion", media)
    assert_found_as_the_truth_says(case, result)
    [only_b] = result.segments
    assert only_b.a_start == pytest.approx(6.7, abs=RANGE_TOLERANCE)


def test_3_7_s_removed_at_4_6_s_is_only_in_a(media: Path) -> None:
    case, result = compared("quick_removal", media)
    assert_found_as_the_truth_says(case, result)


@pytest.mark.parametrize("name", ["quick_reencode", "quick_reencode_padded_44k_stereo"])
def test_a_re_encode_shows_no_difference(media: Path, name: str) -> None:
    """Other size, frame rate, codec (VP9 + Opus) and a low bitrate; or letterboxed, 44.1 kHz stereo."""
    _, result = compared(name, media)
    assert result.segments == []
    assert result.offset == pytest.approx(0, abs=OFFSET_TOLERANCE)


def test_a_strong_colour_grade_is_a_picture_difference_and_not_low(media: Path) -> None:
    case, result = compared("quick_grade", media)
    assert_found_as_the_truth_says(case, result)


def test_swapped_music_is_a_sound_difference_and_not_low(media: Path) -> None:
    case, result = compared("quick_music_swap", media)
    assert_found_as_the_truth_says(case, result)


def test_a_replaced_scene_whose_music_changed_too_is_both(media: Path) -> None:
    case, result = compared("quick_replaced_scene_new_music", media)
    assert_found_as_the_truth_says(case, result)
