"""The change list built from hand-made comparisons: every kind of event, on the frame, in v2's order."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from videos.conform.changes import ChangeList, build_change_list

F25 = Fraction(25)


def changes(
    spans: list[tuple[float, ...]],
    *,
    v1: float,
    v2: float,
    findings: list[dict[str, Any]] | None = None,
    segments: list[dict[str, Any]] | None = None,
    rate: Fraction = F25,
) -> ChangeList:
    return build_change_list(
        spans=spans,
        findings=findings or [],
        segments=segments or [],
        duration_v1=v1,
        duration_v2=v2,
        rate_v1=rate,
        rate_v2=rate,
    )


def table(change_list: ChangeList) -> list[tuple[str, float | None, float | None, float, float, int]]:
    """(kind, v1 in, v1 out, v2 in, v2 out, offset in frames) per event, seconds as floats."""

    def seconds(value: Fraction | None) -> float | None:
        return None if value is None else float(value)

    return [
        (event.kind, seconds(event.v1_start), seconds(event.v1_end), float(event.v2_start), float(event.v2_end), offset)
        for event, offset in zip(change_list.events, change_list.offsets, strict=True)
    ]


def test_a_removal_is_one_event_where_it_was_taken_out_and_the_rest_moves_up() -> None:
    result = changes([(0, 10, 0, 10), (12, 20, 10, 18)], v1=20, v2=18)
    assert table(result) == [
        ("kept", 0, 10, 0, 10, 0),
        ("removed", 10, 12, 10, 10, -50),
        ("kept", 12, 20, 10, 18, -50),
    ]
    assert [event.number for event in result.events] == [1, 2, 3]


def test_an_insertion_has_no_v1_side_and_pushes_the_rest_later() -> None:
    result = changes([(0, 10, 0, 10), (10, 20, 13, 23)], v1=20, v2=23)
    assert table(result) == [
        ("kept", 0, 10, 0, 10, 0),
        ("inserted", None, None, 10, 13, 75),
        ("kept", 10, 20, 13, 23, 75),
    ]


def test_a_moved_stretch_is_listed_where_v2_plays_it_with_nothing_removed() -> None:
    # v1 20-25 s is played at v2 10-15 s; v1 10-20 s follows, 5 s later than it was.
    result = changes(
        [(0, 10, 0, 10), (10, 20, 15, 25), (25, 30, 25, 30)],
        v1=30,
        v2=30,
        findings=[{"kind": "moved", "a_start": 20.0, "a_end": 25.0, "b_start": 10.0, "b_end": 15.0}],
    )
    assert table(result) == [
        ("kept", 0, 10, 0, 10, 0),
        ("moved", 20, 25, 10, 15, -250),
        ("kept", 10, 20, 15, 25, 125),
        ("kept", 25, 30, 25, 30, 0),
    ]


def test_a_swap_whose_other_half_is_a_span_is_two_moves() -> None:
    result = changes(
        [(0, 10, 0, 10), (15, 20, 10, 15), (20, 30, 20, 30)],
        v1=30,
        v2=30,
        findings=[
            {"kind": "moved", "a_start": 10.0, "a_end": 15.0, "b_start": 15.0, "b_end": 20.0},
            {"kind": "moved", "a_start": 15.0, "a_end": 20.0, "b_start": 10.0, "b_end": 15.0},
        ],
    )
    assert [(kind, v1_in, v2_in) for kind, v1_in, _, v2_in, _, _ in table(result)] == [
        ("kept", 0, 0),
        ("moved", 15, 10),
        ("moved", 10, 15),
        ("kept", 20, 20),
    ]


def test_material_replaced_in_place_is_one_replaced_event_with_both_sides() -> None:
    replaced = {"kind": "both", "a_start": 10.0, "a_end": 13.0, "b_start": 10.0, "b_end": 13.6, "replaced": True}
    result = changes([(0, 10, 0, 10), (13, 20, 13.6, 20.6)], v1=20, v2=20.6, segments=[replaced])
    assert table(result) == [
        ("kept", 0, 10, 0, 10, 0),
        ("replaced", 10, 13, 10, 13.6, 15),
        ("kept", 13, 20, 13.6, 20.6, 15),
    ]


def test_a_removal_and_an_insertion_at_one_place_the_comparison_did_not_call_replaced_stay_two() -> None:
    result = changes([(0, 10, 0, 10), (13, 20, 18, 25)], v1=20, v2=25)
    assert [kind for kind, *_ in table(result)] == ["kept", "removed", "inserted", "kept"]


def test_trims_at_the_head_and_tail_are_named_so() -> None:
    result = changes([(2, 18, 0, 16)], v1=20, v2=16)
    assert table(result) == [
        ("trimmed_head", 0, 2, 0, 0, -50),
        ("kept", 2, 18, 0, 16, -50),
        ("trimmed_tail", 18, 20, 16, 16, -100),
    ]


def test_a_speed_change_is_its_own_event_with_both_lengths() -> None:
    result = changes([(0, 10, 0, 10), (10, 20, 10, 19.6)], v1=20, v2=19.6)
    kinds = table(result)
    assert [row[0] for row in kinds] == ["kept", "speed"]
    speed = result.events[1]
    assert speed.speed == Fraction(250, 240)


def test_a_stretch_at_another_speed_that_differs_throughout_is_replaced_not_resampled() -> None:
    # Small removals seconds apart bridged by one span at 1.22x, its pictures differing along it.
    differs = {"kind": "both", "a_start": 10.0, "a_end": 19.5, "b_start": 10.0, "b_end": 17.8, "peak": 0.9}
    result = changes([(0, 10, 0, 10), (10, 20, 10, 18.2)], v1=20, v2=18.2, segments=[differs])
    assert [row[0] for row in table(result)] == ["kept", "replaced"]
    assert result.events[1].carries_v1 is False  # a recut leaves it silent rather than resampling it


def test_the_alignments_slack_of_a_few_frames_is_no_event() -> None:
    # The first span's end found 2 frames early: the kept stretch still reaches the removal.
    result = changes([(0, 9.92, 0, 9.92), (12, 20, 10, 18)], v1=20, v2=18)
    assert table(result) == [
        ("kept", 0, 10, 0, 10, 0),
        ("removed", 10, 12, 10, 10, -50),
        ("kept", 12, 20, 10, 18, -50),
    ]


def test_edges_snap_to_frame_boundaries_of_each_videos_own_rate() -> None:
    rate = Fraction(30000, 1001)
    result = changes([(0, 10.01, 0, 10.01), (12.012, 20.02, 10.01, 18.018)], v1=20.02, v2=18.018, rate=rate)
    removed = result.events[1]
    assert removed.kind == "removed"
    # 10.01 s is the boundary before frame 300 (10.010 s); 12.012 s before frame 360.
    assert removed.v1_start == Fraction(300) / rate and removed.v1_end == Fraction(360) / rate
    assert result.offsets[1] == -60
