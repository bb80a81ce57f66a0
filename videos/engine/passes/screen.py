"""Engine 2's screening: the stretches along the matched spans that may differ, from the
fingerprints alone (videos.engine.pipeline verifies them on the files).

Along every span, each picture sample of A is set against B's at the same moment (the nearer of
B's two samples around it) and the sound is scored every STEP with verification's own measure
(videos.engine.verify.sound_changes) on the fingerprint's coarser levels; steps that move more
than re-encoding does become candidates, widened and joined into stretches.

A span is screened in pieces of PIECE_STEPS steps, two at a time: a 3-hour span's sound frames as
float32 are ~35 MB per video, and a piece's working arrays stay in the processor's cache.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from videos.embeddings.fingerprint import LUMA_GRID
from videos.engine.model import STEP, MatchedSpan, Stretch
from videos.engine.passes.base import PassState
from videos.engine.passes.sync import heard_bounds, sound_lag_at
from videos.engine.pitch import pitch_matched
from videos.engine.signals import PairSignals
from videos.engine.verify import SOUND_WINDOW, rows_from, sound_changes

# What counts as "moved more than re-encoding does" on the fingerprints.
SCREEN_PICTURE = 0.025  # a luma cell or twice a chroma cell, 0–1
SCREEN_SOUND = 0.1  # verification's sound score on the fingerprint's coarser levels (re-encodes ≤ 0.05)
# Candidates are widened by this on each side and joined when closer than _JOIN_SECONDS (a sound
# change under a voice comes and goes with the voice; one stretch lets judging close its gaps).
_PAD_SECONDS = 0.4
_JOIN_SECONDS = 3.0
PIECE_STEPS = 3000  # 5 minutes
# NumPy lets go of the interpreter lock inside its loops over arrays, so two threads keep both
# cores busy on a long comparison.
_THREADS = 2


def screen(signals: PairSignals, spans: list[MatchedSpan]) -> list[Stretch]:
    """Candidate stretches along the spans (see the module docstring)."""
    pieces: list[tuple[MatchedSpan, np.ndarray, tuple[float, float]]] = []
    for span in spans:
        times = np.arange(span.a_start + STEP / 2, span.a_end, STEP)
        if not len(times):
            continue
        bounds = (float(times[0]) - STEP / 2, float(times[-1]) + STEP / 2)
        for piece in np.array_split(times, math.ceil(len(times) / PIECE_STEPS)):
            pieces.append((span, piece, bounds))

    def flagged(piece: tuple[MatchedSpan, np.ndarray, tuple[float, float]]) -> np.ndarray:
        span, times, bounds = piece
        # Along a span B plays at (B's time at its rate: a speed change), one offset per step.
        offsets = span.offset + (times - span.a_start) * (span.rate - 1.0) if span.rate != 1.0 else span.offset
        moved = picture_scores(signals, times, offsets) > SCREEN_PICTURE
        # B's sound where it is heard: a constant lag as one figure, a drifting one per step.
        lag = sound_lag_at(span, times) if span.sound_drift else span.sound_lag
        # At another speed, B's sound is read at each step's own time (its picture's, then its
        # lag), and moved down in pitch by the speed where that matches better.
        heard = lag + (offsets - span.offset) if span.rate != 1.0 else lag
        sound = sound_scores(signals, times, span.offset, bounds, lag=heard, ratio=1.0 / span.rate)
        if sound is not None:
            moved |= sound > SCREEN_SOUND
        return times[moved]

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        flagged_times = list(pool.map(flagged, pieces))
    stretches: list[Stretch] = []
    for span in spans:
        times_in_span = [
            times for (piece_span, _, _), times in zip(pieces, flagged_times, strict=True) if piece_span is span
        ]
        if times_in_span:
            stretches.extend(_stretches(np.concatenate(times_in_span), span))
    return stretches


def picture_scores(signals: PairSignals, times: np.ndarray, offset: float | np.ndarray) -> np.ndarray:
    """At each of `times` on A, how far A's picture sample is from the nearer of B's two around
    the same moment (B read `offset` later: one figure, or one per time)."""
    first, second, rate = signals.picture_a, signals.picture_b, signals.visual_rate
    index_a = np.clip(np.rint(times * rate).astype(np.int64), 0, len(first) - 1)
    position_b = (times + offset) * rate
    lower = np.clip(np.floor(position_b).astype(np.int64), 0, len(second) - 1)
    upper = np.clip(lower + 1, 0, len(second) - 1)
    rows_a = first[index_a]
    nearer: np.ndarray = np.minimum(_picture_distance(rows_a, second[lower]), _picture_distance(rows_a, second[upper]))
    return nearer


def _picture_distance(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The largest luma cell change or twice the largest chroma cell change: a corner logo may
    sit in one cell, a colour grade moves the chroma. (Re-encodes move cells too; verification
    sorts them out.)"""
    cells = LUMA_GRID * LUMA_GRID
    difference = first - second
    np.abs(difference, out=difference)
    distance: np.ndarray = np.maximum(difference[:, :cells].max(axis=1), difference[:, cells:].max(axis=1) * 2.0)
    return distance


def sound_scores(
    signals: PairSignals,
    times: np.ndarray,
    offset: float,
    bounds: tuple[float, float],
    *,
    lag: float | np.ndarray = 0.0,
    ratio: float = 1.0,
) -> np.ndarray | None:
    """Verification's sound score (videos.engine.verify.sound_changes) at each of `times` on A,
    from the fingerprints' sound frames, B read `offset` later and its sound `lag` later still
    (B's sound behind its picture: one figure, or one per time when it drifts); no window reaches
    outside `bounds` (seconds on A: the stretch of one matched span). `ratio`: B's speed over A's;
    when not 1, B's sound also counts as it would sound played at A's speed (moved down in pitch
    by the ratio), where that matches better. None without sound."""
    first, second, rate = signals.sound_a, signals.sound_b, signals.audio_rate
    if first is None or second is None:
        return None
    if np.any(lag):
        shifts = offset + np.ravel(lag)
        bounds = heard_bounds(bounds, float(shifts[0]), float(shifts[-1]), len(second) / rate)
    half = round(SOUND_WINDOW / 2 * rate)
    start = max(0, math.floor(float(times[0]) * rate) - half - 2)
    count = math.ceil(float(times[-1]) * rate) + half + 2 - start
    levels_a = rows_from(first, start, count)
    if np.ndim(lag) == 0:
        levels_b = rows_from(second, start + round((offset + float(lag)) * rate), count)
    else:
        frames = start + np.arange(count)
        lags = np.interp(frames / rate, times, lag)
        levels_b = _rows_at(second, np.rint(frames + (offset + lags) * rate).astype(np.int64))
    centres = np.rint(times * rate).astype(np.int64) - start
    limits = (round(bounds[0] * rate) - start, round(bounds[1] * rate) - start)
    scores = sound_changes(levels_a, levels_b, centres, half, limits)
    if ratio != 1.0:
        scores = np.minimum(scores, sound_changes(levels_a, pitch_matched(levels_b, ratio), centres, half, limits))
    return scores


def _rows_at(rows: np.ndarray, indexes: np.ndarray) -> np.ndarray:
    """rows[indexes] as float32, zeros (silence) where an index is past either end."""
    inside = (indexes >= 0) & (indexes < len(rows))
    taken = np.zeros((len(indexes), rows.shape[1]), np.float32)
    taken[inside] = rows[indexes[inside]]
    return taken


def _stretches(flagged_times: np.ndarray, span: MatchedSpan) -> list[Stretch]:
    if not len(flagged_times):
        return []
    stretches: list[Stretch] = []
    start = end = float(flagged_times[0])
    for time in flagged_times[1:].tolist():
        if time - end > _JOIN_SECONDS:
            stretches += _padded(start, end, span)
            start = time
        end = time
    stretches += _padded(start, end, span)
    return stretches


def _padded(start: float, end: float, span: MatchedSpan) -> list[Stretch]:
    # Steps sit on the span's own grid, so that a stretch's steps are a subset of the screening's.
    first = max(span.a_start, start - STEP / 2 - _PAD_SECONDS)
    last = min(span.a_end, end + STEP / 2 + _PAD_SECONDS)
    first = span.a_start + math.floor((first - span.a_start) / STEP + 1e-6) * STEP
    end = max(first + STEP, last)
    # Verification reads a drifting lag at a stretch's middle: a long stretch is measured in pieces
    # over which the lag moves by at most _DRIFT_IN_A_PIECE (±3 ms about its middle: a knock or a
    # click read 10 ms off its place scores as a change of sound, a word does not).
    pieces = math.ceil(abs(span.sound_drift) * (end - first) / _DRIFT_IN_A_PIECE - 1e-9) if span.sound_drift else 1
    steps = max(1, round((end - first) / STEP))
    edges = [first + round(steps * number / max(1, pieces)) * STEP for number in range(max(1, pieces) + 1)]
    edges[-1] = end
    stretches = []
    for low, high in itertools.pairwise(edges):
        if high - low < STEP / 2:
            continue
        lag = float(sound_lag_at(span, np.array([(low + high) / 2]))[0])
        # The offset at the piece's start (B's time at the span's rate from there on).
        offset = span.b_start + (low - span.a_start) * span.rate - low
        stretches.append(Stretch(a_start=low, a_end=high, offset=offset, rate=span.rate, sound_lag=lag))
    return stretches


_DRIFT_IN_A_PIECE = 0.006


@dataclass(frozen=True)
class Screen:
    """Candidate stretches along the spans (see the module docstring), added to those found."""

    name: str = "screening"

    def run(self, signals: PairSignals, state: PassState) -> PassState:
        return dataclasses.replace(state, candidates=state.candidates + screen(signals, state.spans))
