"""Frame-exact edges (issue 62): every edge of a stretch shown in both videos (a matched span in
step, a moved block) put on the frame boundary where A's and B's frames stop matching, in frames
of each file's exact rate (`sage.timebase`).

The alignment places an edge from the fingerprints, to a tenth of a second by the picture and a
fiftieth by the sound (videos.engine.passes.align), which is a frame or two off at any rate. Here,
with the two files given, only the frames within EDGE_REACH_SECONDS of each edge are decoded, as
small grey thumbnails. Along the stretch, away from the edge, B's frame facing each of A's is found
(the offset to the frame); then, from deep inside the stretch outward, the first frames that stop
matching mark the edge. The stretch keeps one offset, so a span in step stays in step, and at the
same rate on both files both of its edges are boundaries k/rate.

Spans B plays at another speed keep their edges (two frame grids that slide past each other have no
one boundary where the matching stops), as does an edge the frames do not settle (a still picture
on both sides of it, a file that cannot be read): the alignment's edge stands.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from fractions import Fraction

import av
import av.container
import numpy as np
from av.video.reformatter import VideoReformatter

from sage.timebase import Timebase
from videos.embeddings.fingerprint import cropped
from videos.engine.model import Difference, MatchedSpan, Stretch
from videos.engine.passes.base import PassState
from videos.engine.signals import PairSignals
from videos.engine.sources import MediaSource, open_source

logger = logging.getLogger(__name__)

# The alignment's edges are within a tenth of a second or so; searched this far either way.
EDGE_REACH_SECONDS = 0.4
# Frames at least this far inside the stretch (by the alignment's edge) fix its offset to the frame.
ANCHOR_SECONDS = 0.2
# B's frame facing A's is looked for this many of B's frames either side of the alignment's offset
# (a fiftieth of a second is more than a frame at 59.94 fps).
OFFSET_FRAMES = 2
THUMBNAIL_SIZE = (18, 32)  # rows × columns of grey the frames are compared at
_DECODE_SIZE = (96, 54)  # width × height decoded to, before the dark borders are cropped
# Two frames match when their thumbnails differ by no more than MATCHING_FACTOR times what the
# stretch's own matching frames differ by (a re-encode), and never less than a floor (mean absolute
# difference of luma, 0–1) that a frame's coding near an edit can reach: MOTION_FACTOR times what
# one of A's frames differs from the next there (its movement), kept within MATCHING_FLOOR_RANGE.
# A cut between two shots of one place can differ by less than a fixed 0.02 (0.0195 measured on
# real footage, where the frames moved 0.002 a frame): the floor follows the footage.
MATCHING_FACTOR = 3.0
MOTION_FACTOR = 3.0
MATCHING_FLOOR_RANGE = (0.004, 0.02)
# A stretch whose frames away from the edge differ by more than this does not match there (a
# changed picture, a grade): its edge is left where the alignment put it.
MATCHED_MOST = 0.06
# A single frame that does not match (a re-encoder's spoiled frame) is not yet the edge: two in a row are.
MISMATCHES_IN_A_ROW = 2
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


@dataclass(frozen=True)
class Frames:
    """Grey thumbnails of a file's frames near the edges: each frame's start in seconds from the
    first picture (sorted), its thumbnail (its mean taken off, so a brightness change alone is not a
    different frame), the file's timebase, and where the file ends when a decode reached its end."""

    starts: np.ndarray
    pictures: np.ndarray
    timebase: Timebase
    ends_at: float | None

    def facing(self, time: float) -> int | None:
        """The frame whose start is nearest `time`, when one starts within half a frame of it."""
        if not len(self.starts):
            return None
        index = int(np.clip(np.searchsorted(self.starts, time), 1, len(self.starts) - 1))
        if abs(self.starts[index - 1] - time) <= abs(self.starts[index] - time):
            index -= 1
        return index if abs(self.starts[index] - time) <= float(self.timebase.frame_seconds) / 2 else None

    def between(self, start: float, end: float) -> np.ndarray:
        """Indexes of the frames starting from `start` to `end`."""
        return np.flatnonzero((self.starts >= start) & (self.starts <= end))

    def end_of(self, index: int) -> float:
        return float(self.starts[index] + self.timebase.frame_seconds)


def read_frames(source: MediaSource, windows: list[tuple[float, float]]) -> Frames:
    """The thumbnails of `source`'s frames that start within `windows` (seconds from its first
    picture): a seek to the keyframe before each run of windows, and a decode to its end."""
    pictures: dict[int, tuple[float, np.ndarray]] = {}
    ends_at: float | None = None
    with open_source(source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = float(stream.time_base or 0)
        origin = stream.start_time * time_base if stream.start_time is not None and time_base else 0.0
        timebase = Timebase.measured(Fraction(stream.average_rate or stream.guessed_rate or 0))
        reformatter = VideoReformatter()
        for start, end in _merged(windows):
            container.seek(int((max(0.0, start) + origin) / time_base), stream=stream, backward=True)
            reached_end = True
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                time = frame.pts * time_base - origin
                if time > end:
                    reached_end = False
                    break
                if time >= start and frame.pts not in pictures:
                    pictures[frame.pts] = (time, _thumbnail(frame, reformatter))
            if reached_end and pictures:
                ends_at = max(time for time, _ in pictures.values()) + float(timebase.frame_seconds)
    ordered = sorted(pictures.values(), key=lambda item: item[0])
    rows, columns = THUMBNAIL_SIZE
    return Frames(
        starts=np.array([time for time, _ in ordered], np.float64),
        pictures=np.stack([picture for _, picture in ordered]) if ordered else np.zeros((0, rows, columns), np.float32),
        timebase=timebase,
        ends_at=ends_at,
    )


def _merged(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """`windows` in order with those that overlap joined (each run is decoded once)."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _thumbnail(frame: av.VideoFrame, reformatter: VideoReformatter) -> np.ndarray:
    """The frame's luma without its dark borders, area-averaged onto THUMBNAIL_SIZE, its mean taken off."""
    width, height = _DECODE_SIZE
    small = reformatter.reformat(frame, width=width, height=height, format="rgb24", interpolation="AREA")
    luma = cropped(small.to_ndarray().astype(np.float32) / 255.0) @ _LUMA
    rows, columns = THUMBNAIL_SIZE
    row_edges = np.linspace(0, luma.shape[0], rows + 1).astype(np.intp)
    column_edges = np.linspace(0, luma.shape[1], columns + 1).astype(np.intp)
    summed = np.add.reduceat(np.add.reduceat(luma, row_edges[:-1], axis=0), column_edges[:-1], axis=1)
    thumbnail = summed / np.maximum(np.diff(row_edges)[:, None] * np.diff(column_edges)[None, :], 1)
    centred: np.ndarray = (thumbnail - thumbnail.mean()).astype(np.float32)
    return centred


# --- one edge --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """An edge of a stretch shown in both videos, as the alignment put it: `a_time` on A, B at
    `a_time + offset`; `inside` +1 where the stretch follows the edge (its start), −1 where it
    comes before (its end); the stretch runs `length` seconds inside from the edge."""

    a_time: float
    offset: float
    inside: int
    length: float


@dataclass(frozen=True)
class ExactEdge:
    """Where the frames stop matching: the boundary on A and on B, in seconds, each k/rate."""

    a_time: float
    b_time: float


def exact_edge(edge: Edge, a: Frames, b: Frames) -> ExactEdge | None:
    """The boundary, nearest the alignment's edge, past which A's frames and B's facing them stop
    matching (module docstring); None when the frames do not settle it."""
    window = a.between(edge.a_time - EDGE_REACH_SECONDS, edge.a_time + EDGE_REACH_SECONDS)
    depth = (a.starts[window] - edge.a_time) * edge.inside
    anchors = window[(depth >= ANCHOR_SECONDS) & (depth < edge.length)]
    if not len(anchors):
        return None
    offset, typical = _frame_offset(edge.offset, anchors, a, b)
    if typical > MATCHED_MOST:
        return None
    limit = max(_matching_floor(anchors, a), MATCHING_FACTOR * typical)
    # From the deepest anchor outward: the last frame that matches before two that do not.
    ordered = window[window <= anchors.max()][::-1] if edge.inside > 0 else window[window >= anchors.min()]
    last_matching: int | None = None
    misses = 0
    for index in ordered.tolist():
        if _difference(index, offset, a, b) <= limit:
            last_matching, misses = index, 0
            continue
        misses += 1
        if misses >= MISMATCHES_IN_A_ROW:
            break
    else:
        # Matching to the window's end: the edge is there only where A's file begins or ends.
        if last_matching is None or not _file_edge(last_matching, edge.inside, a):
            return None
    if last_matching is None:
        return None
    a_time = float(a.starts[last_matching]) if edge.inside > 0 else a.end_of(last_matching)
    a_time = a.timebase.start(a.timebase.boundary_near(a_time))
    b_time = a_time + offset
    if b.timebase.rate == a.timebase.rate:  # the same frame grid: B's edge is a boundary too
        b_time = b.timebase.start(b.timebase.boundary_near(b_time))
    return ExactEdge(a_time, b_time)


def _frame_offset(offset: float, anchors: np.ndarray, a: Frames, b: Frames) -> tuple[float, float]:
    """B time − A time that puts B's frames on A's anchors, to the frame (of those OFFSET_FRAMES of
    B's either side of `offset`, the one the anchors match best at), and the anchors' median
    difference at it."""
    step = float(b.timebase.frame_seconds)
    best = (offset, np.inf)
    for shift in range(-OFFSET_FRAMES, OFFSET_FRAMES + 1):
        candidate = offset + shift * step
        typical = float(np.median([_difference(index, candidate, a, b) for index in anchors.tolist()]))
        if typical < best[1]:
            best = (candidate, typical)
    # Snapped to the two files' frames: the start of B's frame facing the first anchor, less A's.
    first = int(anchors[0])
    facing = b.facing(float(a.starts[first]) + best[0])
    if facing is not None:
        best = (float(b.starts[facing] - a.starts[first]), best[1])
    return best


def _matching_floor(anchors: np.ndarray, a: Frames) -> float:
    """The least difference that makes two frames not match by the edge: MOTION_FACTOR times the
    anchors' median movement from one of A's frames to the next (module constants)."""
    following = anchors[anchors + 1 < len(a.starts)]
    if not len(following):
        return MATCHING_FLOOR_RANGE[1]
    movement = float(np.median(np.abs(a.pictures[following] - a.pictures[following + 1]).mean(axis=(1, 2))))
    low, high = MATCHING_FLOOR_RANGE
    return float(np.clip(MOTION_FACTOR * movement, low, high))


def _difference(index: int, offset: float, a: Frames, b: Frames) -> float:
    """How much A's frame `index` and B's frame facing it differ (inf where B has no frame there)."""
    facing = b.facing(float(a.starts[index]) + offset)
    if facing is None:
        return np.inf
    return float(np.abs(a.pictures[index] - b.pictures[facing]).mean())


def _file_edge(index: int, inside: int, a: Frames) -> bool:
    """Whether A's frame `index` is the file's first (for a start) or last (for an end)."""
    if inside > 0:
        return float(a.starts[index]) <= float(a.timebase.frame_seconds) / 2
    return a.ends_at is not None and a.end_of(index) >= a.ends_at - float(a.timebase.frame_seconds) / 2


# --- the pass --------------------------------------------------------------------------------------


def _in_step(span: MatchedSpan) -> bool:
    return abs(span.rate - 1.0) <= 1e-6


def _edges_of(a_start: float, a_end: float, offset: float) -> tuple[Edge, Edge]:
    length = a_end - a_start
    return Edge(a_start, offset, +1, length), Edge(a_end, offset, -1, length)


def _reads(edges: list[Edge], b_side: bool) -> list[tuple[float, float]]:
    """The stretches of A (or B) decoded for `edges`: B's reach one offset search wider."""
    margin = OFFSET_FRAMES * 0.05 if b_side else 0.0  # two frames at the slowest rate met (20 fps)
    return [
        (
            edge.a_time + (edge.offset if b_side else 0.0) - EDGE_REACH_SECONDS - margin,
            edge.a_time + (edge.offset if b_side else 0.0) + EDGE_REACH_SECONDS + margin,
        )
        for edge in edges
    ]


@dataclass(frozen=True)
class Ends:
    """Where the two videos end (seconds): an edge at both videos' start or both their ends is no
    edit, and is left where the alignment put it. A re-encode that ends a few frames short, or
    whose last frames a low bitrate spoils, would otherwise leave a stretch at the end unmatched."""

    a: float
    b: float

    def at_both_starts(self, a_time: float, offset: float) -> bool:
        return a_time <= EDGE_REACH_SECONDS and a_time + offset <= EDGE_REACH_SECONDS

    def at_both_ends(self, a_time: float, offset: float) -> bool:
        return a_time >= self.a - EDGE_REACH_SECONDS and a_time + offset >= self.b - EDGE_REACH_SECONDS


def _placed(
    a_start: float,
    a_end: float,
    offset: float,
    a: Frames,
    b: Frames,
    ends: Ends,
    sped: tuple[bool, bool] = (False, False),
) -> tuple[float, float, float] | None:
    """A's start and end of a stretch at `offset` on the frames' boundaries, and its offset to the
    frame: from the start's edge, or the end's when the start is not settled. None when neither is.
    An edge where a span B plays at another speed begins or ends (`sped`: before the start, after
    the end) is left: the frames part there little by little, and the matching stops only where
    they have drifted a few frames apart."""
    start_edge, end_edge = _edges_of(a_start, a_end, offset)
    start = None if sped[0] or ends.at_both_starts(a_start, offset) else exact_edge(start_edge, a, b)
    end = None if sped[1] or ends.at_both_ends(a_end, offset) else exact_edge(end_edge, a, b)
    settled = start if start is not None else end
    if settled is None:
        return None
    new_start = start.a_time if start is not None else a_start
    new_end = end.a_time if end is not None else a_end
    if new_end - new_start <= 0:
        return None
    return new_start, new_end, settled.b_time - settled.a_time


def _meets_sped(neighbour: MatchedSpan, span: MatchedSpan) -> bool:
    """Whether `neighbour`, next to `span`, is played at another speed and touches it on A."""
    touching = min(abs(neighbour.a_end - span.a_start), abs(span.a_end - neighbour.a_start)) <= EDGE_REACH_SECONDS
    return not _in_step(neighbour) and touching


def exact_spans(spans: list[MatchedSpan], a: Frames, b: Frames, ends: Ends) -> list[MatchedSpan]:
    """The spans in step with their edges on the frames' boundaries, kept in order (none starting
    before the one before it ends, on either video)."""
    placed: list[MatchedSpan] = []
    for number, span in enumerate(spans):
        sped = (
            number > 0 and _meets_sped(spans[number - 1], span),
            number + 1 < len(spans) and _meets_sped(spans[number + 1], span),
        )
        found = _placed(span.a_start, span.a_end, span.offset, a, b, ends, sped) if _in_step(span) else None
        if found is not None:
            a_start, a_end, offset = found
            # A drifting sound's lag is given at the span's start: moved with it.
            lag = span.sound_lag + span.sound_drift * (a_start - span.a_start)
            span = MatchedSpan(a_start, a_end, a_start + offset, a_end + offset, lag, span.sound_drift)
        if placed and (span.a_start < placed[-1].a_end or span.b_start < placed[-1].b_end):
            previous = placed[-1]
            shift = max(previous.a_end - span.a_start, previous.b_end - span.b_start, 0.0)
            span = dataclasses.replace(span, a_start=span.a_start + shift, b_start=span.b_start + shift * span.rate)
        placed.append(span)
    return placed


def _move_stretch(move: Difference) -> tuple[float, float, float] | None:
    """A "moved" finding's start and end on A and its offset to B (None without a place on both)."""
    if move.a_start is None or move.a_end is None or move.b_start is None:
        return None
    return move.a_start, move.a_end, move.b_start - move.a_start


def exact_move(move: Difference, a: Frames, b: Frames, ends: Ends) -> Difference:
    """A "moved" finding with its edges on the frames' boundaries."""
    stretch = _move_stretch(move)
    found = _placed(*stretch, a, b, ends) if stretch is not None else None
    if found is None:
        return move
    a_start, a_end, offset = found
    return dataclasses.replace(move, a_start=a_start, a_end=a_end, b_start=a_start + offset, b_end=a_end + offset)


@dataclass(frozen=True)
class FrameEdges:
    """Edges on the exact frame (module docstring), when the two files are given."""

    sources: tuple[MediaSource, MediaSource] | None = None
    name: str = "frame-exact edges"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        if self.sources is None or not state.spans:
            return state
        moves = [finding for finding in state.findings if finding.kind == "moved"]
        stretches = [(span.a_start, span.a_end, span.offset) for span in state.spans if _in_step(span)]
        stretches += [stretch for stretch in map(_move_stretch, moves) if stretch is not None]
        edges = [edge for stretch in stretches for edge in _edges_of(*stretch)]
        try:
            a = read_frames(self.sources[0], _reads(edges, b_side=False))
            b = read_frames(self.sources[1], _reads(edges, b_side=True))
        except (av.error.FFmpegError, OSError, IndexError) as error:  # unreadable: the alignment's edges stand
            logger.warning("frame-exact edges skipped: %s", error)
            return state
        ends = Ends(signals.a.duration, signals.b.duration)
        findings = [
            exact_move(finding, a, b, ends) if finding.kind == "moved" else finding for finding in state.findings
        ]
        spans = exact_spans(state.spans, a, b, ends)
        candidates = [_on_span(stretch, state.spans, spans) for stretch in state.candidates]
        return dataclasses.replace(state, spans=spans, findings=findings, candidates=candidates)


def _on_span(stretch: Stretch, spans: list[MatchedSpan], placed: list[MatchedSpan]) -> Stretch:
    """A candidate along a span in step at that span's offset to the frame (`placed` is `spans` with
    their edges on the frame, one for one): measured there, a change's edges on A face B's frames
    exactly, and its frames are scored against the very frames of B facing them."""
    if stretch.rate != 1.0:
        return stretch
    middle = (stretch.a_start + stretch.a_end) / 2
    for span, exact in zip(spans, placed, strict=True):
        if _in_step(span) and _in_step(exact) and span.a_start <= middle <= span.a_end:
            return dataclasses.replace(stretch, offset=exact.offset)
    return stretch
