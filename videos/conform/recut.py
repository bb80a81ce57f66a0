"""The recut: sound laid to v1 conformed to v2 by the change list's events.

Pure numpy over a `Source` (anything that reads v1's samples by position): an upload on disk
(`wav.SoundReader`) or an array (`ArraySource`, the null test's decoded v1 and the tests' made
sound). The output is v2's length, in v2's order:

- an event that carries v1 (kept, moved) takes v1's samples between its edges, converted to
  samples exactly (`to_sample`: the nearest sample to the frame edge, the same sample for the two
  events that share an edge), bit for bit;
- removed and trimmed material is gone; inserted and replaced stretches are silence, listed in
  the plan (`RecutPlan.silences`) so the editor knows what to fill;
- a speed-changed event is varispeed, as an NLE's speed change plays its sound unless told to keep
  the pitch (Premiere's "Maintain Audio Pitch" off, Resolve's retime): v1's stretch resampled
  (band-limited, polyphase) to v2's length, its pitch moving with the speed;
- every edit point (two neighbours that are not one continuous stretch of v1) gets a crossfade of
  `FADE_SECONDS` centred on the edit, each side reaching past its edge into v1's sound there (the
  "handle"). Equal gain (cos² out, sin² in, summing to 1): the sound either side of a picture edit
  inside a scene is the same room and voice, correlated, and equal gain keeps that at its level
  where equal power would swell it by up to 3 dB mid-fade. Short, so a word cut at the edit stays cut.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import numpy as np
from scipy.signal import resample_poly  # type: ignore[import-untyped]  # scipy ships no stubs

from videos.conform.events import ChangeEvent
from videos.conform.wav import SAMPLE_RATE

FADE_SECONDS = Fraction(4, 1000)  # 4 ms: 192 samples at 48 kHz
# Frames (samples × channels) read and written at a time: 8 MB of int32 at 8 channels.
BLOCK_FRAMES = 1 << 18
# The largest denominator of a speed ratio the resampler works with; v2's length is kept exactly.
_SPEED_DENOMINATOR = 2000


class Source(Protocol):
    """v1's sound, readable anywhere: samples before its start or past its end read as silence."""

    def read(self, start: int, count: int) -> np.ndarray: ...

    def silence(self, count: int) -> np.ndarray:
        """`count` frames of silence at the source's channels and sample type."""
        ...


class ArraySource:
    """Sound held in memory (frames × channels) as a Source."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples if samples.ndim == 2 else samples[:, None]

    def silence(self, count: int) -> np.ndarray:
        return np.zeros((count, self.samples.shape[1]), self.samples.dtype)

    def read(self, start: int, count: int) -> np.ndarray:
        block = self.silence(count)
        low, high = max(start, 0), min(start + count, len(self.samples))
        if high > low:
            block[low - start : high - start] = self.samples[low:high]
        return block


def to_sample(seconds: Fraction) -> int:
    """The sample nearest an exact time (half a sample rounds up)."""
    return math.floor(seconds * SAMPLE_RATE + Fraction(1, 2))


@dataclass(frozen=True)
class Piece:
    """One stretch of v2's sound: output samples [out_start, out_end) from v1's [src_start, src_end)
    (None: silence). `fade_in`/`fade_out`: the half-widths of the crossfades at its edges."""

    number: int
    kind: str
    out_start: int
    out_end: int
    src_start: int | None
    src_end: int | None
    fade_in: int = 0
    fade_out: int = 0

    @property
    def silent(self) -> bool:
        return self.src_start is None

    @property
    def varispeed(self) -> bool:
        return self.src_start is not None and self.src_end - self.src_start != self.out_end - self.out_start  # type: ignore[operator]

    def continues(self, other: Piece) -> bool:
        """Whether `other`, right after this, goes on with the same stretch of v1 (no edit between)."""
        return (
            not self.silent
            and not other.silent
            and not self.varispeed
            and not other.varispeed
            and self.src_end == other.src_start
        )


@dataclass(frozen=True)
class RecutPlan:
    pieces: tuple[Piece, ...]
    length: int  # v2's length in samples

    @property
    def silences(self) -> list[Piece]:
        """The stretches left silent (inserted, replaced): what the editor has to fill."""
        return [piece for piece in self.pieces if piece.silent]


def recut_plan(events: Sequence[ChangeEvent], *, fade: int = to_sample(FADE_SECONDS)) -> RecutPlan:
    """Where each of v2's samples comes from, by the events (in any order): pieces in v2's order
    covering v2 whole (a stretch no event names is silence), with the crossfade at each edit."""
    half = fade // 2
    pieces: list[Piece] = []
    cursor = 0
    for event in sorted(events, key=lambda event: (event.v2_start, event.number)):
        out_start, out_end = to_sample(event.v2_start), to_sample(event.v2_end)
        if out_end <= out_start:
            continue  # removed or trimmed: nothing of it plays in v2
        if out_start > cursor:
            pieces.append(
                Piece(number=0, kind="gap", out_start=cursor, out_end=out_start, src_start=None, src_end=None)
            )
        out_start = max(out_start, cursor)
        if out_end <= out_start:
            continue
        src_start = src_end = None
        if event.carries_v1:
            assert event.v1_start is not None and event.v1_end is not None
            src_start = to_sample(event.v1_start)
            # Kept and moved material takes exactly v2's count of samples (at 29.97 the two ends of a
            # stretch may round apart by a sample); a speed change takes v1's whole stretch.
            src_end = to_sample(event.v1_end) if event.speed != 1 else src_start + (out_end - out_start)
        pieces.append(
            Piece(
                number=event.number, kind=event.kind, out_start=out_start, out_end=out_end, src_start=src_start,
                src_end=src_end,
            )
        )  # fmt: skip
        cursor = out_end
    faded: list[Piece] = []
    for index, piece in enumerate(pieces):
        before = pieces[index - 1] if index > 0 else None
        after = pieces[index + 1] if index + 1 < len(pieces) else None
        fade_in = 0 if before is None or before.continues(piece) else _edit_half(before, piece, half)
        fade_out = 0 if after is None or piece.continues(after) else _edit_half(piece, after, half)
        faded.append(Piece(**{**piece.__dict__, "fade_in": fade_in, "fade_out": fade_out}))
    return RecutPlan(pieces=tuple(faded), length=cursor)


def _edit_half(left: Piece, right: Piece, half: int) -> int:
    """The crossfade's half-width at the edit between two pieces: shorter where a piece is too
    short to hold half of each of its fades, so that no two fades overlap; none between silences."""
    if left.silent and right.silent:
        return 0
    return min(half, (left.out_end - left.out_start) // 2, (right.out_end - right.out_start) // 2)


def recut_blocks(
    plan: RecutPlan, source: Source, *, block: int = BLOCK_FRAMES, on_progress: Callable[[float], None] | None = None
) -> Iterator[np.ndarray]:
    """v2's sound, in order, as blocks of at most `block` frames at the source's sample type."""
    done = 0
    for index, piece in enumerate(plan.pieces):
        sound = _PieceSound(piece, source)
        after = plan.pieces[index + 1] if index + 1 < len(plan.pieces) else None
        body_start, body_end = piece.out_start + piece.fade_in, piece.out_end - piece.fade_out
        for start in range(body_start, body_end, block):
            yield sound.read(start, min(block, body_end - start))
            done += min(block, body_end - start)
            if on_progress is not None and plan.length:
                on_progress(done / plan.length)
        if after is not None and piece.fade_out:
            edit, half = piece.out_end, piece.fade_out
            yield _crossfade(sound.read(edit - half, 2 * half), _PieceSound(after, source).read(edit - half, 2 * half))
            done += 2 * half


def recut_array(plan: RecutPlan, source: Source) -> np.ndarray:
    """The recut held in memory (short sound: the null test, tests)."""
    blocks = list(recut_blocks(plan, source))
    if not blocks:
        return source.silence(0)
    return np.concatenate(blocks)


class _PieceSound:
    """A piece's sound at any output position, past its edges too (the handles a crossfade reaches
    into): v1 goes on beyond the stretch; silence stays silent. A varispeed piece is resampled once,
    whole; its handles are v1's sound beyond the stretch at normal speed (a few milliseconds, faded)."""

    def __init__(self, piece: Piece, source: Source) -> None:
        self.piece = piece
        self.source = source
        self._resampled: np.ndarray | None = None

    def read(self, start: int, count: int) -> np.ndarray:
        piece = self.piece
        if piece.silent:
            return self.source.silence(count)
        assert piece.src_start is not None and piece.src_end is not None
        if not piece.varispeed:
            return self.source.read(piece.src_start + start - piece.out_start, count)
        out = self.source.silence(count)  # every row is written below
        # Before the stretch and after it: v1 beyond its edges at normal speed; inside: resampled.
        before = min(max(piece.out_start - start, 0), count)
        out[:before] = self.source.read(piece.src_start - (piece.out_start - start), before)
        first_after = min(max(piece.out_end, start), start + count)
        out[first_after - start :] = self.source.read(
            piece.src_end + first_after - piece.out_end, start + count - first_after
        )
        low, high = max(start, piece.out_start), min(start + count, piece.out_end)
        if high > low:
            out[low - start : high - start] = self._body()[low - piece.out_start : high - piece.out_start]
        return out

    def _body(self) -> np.ndarray:
        if self._resampled is None:
            piece = self.piece
            assert piece.src_start is not None and piece.src_end is not None
            raw = self.source.read(piece.src_start, piece.src_end - piece.src_start)
            length = piece.out_end - piece.out_start
            ratio = Fraction(length, max(1, len(raw))).limit_denominator(_SPEED_DENOMINATOR)
            stretched = resample_poly(raw.astype(np.float64), ratio.numerator, ratio.denominator, axis=0)
            body = np.zeros((length, raw.shape[1]), np.float64)
            body[: min(length, len(stretched))] = stretched[:length]
            self._resampled = _to_type(body, raw.dtype)
        return self._resampled


def _crossfade(leaving: np.ndarray, arriving: np.ndarray) -> np.ndarray:
    """Equal-gain crossfade (cos² + sin² = 1) over the two sides' sound across an edit."""
    count = len(leaving)
    phase = (np.arange(count, dtype=np.float64) + 0.5) / count * (np.pi / 2)
    fade_in = np.sin(phase)[:, None] ** 2
    mixed = leaving.astype(np.float64) * (1.0 - fade_in) + arriving.astype(np.float64) * fade_in
    return _to_type(mixed, leaving.dtype)


def _to_type(values: np.ndarray, dtype: np.dtype[np.generic]) -> np.ndarray:
    """Computed samples back at the source's type: int32 rounded and kept in range."""
    if np.issubdtype(dtype, np.integer):  # int32: integer samples are read as libsndfile's int32
        limits = np.iinfo(np.int32)
        return np.clip(np.round(values), limits.min, limits.max).astype(dtype)
    return values.astype(dtype)
