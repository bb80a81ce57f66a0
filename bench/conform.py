"""The change list (issue 66) on the real-footage accuracy corpus: its events against the truth, per kind.

    .venv/bin/python bench/conform.py [--case NAME ...] [--all] [--record]

For each pair the engine compares the two files as a comparison does (`compare_files`, cuts), the
result goes through the form a comparison row stores (times to the millisecond, segments as dicts)
and `build_change_list` makes the events. The truth is the change list the pair was built as: its B
cut is shots of A's reel (sage/synthetic_media/real_footage), so each shot is v1 material (kept;
moved where the case's truth has it moved; speed where it plays at another rate) or new material
(inserted; replaced where the case's truth says it replaced v1 in place), and v1's time no shot
shows is removed (trimmed at the head or tail at v1's ends). A stretch played backwards is kept
material for a change list (its place and length are v1's).

Scoring, per truth event: found when a predicted event of the same kind overlaps it (on v2; on v1
for what v2 no longer has); exact when each of its edges (v1 in and out, v2 in and out, those it
has) is on the same frame; also within 1 and 2 frames. Predicted events no truth event of their kind
overlaps are counted as extra. The goal is every event at the exact frame.

The pairs: by default the corpus's pairs with an edit a change list lists (moves, replaced, cut and
insertion, a section sped up, a whole programme at another speed, an offset start, the two
tightened cuts with ten small removals each, a frame-rate conversion that must give one kept event)
and one pair of this bench's own, trimmed at the head and tail (rendered into the same cache);
`--all` every real-footage pair. The 90-minute pair is not run here.

Then each pair's sound recut by the change list found, against v2's own (`recut_section`): the
null test of the whole chain. The recut alone, and its speed, are bench/conform_recut.py's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

import bench.offline_django  # noqa: F401  # Django's apps loaded before videos.* is imported
from bench.conform_recut import kept_residuals, printed_null_test
from bench.results import Row, add_record_option, record
from sage.synthetic_media.real_footage import (
    DEFAULT_CACHE,
    REAL_CASES,
    TUNING,
    RealCase,
    cut_path,
    render_real_case,
)
from sage.synthetic_media.real_footage.cuts import Cut, Shot
from sage.synthetic_media.real_footage.everyday import Backwards
from sage.synthetic_media.real_footage.sources import missing_media
from sage.synthetic_media.scoring import FindingsTruth, TruthFinding
from videos.compare.files import compare_files
from videos.compare.services import segment_dicts
from videos.conform.changes import ChangeList, build_change_list
from videos.conform.events import ChangeEvent, EventKind

DEFAULT_CASES = (
    "real_swap_two_5s",
    "real_one_stretch_moved",
    "real_moved_earlier_closed",
    "real_moved_later_gap_left",
    "real_moved_earlier_gap_left_near_end",
    "real_moved_later_near_end",
    "real_fresh_moved_to_near_start",
    "real_replaced_in_place",
    "real_cut_and_insertion",
    "real_section_1_5x",
    "real_whole_25_24_fast",
    "real_offset_start",
    "everyday_tightened_speech",
    "everyday_tightened_music_bed",
    "real_converted_25_to_30000_1001",
)
# This bench's own pair: v1's first 1.5 s and last 2 s cut off (trimmed at head and tail).
TRIMMED = RealCase(
    "conform_trimmed_head_and_tail",
    "insert_remove",
    TUNING,
    Cut((Shot(TUNING, 0, TUNING.seconds),)),
    Cut((Shot(TUNING, 1.5, TUNING.seconds - 2.0),)),
    FindingsTruth(0.0, (), ()),
)
KINDS: tuple[EventKind, ...] = (
    "kept",
    "removed",
    "inserted",
    "moved",
    "replaced",
    "trimmed_head",
    "trimmed_tail",
    "speed",
)
_EPSILON = 1e-6


@dataclass(frozen=True)
class Truth:
    """A true event in frames: v1's (None for new material) and v2's (one point for what v2 lacks)."""

    kind: EventKind
    v1: tuple[int, int] | None
    v2: tuple[int, int]


# --- the truth ------------------------------------------------------------------------------------


def truth_events(case: RealCase) -> list[Truth] | None:
    """The change list the pair was built as, or None when A is not its main reel played whole."""
    [whole] = case.a.shots if len(case.a.shots) == 1 else [None]
    if whole is None or whole.reel != case.main or whole.start > _EPSILON or whole.rate != 1.0:
        return None
    fps_a, fps_b = Fraction(case.a.encoding.fps), Fraction(case.b.encoding.fps)
    moved = [segment for segment in case.truth.segments if segment.kind == "moved"]
    replaced = [
        segment
        for segment in case.truth.segments
        if segment.kind == "both" and isinstance(segment, TruthFinding) is False
    ]

    def a_frame(seconds: float) -> int:
        return round(Fraction(seconds).limit_denominator(100_000) * fps_a)

    def b_frame(seconds: float) -> int:
        return round(Fraction(seconds).limit_denominator(100_000) * fps_b)

    pieces: list[tuple[EventKind, tuple[float, float] | None, tuple[float, float]]] = []
    at = 0.0
    for shot in case.b.shots:
        v2 = (at, at + shot.seconds)
        at += shot.seconds
        if shot.reel != case.main:
            over = [
                segment
                for segment in replaced
                if segment.b_start is not None and abs(segment.b_start - v2[0]) < 0.05 and segment.a_start is not None
            ]
            if over:
                segment = over[0]
                assert segment.a_start is not None and segment.a_end is not None
                pieces.append(("replaced", (segment.a_start, segment.a_end), v2))
            else:
                pieces.append(("inserted", None, v2))
            continue
        kind: EventKind = "kept"
        if shot.rate != 1.0 and not isinstance(shot, Backwards):
            kind = "speed"
        elif any(abs((m.a_start or 0) - shot.start) < 0.05 and abs((m.a_end or 0) - shot.end) < 0.05 for m in moved):
            kind = "moved"
        pieces.append((kind, (shot.start, shot.end), v2))
    # Kept shots that follow each other on both videos are one event (a stretch played backwards
    # between two kept ones joins them).
    merged: list[tuple[EventKind, tuple[float, float] | None, tuple[float, float]]] = []
    for kind, v1, v2 in pieces:
        if merged and kind == "kept" and merged[-1][0] == "kept":
            last_v1 = merged[-1][1]
            if v1 is not None and last_v1 is not None and abs(last_v1[1] - v1[0]) < _EPSILON:
                merged[-1] = ("kept", (last_v1[0], v1[1]), (merged[-1][2][0], v2[1]))
                continue
        merged.append((kind, v1, v2))
    events = [
        Truth(kind, None if v1 is None else (a_frame(v1[0]), a_frame(v1[1])), (b_frame(v2[0]), b_frame(v2[1])))
        for kind, v1, v2 in merged
    ]
    # v1's time no shot shows: removed, where the v1 material before it now ends on v2.
    shown = sorted(event.v1 for event in events if event.v1 is not None)
    frames_a, frames_b = a_frame(case.main.seconds), b_frame(case.b.seconds)
    position = 0
    gaps = []
    for start, end in shown:
        if start > position:
            gaps.append((position, start))
        position = max(position, end)
    if position < frames_a:
        gaps.append((position, frames_a))
    for start, end in gaps:
        before = [event for event in events if event.v1 is not None and event.v1[1] == start and event.kind != "moved"]
        point = before[0].v2[1] if before else 0 if start == 0 else frames_b
        kind = (
            "trimmed_head"
            if start == 0 and point == 0
            else "trimmed_tail"
            if end == frames_a and point == frames_b
            else "removed"
        )
        events.append(Truth(kind, (start, end), (point, point)))
    return sorted(events, key=lambda event: (event.v2[0], event.v2 != (event.v2[0], event.v2[0])))


# --- the prediction -------------------------------------------------------------------------------


def predicted(case: RealCase, path_a: Path, path_b: Path) -> ChangeList:
    """The engine's result on the two files, read as a stored comparison is."""
    result = compare_files(path_a, path_b, alignment="cuts")
    return build_change_list(
        spans=[tuple(span.as_list()[:4]) for span in result.spans],
        findings=segment_dicts(result.findings),
        segments=segment_dicts(result.segments),
        duration_v1=result.duration_a,
        duration_v2=result.duration_b,
        rate_v1=Fraction(case.a.encoding.fps),
        rate_v2=Fraction(case.b.encoding.fps),
    )


def _frames(event: ChangeEvent, changes: ChangeList) -> tuple[tuple[int, int] | None, tuple[int, int]]:
    v1 = None
    if event.v1_start is not None and event.v1_end is not None:
        v1 = (round(event.v1_start * changes.rate_v1), round(event.v1_end * changes.rate_v1))
    return v1, (round(event.v2_start * changes.rate_v2), round(event.v2_end * changes.rate_v2))


# --- scoring --------------------------------------------------------------------------------------


@dataclass
class KindScore:
    truth: int = 0
    found: int = 0
    exact: int = 0
    within_1: int = 0
    within_2: int = 0
    extra: int = 0


def _overlap(first: tuple[int, int], second: tuple[int, int]) -> int:
    if first[0] == first[1] or second[0] == second[1]:  # a point: touching counts
        return 1 if second[0] <= first[0] <= second[1] or first[0] <= second[0] <= first[1] else 0
    return max(0, min(first[1], second[1]) - max(first[0], second[0]))


def score(truth: list[Truth], changes: ChangeList, scores: dict[str, KindScore]) -> list[str]:
    """Adds this pair's figures to `scores`; the lines saying what missed."""
    guesses = [(event.kind, *_frames(event, changes)) for event in changes.events]
    used: set[int] = set()
    notes = []
    for true in truth:
        tally = scores.setdefault(true.kind, KindScore())
        tally.truth += 1
        on_v1 = true.kind in ("removed", "trimmed_head", "trimmed_tail")
        best, best_overlap = None, 0
        for index, (kind, v1, v2) in enumerate(guesses):
            if kind != true.kind or index in used:
                continue
            overlap = _overlap(true.v1, v1) if on_v1 and true.v1 and v1 else _overlap(true.v2, v2)
            if overlap > best_overlap:
                best, best_overlap = index, overlap
        if best is None:
            notes.append(f"missed {true.kind} v1 {true.v1} v2 {true.v2}")
            continue
        used.add(best)
        tally.found += 1
        _, v1, v2 = guesses[best]
        edges = list(zip(true.v2, v2, strict=True))
        if true.v1 is not None and v1 is not None:
            edges += list(zip(true.v1, v1, strict=True))
        error = max(abs(a - b) for a, b in edges)
        tally.exact += error == 0
        tally.within_1 += error <= 1
        tally.within_2 += error <= 2
        if error:
            notes.append(f"{true.kind} off by {error} frames: truth v1 {true.v1} v2 {true.v2}, found v1 {v1} v2 {v2}")
    for index, (kind, v1, v2) in enumerate(guesses):
        if index not in used:
            scores.setdefault(kind, KindScore()).extra += 1
            notes.append(f"extra {kind} v1 {v1} v2 {v2}")
    return notes


# --- the recut (issue 66, item 3) -----------------------------------------------------------------


def recut_section(cases: Sequence[RealCase], change_lists: dict[str, ChangeList], cache: Path) -> list[Row]:
    """The whole chain a sound editor relies on: each pair's sound recut by the change list the
    engine found (not the truth's events: bench/conform_recut.py measures the recut alone, on the
    truth, with PCM sound, and its speed on 8 channels of 90 minutes), against v2's own sound.
    Kept and moved material should null; an event placed a frame off leaves a residual near v2's own
    level there. The corpus's sound is AAC, whose coding noise floors the residual (about −26 dB
    on material an edit shifted: bench/conform_recut.py)."""
    residuals: list[float] = []
    for case in cases:
        if case.name not in change_lists:
            continue
        results = printed_null_test(
            f"recut by the change list, {case.name}",
            cut_path(case, case.a, cache),
            cut_path(case, case.b, cache),
            change_lists[case.name].events,
        )
        residuals += kept_residuals(results)
    if not residuals:
        return []
    median, worst = statistics.median(residuals), max(residuals)
    print(f"\nrecut by the change lists found: kept and moved material, median {median:.1f} dB, worst {worst:.1f} dB")
    return [
        Row(
            f"recut by the change list the engine found, null test on kept and moved material ({len(cases)} pairs, "
            "AAC sound as rendered; the recut alone on PCM: bench/conform_recut.py)",
            f"median {median:.1f} dB, worst {worst:.1f} dB ({len(residuals)} events)",
            None,
        )
    ]


def _table_line(label: str, tally: KindScore) -> str:
    counts = (tally.truth, tally.found, tally.exact, tally.within_1, tally.within_2, tally.extra)
    return f"{label:<13} " + " ".join(f"{count:>5}" for count in counts)


# --- running --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", default=[], help="only this case (repeatable)")
    parser.add_argument("--all", action="store_true", help="every real-footage pair, not only the edits")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"rendered pairs (default {DEFAULT_CACHE})")
    add_record_option(parser)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    known = {case.name: case for case in (*REAL_CASES, TRIMMED)}
    names = args.case or ([case.name for case in REAL_CASES] if args.all else [*DEFAULT_CASES, TRIMMED.name])
    if unknown := set(names) - set(known):
        parser.error(f"no such case: {', '.join(sorted(unknown))}")
    if problems := missing_media():
        print("the real footage or speech cannot be had here:\n  " + "\n  ".join(problems))
        return 1
    scores: dict[str, KindScore] = {}
    change_lists: dict[str, ChangeList] = {}
    chosen = []
    for name in names:
        case = known[name]
        truth = truth_events(case)
        if truth is None:
            print(f"{name}: A is not its reel played whole: skipped")
            continue
        chosen.append(case)
        if not (cut_path(case, case.a, args.cache).exists() and cut_path(case, case.b, args.cache).exists()):
            render_real_case(case, args.cache)
        started = time.perf_counter()
        changes = predicted(case, cut_path(case, case.a, args.cache), cut_path(case, case.b, args.cache))
        seconds = time.perf_counter() - started
        change_lists[name] = changes
        notes = score(truth, changes, scores)
        kinds = Counter(event.kind for event in changes.events)
        print(f"{name}: {len(truth)} true events, {len(changes.events)} found {dict(kinds)} ({seconds:.1f} s)")
        for note in notes:
            print(f"    {note}")

    print(f"\n{'kind':<13} {'truth':>5} {'found':>5} {'exact':>5} {'≤1 fr':>5} {'≤2 fr':>5} {'extra':>5}")
    total = KindScore()
    for kind in KINDS:
        if kind not in scores:
            continue
        tally = scores[kind]
        print(_table_line(kind, tally))
        for name in ("truth", "found", "exact", "within_1", "within_2", "extra"):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
    print(_table_line("all", total))
    edits = {kind: tally for kind, tally in scores.items() if kind != "kept"}
    edit_truth = sum(tally.truth for tally in edits.values())
    edit_exact = sum(tally.exact for tally in edits.values())
    share = edit_exact / edit_truth if edit_truth else 1.0
    within_2, extra = sum(t.within_2 for t in edits.values()), sum(t.extra for t in edits.values())
    print(f"\nevents that are edits (not kept) at the exact frame: {edit_exact}/{edit_truth} = {share:.3f}")
    rows = [
        Row(
            f"change-list events at the exact frame ({len(chosen)} pairs; edits, kept excluded)",
            f"{edit_exact}/{edit_truth} ({share:.1%}); within 2 frames {within_2}/{edit_truth}; extra events {extra}",
            edit_exact == edit_truth,
        ),
        *(
            Row(
                f"change-list {kind} events at the exact frame",
                f"{scores[kind].exact}/{scores[kind].truth} (found {scores[kind].found}, extra {scores[kind].extra})",
                None,
            )
            for kind in KINDS
            if kind in scores
        ),
    ]
    rows += recut_section(chosen, change_lists, args.cache)
    if args.record:
        record(bench="conform", path=args.record, rows=rows, partial=bool(args.case))
    return 0 if edit_exact == edit_truth else 1


if __name__ == "__main__":
    sys.exit(main())
