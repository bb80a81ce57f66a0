"""The change list: a stored comparison read as the numbered events a sound or VFX editor conforms by.

    change_list(comparison).events   # ChangeEvents in v2's order

It is derived, a pure function of what the comparison keeps (its matched spans, its findings and its
replaced stretches), so it is never stored: each new version's neighbour comparison has one.

How the engine's result becomes events, on each video's own frame grid (every edge snapped to the
frame boundary nearest it, `sage.timebase`):

- each matched span is v1 material in v2: **kept** at rate 1, **speed** where v2 plays it faster or
  slower (the span's rate is off 1 by more than SPEED_TOLERANCE), **moved** where the engine found
  it moved (a swap's other half is a span and a move at once); a span at another speed whose
  pictures or sounds differ over most of it is **replaced** (see `build_change_list`);
- each "moved" finding no span covers is **moved** material;
- what no span or move covers on v2 is **inserted**, or **replaced** where the comparison found v1
  material replaced in place there (the page's "replaced" difference);
- what no span or move covers on v1 is **removed** (at the v2 point where it was taken out), or
  **trimmed_head** / **trimmed_tail** at v1's start or end.

The alignment's edges carry a few hundredths of a second of slack, so a stretch of v2 shorter than
MIN_EVENT_SECONDS between two pieces of v1 material goes to a neighbour when it can (the piece
before it grows into it, on both videos, where v1's frames there are not shown elsewhere): a kept
shot is not split by a two-frame "insertion" the engine's edge left.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from sage.errors import Conflict
from sage.timebase import Timebase
from videos.compare.services import CURRENT_ENGINE, UNMADE_ENGINE
from videos.conform.events import ChangeEvent, EventKind
from videos.engine.result import MIN_SEGMENT_SECONDS
from videos.models import Comparison

# A span whose v2 length differs from its v1 length by more than this share plays at another speed
# (the engine's speed findings start at 0.5 %; its spans' rates are fitted to a few 0.01 %).
SPEED_TOLERANCE = Fraction(1, 500)
# A stretch shorter than this on v2 between two pieces of v1 material is the alignment's slack, not
# an edit (the comparison reports no gap shorter: videos.engine.result.MIN_SEGMENT_SECONDS).
MIN_EVENT_SECONDS = Fraction(MIN_SEGMENT_SECONDS).limit_denominator(1000)


class ChangeListUnavailable(Conflict):
    """A comparison with nothing to build a change list from (no result yet, or unreadable): the
    page says it, the API answers 409 with `code` "no_result" or "unreadable"."""


@dataclass(frozen=True)
class Piece:
    """v1's frames a0–a1 shown at v2's frames b0–b1 (end exclusive)."""

    kind: EventKind
    a0: int
    a1: int
    b0: int
    b1: int


@dataclass(frozen=True)
class ChangeList:
    """A comparison's events in v2's order, numbered from 1, with the two videos' frame grids."""

    events: tuple[ChangeEvent, ...]
    rate_v1: Fraction
    rate_v2: Fraction
    frames_v1: int
    frames_v2: int
    # Per event, how far v2 has moved from v1 there, in v2's frames (see `_offsets`).
    offsets: tuple[int, ...]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.events:
            counts[event.kind] = counts.get(event.kind, 0) + 1
        return counts


def change_list(comparison: Comparison) -> ChangeList:
    """The change list of a stored comparison (its two videos loaded). Raises ChangeListUnavailable
    when the comparison keeps no result to read."""
    if comparison.unreadable:
        raise ChangeListUnavailable(
            "This comparison's videos can no longer be read: compare them again.", code="unreadable"
        )
    if comparison.engine == UNMADE_ENGINE:
        raise ChangeListUnavailable(
            "This comparison has no result yet: its change list comes once it is compared.", code="no_result"
        )
    if comparison.engine != CURRENT_ENGINE:
        # An older engine's row (the clip grid's has no spans, engine 2's no moves): it is being
        # recomputed by the current one (videos.compare.recompute).
        raise ChangeListUnavailable(
            "This comparison is being compared again by the current engine: its change list comes once that is done.",
            code="recomputing",
        )
    video_a, video_b = comparison.video_a, comparison.video_b
    return build_change_list(
        spans=[tuple(span[:4]) for span in comparison.matched_spans],
        findings=list(comparison.findings),
        segments=list(comparison.segments),
        duration_v1=video_a.duration or 0.0,
        duration_v2=video_b.duration or 0.0,
        rate_v1=video_a.timebase.rate,
        rate_v2=video_b.timebase.rate,
    )


def build_change_list(
    *,
    spans: list[tuple[float, ...]],
    findings: list[dict[str, Any]],
    segments: list[dict[str, Any]],
    duration_v1: float,
    duration_v2: float,
    rate_v1: Fraction,
    rate_v2: Fraction,
) -> ChangeList:
    """The events from a comparison's stored parts: spans `[a_start, a_end, b_start, b_end]`, its
    findings and segments as stored dicts, both durations (seconds) and rates."""
    grid_a, grid_b = Timebase(rate_v1), Timebase(rate_v2)
    frames_a, frames_b = grid_a.boundary_near(duration_v1), grid_b.boundary_near(duration_v2)
    moves = [_frames(grid_a, grid_b, row) for row in findings if row.get("kind") == "moved"]
    replaced = [_frames(grid_a, grid_b, row) for row in segments if row.get("replaced")]
    changed = [
        _frames(grid_a, grid_b, row)
        for row in segments
        if row.get("kind") in ("visual", "audio", "both") and not row.get("replaced")
    ]

    pieces: list[Piece] = []
    for span in spans:
        a0, a1, b0, b1 = _frames(grid_a, grid_b, dict(zip(("a_start", "a_end", "b_start", "b_end"), span, strict=True)))
        if a1 <= a0 or b1 <= b0:
            continue
        kind: EventKind = "kept"
        if any(_overlap(b0, b1, move[2], move[3]) * 2 > b1 - b0 for move in moves):
            kind = "moved"
        elif _speed_changed(a1 - a0, b1 - b0, rate_v1, rate_v2):
            # Played at another speed, v2 shows v1's pictures and sounds: measured along the span's
            # own line they match. Where they differ over most of it, the alignment bridged cuts it
            # could not place (small removals seconds apart): v1's stretch replaced, not resampled.
            differs = sum(_overlap(b0, b1, row[2], row[3]) for row in changed)
            kind = "replaced" if differs * 2 > b1 - b0 else "speed"
        pieces.append(Piece(kind, a0, a1, b0, b1))
    for a0, a1, b0, b1 in moves:
        covered = sum(_overlap(b0, b1, piece.b0, piece.b1) for piece in pieces)
        if a1 > a0 and b1 > b0 and covered * 2 <= b1 - b0:
            pieces.append(Piece("moved", a0, a1, b0, b1))
    pieces = _closed(_without_overlaps(sorted(pieces, key=lambda piece: piece.b0)), grid_b, frames_a, frames_b)

    removed = _uncovered([(piece.a0, piece.a1) for piece in pieces], frames_a)
    inserted = _uncovered([(piece.b0, piece.b1) for piece in pieces], frames_b)
    # (v2 frame where it sits, order there, piece): removed stretches before what starts there.
    placed: list[tuple[int, int, Piece]] = [(piece.b0, 1, piece) for piece in pieces]
    removed_at: dict[int, tuple[int, int]] = {}
    for a0, a1 in removed:
        point = _v2_point(pieces, a0, a1, frames_b)
        removed_at[point] = (a0, a1)
    for b0, b1 in inserted:
        taken = removed_at.get(b0) or removed_at.get(b1)
        if taken is not None and any(_overlap(b0, b1, row[2], row[3]) * 2 > b1 - b0 for row in replaced):
            removed_at = {point: stretch for point, stretch in removed_at.items() if stretch != taken}
            placed.append((b0, 1, Piece("replaced", taken[0], taken[1], b0, b1)))
        else:
            placed.append((b0, 1, Piece("inserted", 0, 0, b0, b1)))
    for point, (a0, a1) in removed_at.items():
        placed.append(
            (
                point,
                0 if point < frames_b else 2,
                Piece(_removed_kind(a0, a1, point, frames_a, frames_b), a0, a1, point, point),
            )
        )

    events = []
    for number, (_, _, piece) in enumerate(sorted(placed, key=lambda row: (row[0], row[1])), start=1):
        with_v1 = piece.kind != "inserted"
        events.append(
            ChangeEvent(
                number=number,
                kind=piece.kind,
                v1_start=Fraction(piece.a0) / rate_v1 if with_v1 else None,
                v1_end=Fraction(piece.a1) / rate_v1 if with_v1 else None,
                v2_start=Fraction(piece.b0) / rate_v2,
                v2_end=Fraction(piece.b1) / rate_v2,
            )
        )
    return ChangeList(tuple(events), rate_v1, rate_v2, frames_a, frames_b, _offsets(events, rate_v2))


def _removed_kind(a0: int, a1: int, point: int, frames_a: int, frames_b: int) -> EventKind:
    """v1's opening or ending cut off is a trim at v2's head or tail; anything else removed."""
    if a0 == 0 and point == 0:
        return "trimmed_head"
    if a1 == frames_a and point == frames_b:
        return "trimmed_tail"
    return "removed"


def _frames(grid_a: Timebase, grid_b: Timebase, row: dict[str, Any]) -> tuple[int, int, int, int]:
    """A stored range's edges as frame boundaries on each video."""
    return (
        grid_a.boundary_near(row["a_start"] or 0.0),
        grid_a.boundary_near(row["a_end"] or 0.0),
        grid_b.boundary_near(row["b_start"] or 0.0),
        grid_b.boundary_near(row["b_end"] or 0.0),
    )


def _overlap(start: int, end: int, other_start: int, other_end: int) -> int:
    return max(0, min(end, other_end) - max(start, other_start))


def _speed_changed(frames_a: int, frames_b: int, rate_a: Fraction, rate_b: Fraction) -> bool:
    seconds_a, seconds_b = frames_a / rate_a, frames_b / rate_b
    # Two frames of slack: a span's two edges may each be half a frame off.
    slack = 2 / rate_b
    return abs(seconds_b - seconds_a) > max(slack, SPEED_TOLERANCE * seconds_a)


def _without_overlaps(pieces: list[Piece]) -> list[Piece]:
    """Pieces in v2's order, each starting where the one before ends on v2 at the latest (its v1
    start moved with it, at its own speed); one left empty is dropped."""
    kept: list[Piece] = []
    for piece in pieces:
        if kept and piece.b0 < kept[-1].b1:
            cut = kept[-1].b1 - piece.b0
            moved_a = round(cut * (piece.a1 - piece.a0) / (piece.b1 - piece.b0))
            piece = replace(piece, a0=piece.a0 + moved_a, b0=piece.b0 + cut)
            if piece.b1 <= piece.b0 or piece.a1 <= piece.a0:
                continue
        kept.append(piece)
    return kept


def _closed(pieces: list[Piece], grid_b: Timebase, frames_a: int, frames_b: int) -> list[Piece]:
    """Short stretches of v2 before, between and after the pieces given to a neighbour (see the
    module's note): the piece before grows over it, else the one after, on both videos, where v1's
    frames it would take are shown nowhere else in v2."""
    shortest = MIN_EVENT_SECONDS * grid_b.rate
    pieces = list(pieces)
    for index in range(len(pieces) + 1):
        start = pieces[index - 1].b1 if index > 0 else 0
        end = pieces[index].b0 if index < len(pieces) else frames_b
        gap = end - start
        if gap <= 0 or gap >= shortest:
            continue
        covered = [(piece.a0, piece.a1) for piece in pieces]
        if index > 0 and pieces[index - 1].kind == "kept":
            before = pieces[index - 1]
            grown = (before.a1, before.a1 + gap)
            if grown[1] <= frames_a and not any(_overlap(*grown, *stretch) for stretch in covered):
                pieces[index - 1] = replace(before, a1=before.a1 + gap, b1=before.b1 + gap)
                continue
        if index < len(pieces) and pieces[index].kind == "kept":
            after = pieces[index]
            grown = (after.a0 - gap, after.a0)
            if grown[0] >= 0 and not any(_overlap(*grown, *stretch) for stretch in covered):
                pieces[index] = replace(after, a0=after.a0 - gap, b0=after.b0 - gap)
    return _merged(pieces)


def _merged(pieces: list[Piece]) -> list[Piece]:
    """Kept pieces that follow each other on both videos are one."""
    merged: list[Piece] = []
    for piece in pieces:
        if merged:
            before = merged[-1]
            if before.kind == piece.kind == "kept" and before.a1 == piece.a0 and before.b1 == piece.b0:
                merged[-1] = replace(before, a1=piece.a1, b1=piece.b1)
                continue
        merged.append(piece)
    return merged


def _uncovered(ranges: list[tuple[int, int]], frames: int) -> list[tuple[int, int]]:
    """The stretches of 0–frames that none of `ranges` covers."""
    gaps: list[tuple[int, int]] = []
    position = 0
    for start, end in sorted(ranges):
        if start > position:
            gaps.append((position, min(start, frames)))
        position = max(position, end)
    if position < frames:
        gaps.append((position, frames))
    return [(start, end) for start, end in gaps if end > start]


def _v2_point(pieces: list[Piece], a0: int, a1: int, frames_b: int) -> int:
    """Where on v2 removed v1 frames a0–a1 were taken out: after the material that played just
    before them on v1, else before the material that played just after them, else v2's start (or
    end, for v1's own end)."""
    in_place = [piece for piece in pieces if piece.kind != "moved"]
    for piece in in_place:
        if piece.a1 == a0:
            return piece.b1
    for piece in in_place:
        if piece.a0 == a1:
            return piece.b0
    # The material around it moved or was removed too: the nearest v1 material before it still in place.
    before = [piece for piece in in_place if piece.a1 <= a0]
    if before:
        return max(before, key=lambda piece: piece.a1).b1
    return 0 if a0 == 0 or not pieces else frames_b


def _offsets(events: list[ChangeEvent], rate_b: Fraction) -> tuple[int, ...]:
    """The running offset: v2 minus v1 where the event starts (material from v1), where v1's next
    frame now sits (removed, trimmed, replaced: v2's out minus v1's out), or after it (inserted:
    the offset before it plus its length), in v2's frames."""
    offsets: list[int] = []
    previous = 0
    for event in events:
        if event.kind == "inserted":
            offset = previous + round((event.v2_end - event.v2_start) * rate_b)
        else:
            assert event.v1_start is not None and event.v1_end is not None
            if event.kind in ("removed", "trimmed_head", "trimmed_tail", "replaced"):
                offset = round((event.v2_end - event.v1_end) * rate_b)
            else:
                offset = round((event.v2_start - event.v1_start) * rate_b)
        offsets.append(offset)
        previous = offset
    return tuple(offsets)
