"""Versions of natural footage made from edit lists, and the ground truth that follows from them.

A :class:`Version` is an edit list over source time — pieces of programmes played in turn, some of
them from the case's main programme — plus changes made to the main programme over stretches of
its source time (:mod:`.overlays`), and how it is encoded. Because every picture and sound is a
function of source time, :func:`derive_truth` knows exactly which moment of B shows which moment
of A, and where they differ::

    main = Programme(seed=3, seconds=40)
    a = Version((Piece(main, 0, 40),))
    b = Version((Piece(main, 0, 17.3), Piece(Programme(seed=90, seconds=10), 2, 5.7), Piece(main, 17.3, 40)))
    derive_truth(a, b, main).segments  # [only_b: A 17.3 (a point), B 17.3–21.0]

The truth's conventions (the comparison engine's contract, issue 13):
- `offset`: seconds to add to a time on A to get the same moment on B, over the first matched span;
- `matched_spans`: the stretches shown in both versions (changed or not), A range ↔ B range;
- segments: "only_a"/"only_b" for every stretch one version has and the other has not — at the
  ends too: B's 3.4 s of extra lead-in is an only_b segment at A's 0 — with `a_start == a_end`
  (for only_b) the point on A where B's extra stretch sits, and the other way round; "visual",
  "audio" or "both" where a matched stretch differs in its picture, its sound or both.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Generic, Literal, TypeVar

import av
import numpy as np

from .content import SAMPLE_RATE
from .natural import Programme, ProgrammePainter
from .natural_sound import ambience_stem, music_stem, speech_stem
from .overlays import (
    Banner,
    BurnedText,
    DropSpeech,
    Effect,
    Grade,
    Logo,
    MusicLevel,
    Mute,
    ReplacePicture,
    SwapMusic,
    music_gain,
)
from .writing import container_for, write_streams

Severity = Literal["low", "medium", "high"]
TruthKind = Literal["visual", "audio", "both", "only_a", "only_b"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")
STEREO_WIDTH = 0.35  # the music is panned this much in a stereo version; the mono downmix is unchanged
_EPSILON = 1e-6
_RAMP_SECONDS = 0.01  # sound changes come in and out over 10 ms (no clicks)
Source = TypeVar("Source")


@dataclass(frozen=True)
class Piece(Generic[Source]):
    """`start`–`end` seconds of `source`, played in a version (a programme here; a footage file in a
    real-footage reel)."""

    source: Source
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Change:
    """`effects` applied to the main programme from `start` to `end` seconds of its source time,
    wherever a version plays that stretch. `floor`: the least severity a comparison may give it."""

    start: float
    end: float
    effects: tuple[Effect, ...]
    floor: Severity | None = None

    def channels(self) -> set[str]:
        return {effect.channel for effect in self.effects}


@dataclass(frozen=True)
class Encoding:
    """How a version is written: frame size, rate, container (by `suffix`) and codec settings.
    `picture`: the size the picture is scaled to inside the frame, centred on black (letterbox or
    pillarbox); None fills the frame. `sample_rate` and `layout` of the sound (the music is panned
    in stereo; its mono downmix is the mono version's sound). Codecs follow the suffix (H.264 + AAC
    in .mp4, VP9 + Opus in .webm) unless `codec` names another."""

    width: int = 320
    height: int = 180
    fps: int | Fraction = 30  # 30000/1001: NTSC's
    suffix: str = ".mp4"
    codec: str | None = None
    crf: int | None = None
    bitrate: int | None = None
    picture: tuple[int, int] | None = None
    sample_rate: int = SAMPLE_RATE
    layout: Literal["mono", "stereo"] = "mono"
    audio_bitrate: int | None = None
    preset: str = "ultrafast"  # x264's: the corpus is long, and ultrafast encodes ~5× faster


@dataclass(frozen=True)
class Version:
    pieces: tuple[Piece[Programme], ...]
    changes: tuple[Change, ...] = ()
    encoding: Encoding = Encoding()

    @property
    def seconds(self) -> float:
        return sum(piece.seconds for piece in self.pieces)

    def piece_starts(self) -> list[float]:
        """Where each piece starts on the version's own timeline."""
        return [float(start) for start in np.cumsum([0.0, *(piece.seconds for piece in self.pieces)])[:-1]]


@dataclass(frozen=True)
class TruthSegment:
    kind: TruthKind
    a_start: float
    a_end: float
    b_start: float
    b_end: float
    floor: Severity | None = None  # the least severity acceptable (None: any)


@dataclass(frozen=True)
class Truth:
    offset: float | None
    matched_spans: tuple[tuple[float, float, float, float], ...]
    segments: tuple[TruthSegment, ...]


# --- the truth ---------------------------------------------------------------------------------


def _round(value: float) -> float:
    return round(value, 6)


def derive_truth(a: Version, b: Version, main: Programme) -> Truth:
    """What a perfect comparison of `a` with `b` reports (see the module's docstring)."""
    # Moments both versions show: the overlaps of pieces of the same source.
    shared: list[tuple[float, float, float, float, Programme, float]] = []  # a0, a1, b0, b1, source, s0
    for a_piece, a_at in zip(a.pieces, a.piece_starts(), strict=True):
        for b_piece, b_at in zip(b.pieces, b.piece_starts(), strict=True):
            if a_piece.source != b_piece.source:
                continue
            low, high = max(a_piece.start, b_piece.start), min(a_piece.end, b_piece.end)
            if high - low > _EPSILON:
                a0, b0 = a_at + low - a_piece.start, b_at + low - b_piece.start
                shared.append((a0, a0 + high - low, b0, b0 + high - low, a_piece.source, low))
    shared.sort()
    spans: list[list[float]] = []  # a0, a1, b0, b1 — merged where both timelines run on
    sources: list[list[tuple[float, float, float, Programme, float]]] = []  # per span: (a0, a1, b0, source, s0)
    for a0, a1, b0, b1, source, s0 in shared:
        if spans and b0 < spans[-1][3] - _EPSILON:
            raise ValueError("the versions play their shared stretches in different orders: not supported")
        if spans and abs(a0 - spans[-1][1]) < _EPSILON and abs(b0 - spans[-1][3]) < _EPSILON:
            spans[-1][1], spans[-1][3] = a1, b1
            sources[-1].append((a0, a1, b0, source, s0))
        else:
            spans.append([a0, a1, b0, b1])
            sources.append([(a0, a1, b0, source, s0)])

    segments: list[TruthSegment] = []
    previous_a, previous_b = 0.0, 0.0
    for a0, a1, b0, b1 in [*spans, [a.seconds, a.seconds, b.seconds, b.seconds]]:
        if a0 - previous_a > _EPSILON:
            segments.append(TruthSegment("only_a", previous_a, a0, previous_b, previous_b))
        if b0 - previous_b > _EPSILON:
            segments.append(TruthSegment("only_b", previous_a, previous_a, previous_b, b0))
        previous_a, previous_b = a1, b1
    for parts in sources:
        for part_a0, part_a1, part_b0, source, s0 in parts:
            if source == main:
                segments.extend(_changed(a, b, part_a0, part_b0, s0, s0 + part_a1 - part_a0))
    segments = _merge(sorted(segments, key=lambda segment: (segment.a_start, segment.b_start)))
    return Truth(
        offset=_round(spans[0][2] - spans[0][0]) if spans else None,
        matched_spans=tuple(tuple(_round(value) for value in span) for span in spans),  # type: ignore[misc]
        segments=tuple(
            TruthSegment(s.kind, _round(s.a_start), _round(s.a_end), _round(s.b_start), _round(s.b_end), s.floor)
            for s in segments
        ),
    )


def _changed(a: Version, b: Version, a0: float, b0: float, s0: float, s1: float) -> list[TruthSegment]:
    """Where the changes of A and B differ over the shared source stretch s0–s1 of the main
    programme (shown from a0 on A and b0 on B)."""
    cuts = sorted({s0, s1, *(t for c in (*a.changes, *b.changes) for t in (c.start, c.end) if s0 < t < s1)})
    found: list[TruthSegment] = []
    for low, high in itertools.pairwise(cuts):
        middle = (low + high) / 2
        in_a = [c for c in a.changes if c.start <= middle < c.end]
        in_b = [c for c in b.changes if c.start <= middle < c.end]
        kinds = set()
        for channel in ("picture", "sound"):
            effects_a = {e for c in in_a for e in c.effects if e.channel == channel}
            effects_b = {e for c in in_b for e in c.effects if e.channel == channel}
            if effects_a != effects_b:
                kinds.add(channel)
        if not kinds:
            continue
        kind: TruthKind = "both" if len(kinds) == 2 else "visual" if "picture" in kinds else "audio"
        floors = [c.floor for c in (*in_a, *in_b) if c.floor is not None]
        floor = max(floors, key=SEVERITIES.index) if floors else None
        found.append(TruthSegment(kind, a0 + low - s0, a0 + high - s0, b0 + low - s0, b0 + high - s0, floor))
    return found


def _merge(segments: list[TruthSegment]) -> list[TruthSegment]:
    """Adjacent segments of one kind that run on in both versions are one."""
    merged: list[TruthSegment] = []
    for segment in segments:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.kind == segment.kind
            and abs(last.a_end - segment.a_start) < _EPSILON
            and abs(last.b_end - segment.b_start) < _EPSILON
        ):
            floors = [f for f in (last.floor, segment.floor) if f is not None]
            floor = max(floors, key=SEVERITIES.index) if floors else None
            merged[-1] = TruthSegment(segment.kind, last.a_start, segment.a_end, last.b_start, segment.b_end, floor)
        else:
            merged.append(segment)
    return merged


# --- rendering ---------------------------------------------------------------------------------


def _frames(version: Version, main: Programme, master: tuple[int, int]) -> Iterator[np.ndarray]:
    width, height = master
    painters: dict[Programme, ProgrammePainter] = {}

    def painter(source: Programme) -> ProgrammePainter:
        if source not in painters:
            painters[source] = ProgrammePainter(source, width, height)
        return painters[source]

    encoding = version.encoding
    starts = version.piece_starts()
    count = round(version.seconds * encoding.fps)
    for index in range(count):
        at = index / encoding.fps
        number = max(0, bisect.bisect_right(starts, at + _EPSILON) - 1)
        piece = version.pieces[number]
        source_time = piece.start + at - starts[number]
        changes = [c for c in version.changes if piece.source == main and c.start <= source_time < c.end]
        replacement = next((e for c in changes for e in c.effects if isinstance(e, ReplacePicture)), None)
        image = painter(replacement.source if replacement else piece.source).frame(source_time)
        overlays = [(c, e) for c in changes for e in c.effects if isinstance(e, Logo | BurnedText | Banner | Grade)]
        if overlays:
            canvas = image.astype(np.float32)
            for change, effect in overlays:
                effect.apply(canvas, source_time - change.start)
            image = np.clip(canvas, 0, 255).astype(np.uint8)
        yield _fit(image, encoding)


def _fit(image: np.ndarray, encoding: Encoding) -> np.ndarray:
    """The picture scaled into the frame with black bars, when the encoding asks for them (else
    write_streams scales it to the frame)."""
    if encoding.picture is None:
        return image
    picture_width, picture_height = encoding.picture
    scaled = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(
        width=picture_width, height=picture_height, interpolation="BICUBIC"
    )
    frame = np.zeros((encoding.height, encoding.width, 3), np.uint8)
    top, left = (encoding.height - picture_height) // 2, (encoding.width - picture_width) // 2
    frame[top : top + picture_height, left : left + picture_width] = scaled.to_ndarray(format="rgb24")
    return frame


def _stems(source: Programme, first: int, count: int) -> list[np.ndarray]:
    """Speech, music and ambience of `source` from sample `first`, `count` samples (zeros past its end)."""
    stems = []
    for stem in (speech_stem(source), music_stem(source), ambience_stem(source)):
        piece = np.zeros(count, np.float32)
        available = stem[first : first + count]
        piece[: len(available)] = available
        stems.append(piece)
    return stems


def version_sound(version: Version, main: Programme) -> np.ndarray:
    """The version's sound at SAMPLE_RATE: mono (n,), or (2, n) for a stereo encoding."""
    total = round(version.seconds * SAMPLE_RATE)
    speech, music, ambience = (np.zeros(total, np.float32) for _ in range(3))
    for piece, at in zip(version.pieces, version.piece_starts(), strict=True):
        first, last = round(at * SAMPLE_RATE), round((at + piece.seconds) * SAMPLE_RATE)
        last = min(last, total)
        source_first = round(piece.start * SAMPLE_RATE)
        stems = _stems(piece.source, source_first, last - first)
        if piece.source == main:
            _apply_sound_changes(stems, version.changes, source_first, main)
        for whole, part in zip((speech, music, ambience), stems, strict=True):
            whole[first:last] = part
    mix = speech + music + ambience
    if version.encoding.layout == "stereo":
        return np.stack([mix + STEREO_WIDTH * music, mix - STEREO_WIDTH * music])
    return mix


def _apply_sound_changes(
    stems: list[np.ndarray], changes: tuple[Change, ...], source_first: int, main: Programme
) -> None:
    count = len(stems[0])
    for change in changes:
        first = max(round(change.start * SAMPLE_RATE), source_first)
        last = min(round(change.end * SAMPLE_RATE), source_first + count)
        if first >= last:
            continue
        # How much of the change is in: 0 → 1 over 10 ms at its start, 1 → 0 at its end.
        positions = np.arange(first, last)
        ramp = round(_RAMP_SECONDS * SAMPLE_RATE)
        weight = np.minimum(
            1.0,
            np.minimum(positions - round(change.start * SAMPLE_RATE) + 1, round(change.end * SAMPLE_RATE) - positions)
            / ramp,
        ).astype(np.float32)
        window = slice(first - source_first, last - source_first)
        for effect in change.effects:
            speech, music, ambience = (stem[window] for stem in stems)
            if isinstance(effect, Mute):
                for part in (speech, music, ambience):
                    part *= 1 - weight
            elif isinstance(effect, DropSpeech):
                speech *= 1 - weight
            elif isinstance(effect, MusicLevel):
                music *= 1 + (music_gain(effect) - 1) * weight
            elif isinstance(effect, SwapMusic):
                other = _stems(effect.source, first, last - first)[1]
                music += (other - music) * weight


def render_version(version: Version, main: Programme, master: tuple[int, int], path: Path) -> Path:
    """Write `version` to `path`: pictures drawn at `master` size, then fitted to the encoding."""
    return write_encoded(path, _frames(version, main, master), version_sound(version, main), version.encoding)


def write_encoded(path: Path, frames: Iterable[np.ndarray], samples: np.ndarray, encoding: Encoding) -> Path:
    """Encode RGB `frames` and float `samples` at SAMPLE_RATE into `path` as `encoding` says."""
    return write_streams(
        path,
        frames=frames,
        width=encoding.width,
        height=encoding.height,
        fps=encoding.fps,
        container=container_for(path),
        codec=encoding.codec,
        crf=encoding.crf,
        bitrate=encoding.bitrate,
        samples=samples,
        sample_rate=encoding.sample_rate,
        audio_bitrate=encoding.audio_bitrate,
        preset=encoding.preset,
    )
