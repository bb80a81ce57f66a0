"""Engine 3 on rendered files: stretches played in another order are moves (A range → B range, to a
quarter of a second), a stretch replaced in place by other footage of about its length is one
replaced "picture and sound" difference, and cuts, insertions and an unrelated clip of another
length put where something was cut stay "only in A" / "only in B". Versions of one 36 s programme
of natural-looking footage (sage/synthetic_media), cut from it by edit lists, so the truth is exact."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sage.synthetic_media.edits import Change, Piece, Version, render_version
from sage.synthetic_media.natural import Programme
from sage.synthetic_media.overlays import Grade
from sage.synthetic_media.real_footage import HELD_OUT, TUNING, RealCase, moved, real_case_named, render_real_case
from sage.synthetic_media.real_footage.cuts import Cut
from sage.synthetic_media.real_footage.sources import missing_media
from tests.videos.test_compare_sync import delayed, with_sound
from videos.compare.files import compare_files
from videos.engine.model import Alignment, Difference
from videos.engine.passes.unrelated import smoothed
from videos.engine.result import EngineResult

MAIN = Programme(31, 36)
OTHER = Programme(151, 20)  # other footage: inserted, or put in place of a stretch of MAIN
BOUNDARY = 0.25  # seconds, each end of each range (issue 37)


def version(*pieces: tuple[Programme, float, float], changes: tuple[Change, ...] = ()) -> Version:
    return Version(tuple(Piece(*piece) for piece in pieces), changes)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("moves")


def rendered(folder: Path, name: str, cut: Version) -> Path:
    path = folder / f"{name}.mp4"
    if not path.exists():
        render_version(cut, MAIN, (320, 180), path)
    return path


def compared(folder: Path, name: str, b: Version, alignment: Alignment = "cuts") -> EngineResult:
    result = compare_files(
        rendered(folder, "a", version((MAIN, 0, 36))), rendered(folder, name, b), alignment=alignment
    )
    print(f"\n{name} ({alignment}): {[_text(segment) for segment in result.segments]}")
    return result


def _text(segment: Difference) -> str:
    return f"{segment.kind} A {segment.a_start:.2f}–{segment.a_end:.2f} B {segment.b_start:.2f}–{segment.b_end:.2f}"


def at(segment: Difference, a: tuple[float, float], b: tuple[float, float], tolerance: float = BOUNDARY) -> bool:
    ends = (segment.a_start, segment.a_end, segment.b_start, segment.b_end)
    wanted_ends = (*a, *b)
    return all(
        found is not None and abs(found - wanted) <= tolerance for found, wanted in zip(ends, wanted_ends, strict=True)
    )


def of_kind(result: EngineResult, *kinds: str) -> list[Difference]:
    return [segment for segment in result.segments if segment.kind in kinds]


def test_two_swapped_5_s_stretches_are_two_moves_at_their_places_and_nothing_else(folder: Path) -> None:
    result = compared(folder, "swap", version((MAIN, 0, 8.3), (MAIN, 13.3, 18.3), (MAIN, 8.3, 13.3), (MAIN, 18.3, 36)))
    first, second = of_kind(result, "moved")
    assert at(first, (8.3, 13.3), (13.3, 18.3)), _text(first)
    assert at(second, (13.3, 18.3), (8.3, 13.3)), _text(second)
    assert result.segments == [first, second]
    assert result.findings == [first, second]
    # A move holds at any threshold.
    assert of_kind(result.with_threshold(0.9), "moved") == [first, second]
    assert of_kind(result.with_threshold(0.02), "moved") == [first, second]


def test_a_stretch_moved_later_is_one_move_and_no_removal_or_insertion(folder: Path) -> None:
    result = compared(folder, "moved", version((MAIN, 0, 6.4), (MAIN, 11.4, 27.8), (MAIN, 6.4, 11.4), (MAIN, 27.8, 36)))
    [move] = result.segments
    assert move.kind == "moved"
    assert at(move, (6.4, 11.4), (22.8, 27.8)), _text(move)


@pytest.mark.parametrize("alignment", ["cuts", "offset"])
@pytest.mark.parametrize("gap_left", [False, True])
def test_a_6_s_stretch_moved_later_is_one_move_whatever_the_alignment(
    folder: Path, alignment: Alignment, gap_left: bool
) -> None:
    """With `offset` alignment the one offset is the longest stretch's: the footage before and
    after the move, found at offset 0, is in its place, not moved onto itself."""
    tail = () if gap_left else ((MAIN, 30, 36),)
    name = "moved6_gap" if gap_left else "moved6"
    result = compared(folder, name, version((MAIN, 0, 4), (MAIN, 10, 30), (MAIN, 4, 10), *tail), alignment)
    [move] = of_kind(result, "moved")
    assert at(move, (4, 10), (24, 30)), _text(move)
    if gap_left:
        [removed] = of_kind(result, "only_a")
        assert at(removed, (30, 36), (24, 24), tolerance=0.5), _text(removed)
        assert result.segments == [move, removed]
    else:
        assert result.segments == [move]


@pytest.mark.parametrize("alignment", ["cuts", "offset"])
def test_a_trim_is_only_in_a_and_no_stretch_moves_onto_itself(folder: Path, alignment: Alignment) -> None:
    result = compared(folder, "trim", version((MAIN, 0, 20.6), (MAIN, 23.3, 36)), alignment)
    [removed] = result.segments
    assert removed.kind == "only_a"
    assert at(removed, (20.6, 23.3), (20.6, 20.6)), _text(removed)


@pytest.mark.parametrize("alignment", ["cuts", "offset"])
def test_sound_heard_0_15_s_early_is_one_sync_finding_and_no_move(folder: Path, alignment: Alignment) -> None:
    a = rendered(folder, "a", version((MAIN, 0, 36)))
    early = with_sound(a, folder / "early.mp4", delayed(-0.15))
    result = compare_files(a, early, alignment=alignment)
    [finding] = result.segments
    assert finding.kind == "av_sync"
    assert finding.lag == pytest.approx(-0.15, abs=0.02)
    # Trimmed as well: the trim, the lag, and nothing moved.
    trimmed = rendered(folder, "trim", version((MAIN, 0, 20.6), (MAIN, 23.3, 36)))
    both = compare_files(a, with_sound(trimmed, folder / "trim_early.mp4", delayed(-0.15)), alignment=alignment)
    print(f"\ntrim_early ({alignment}): {[_text(segment) for segment in both.segments]}")
    assert sorted(segment.kind for segment in both.segments) == ["av_sync", "only_a"]


def test_a_moved_stretch_that_was_also_regraded_is_the_move_plus_a_picture_change_where_it_went(
    folder: Path,
) -> None:
    b = version(
        (MAIN, 0, 6.4),
        (MAIN, 11.4, 27.8),
        (MAIN, 6.4, 11.4),
        (MAIN, 27.8, 36),
        changes=(Change(6.4, 11.4, (Grade("strong", "teal-orange"),)),),
    )
    result = compared(folder, "moved_graded", b)
    [move] = of_kind(result, "moved")
    assert at(move, (6.4, 11.4), (22.8, 27.8)), _text(move)
    [graded] = of_kind(result, "visual", "both")
    assert graded.kind == "visual"
    assert at(graded, (6.4, 11.4), (22.8, 27.8), tolerance=0.5), _text(graded)
    assert not of_kind(result, "only_a", "only_b")


def test_a_cut_stays_only_in_a(folder: Path) -> None:
    result = compared(folder, "cut", version((MAIN, 0, 9.3), (MAIN, 13.8, 36)))
    [removed] = result.segments
    assert removed.kind == "only_a"
    assert at(removed, (9.3, 13.8), (9.3, 9.3))


def test_an_insertion_stays_only_in_b(folder: Path) -> None:
    result = compared(folder, "insert", version((MAIN, 0, 9.3), (OTHER, 2, 6.5), (MAIN, 9.3, 36)))
    [inserted] = result.segments
    assert inserted.kind == "only_b"
    assert at(inserted, (9.3, 9.3), (9.3, 13.8))


def test_a_stretch_replaced_by_other_footage_of_the_same_length_is_one_replaced_difference(folder: Path) -> None:
    result = compared(folder, "replaced", version((MAIN, 0, 9.3), (OTHER, 2, 6.7), (MAIN, 14.0, 36)))
    [replaced] = result.segments
    assert (replaced.kind, replaced.replaced, replaced.severity) == ("both", True, "high")
    assert at(replaced, (9.3, 14.0), (9.3, 14.0)), _text(replaced)
    # Judged from the spans alone: the same at any threshold.
    assert result.with_threshold(0.9).segments == [replaced]


def test_an_unrelated_clip_of_a_very_different_length_where_something_was_cut_is_only_in_a_and_only_in_b(
    folder: Path,
) -> None:
    result = compared(folder, "cut_and_insert", version((MAIN, 0, 9.3), (OTHER, 2, 3.5), (MAIN, 14.0, 36)))
    assert not of_kind(result, "moved")
    assert not [segment for segment in result.segments if segment.replaced]
    [removed] = of_kind(result, "only_a")
    [inserted] = of_kind(result, "only_b")
    assert at(removed, (9.3, 14.0), (9.3, 9.3), tolerance=0.5), _text(removed)
    assert at(inserted, (14.0, 14.0), (9.3, 10.8), tolerance=0.5), _text(inserted)


# --- on real footage and speech (sage/synthetic_media/real_footage; skipped without the files) ---


def _moved_with_the_rest_cut(name: str, start: float, end: float, to: float) -> RealCase:
    """TUNING's start–end put after `to`, and what followed `to` on A cut: a gap left behind."""
    case = moved(name, TUNING, start, end, to)
    return dataclasses.replace(case, b=Cut(case.b.shots[:-1]))


@pytest.mark.parametrize(
    ("case", "b_range"),
    [
        # A steady shot under speech, moved past 19 s: its place at the start is each video's opening.
        (moved("move_6s_past_19s", TUNING, 2.0, 8.0, 27.0), (21.0, 27.0)),
        (_moved_with_the_rest_cut("move_6s_gap_left", 2.0, 8.0, 25.0), (19.0, 25.0)),
        # Moved past 11 s (under twice its length): one move, not a swap.
        (moved("move_6s_past_11s", HELD_OUT, 3.0, 9.0, 20.0), (14.0, 20.0)),
    ],
    ids=lambda value: value.name if isinstance(value, RealCase) else "",
)
def test_a_6_s_stretch_of_real_footage_moved_later_is_one_move(
    folder: Path, case: RealCase, b_range: tuple[float, float]
) -> None:
    if missing := missing_media():
        pytest.skip("the real footage and speech are not in the public media folder: " + missing[0])
    a, b = render_real_case(case, folder / "real")
    result = compare_files(a, b)
    print(f"\n{case.name}: {[_text(segment) for segment in result.segments]}")
    [move] = of_kind(result, "moved")
    start, end = case.truth.segments[0].a_start, case.truth.segments[0].a_end
    assert at(move, (start, end), b_range), _text(move)
    assert [segment.kind for segment in result.segments if segment is not move] == (
        ["only_a"] if case.name.endswith("gap_left") else []
    )


@pytest.mark.parametrize(
    "name",
    [
        # 20–25 s moved to 1 s, other footage left in its place: the alignment carried its first span
        # back over B's first second, which is A's, and the move stopped a second short of its end.
        "real_moved_earlier_gap_left_near_end",
        # 0.5–5.5 s moved to end 0.5 s before the end: the opening half second is in its place, and
        # a steady shot under the move matched a "2.5× section" on its picture alone.
        "real_moved_later_near_end",
        # 1.2–6.7 s moved later, other footage in its place: the alignment put A's silent opening
        # second against a silent second of that footage, unrelated in picture only.
        "real_moved_later_gap_left",
    ],
)
def test_a_stretch_of_real_footage_moved_from_or_to_an_end_is_one_move_and_nothing_made_up(
    folder: Path, name: str
) -> None:
    if missing := missing_media():
        pytest.skip("the real footage and speech are not in the public media folder: " + missing[0])
    case = real_case_named(name)
    a, b = render_real_case(case, folder / "real")
    result = compare_files(a, b)
    print(f"\n{case.name}: {[_text(segment) for segment in result.segments]}")
    [move] = of_kind(result, "moved")
    truth = case.truth.segments[0]
    assert at(move, (truth.a_start, truth.a_end), (truth.b_start, truth.b_end)), _text(move)
    others = [segment for segment in result.segments if segment is not move]
    # Only the other footage left where the stretch was, when there is some.
    expected = case.truth.segments[1:]
    assert [segment.kind for segment in others] == [gap.kind for gap in expected]
    for segment, gap in zip(others, expected, strict=True):
        assert [segment.b_start, segment.b_end] == pytest.approx([gap.b_start, gap.b_end], abs=BOUNDARY)


def test_a_moving_mean_over_fewer_samples_than_its_width_keeps_their_number() -> None:
    # A span under a second long is looked at for unrelated footage too (NumPy's "same"
    # convolution gives the longer input's length: 10 means of 9 samples, one past their times).
    means = smoothed(np.array([1.0, 2.0, 3.0]), 10)
    assert means.tolist() == pytest.approx([2.0, 2.0, 2.0])
