"""Confirming a candidate difference on the decoded pictures and sound of both files.

Only the candidate stretches are decoded (a seek to the keyframe before each). Every STEP seconds
along a stretch, A's frame shown then is set against the frames of B shown around the same moment
(the one before and the one after: two frame rates never sample the same instants, and fast motion
moves a lot in half a frame) and the closer is kept. The sound is compared band by band over the
same steps, after a last lag search of a few hundredths of a second.

The scores are on a fixed 0–1 scale (documented in docs/comparing.md), so a threshold slider never
changes what "high" means:

- picture: per pixel of the border-cropped pictures at MEASURE_SIZE, the larger of the structural
  change (1 − SSIM of the luma, /0.5) and the colour change (distance in Y/Cb/Cr, ×100 /20 — a
  ΔE-like unit), capped at 1. The score is the larger of the mean of that map and how much of the
  picture visibly changed (`coverage_score`): a small logo is a small change; a colour grade or a
  replaced picture changes all of it.
- sound: over SOUND_WINDOW seconds around each step (a change of sound is heard over a few tenths
  of a second, and speech over a changed soundtrack hides it in some instants and not others), on a
  log-mel spectrogram (dB above the floor), the larger of two figures, capped at 1:
  the mean absolute difference of each band's level, weighted by the louder of the two,
  /SOUND_DB_SCALE (a re-encode moves bands by a decibel or two, a new or muted soundtrack by tens);
  and the share of the audible time-and-band cells that moved by more than SOUND_CELL_DB,
  /SOUND_CELL_SHARE (a re-encode moves almost none; music 10 dB louder under a voice moves a
  fifth of them, a new soundtrack or a removed voice a third and more).
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from fractions import Fraction

import av
import av.container
import numpy as np
from av.video.reformatter import VideoReformatter
from scipy.ndimage import correlate1d, gaussian_filter, gaussian_filter1d  # type: ignore[import-untyped]  # no stubs

from sage.timebase import Timebase
from videos.embeddings.audio import Spectrogram
from videos.embeddings.fingerprint import cropped
from videos.engine.model import STEP, EdgeFrames, Stretch
from videos.engine.passes.sync import heard_bounds
from videos.engine.sources import MediaSource, open_source

logger = logging.getLogger(__name__)

# STEP (videos.engine.model): the step every measure along a span takes.
MEASURE_SIZE = (64, 96)  # rows × columns the cropped pictures are compared at
_DECODE_SIZE = 160
SOUND_RATE = 16_000
SOUND_DB_SCALE = 20.0
SOUND_WINDOW = 0.5
SOUND_CELL_DB = 6.0  # a cell "moved" by more than this (twice a re-encode's largest steady shift)
SOUND_CELL_SHARE = 0.5
_AUDIBLE_DB = 10.0  # a cell counts when the louder side is this far above the floor
_STRUCTURE_SCALE = 0.5
_COLOUR_SCALE = 20.0
# A pixel counts as visibly changed above this (on the per-pixel 0–1 map).
_VISIBLE = 0.5
_EDGE = 2  # pixels at each side of the measured picture left out (see `picture_change`)
_SOUND_LAG_SECONDS = 0.06
# A picture score that moves this much from one step to the next is a change coming or going: A's
# frames between the two are scored one by one (`measure_pictures`).
EDGE_JUMP = 0.1

# What a video is read from: its file, or an http(s) address FFmpeg can read in byte ranges.


# --- pictures ------------------------------------------------------------------------------------


def coverage_score(coverage: float) -> float:
    """How much a change shows from the share of the picture it covers: a change over 1 % of the
    picture (a small logo) scores 0.2, 5 % (a caption) 0.45, 25 % and more (a banner, a grade, a
    new picture) 1."""
    if coverage < 0.002:
        return 0.0
    return min(1.0, math.sqrt(coverage / 0.25))


def _planes(rgb: np.ndarray) -> np.ndarray:
    """Y, Cb, Cr planes (3×H×W), lightly blurred: the compression's block edges are not changes."""
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    planes = np.stack([luma, (rgb[..., 2] - luma) * 0.564, (rgb[..., 0] - luma) * 0.713])
    blurred: np.ndarray = gaussian_filter(planes, sigma=(0, 0.7, 0.7))
    return blurred


def picture_change(first: np.ndarray, second: np.ndarray) -> float:
    """The picture score (module docstring) of two measured pictures (3×H×W planes, see `_planes`).
    Each pixel takes its smallest change over shifts of up to a pixel of the second picture: two
    crops of the same picture can sit a fraction of a pixel apart, which a sharp edge would
    otherwise count as a change all along it."""
    change = np.min(_change_maps(first, _shifted(second)), axis=0)
    # The outermost pixels are left out: where black bars were cropped, the two crops' edges can
    # differ by a pixel or two, which would read as a thin changed line down the side.
    inner = change[_EDGE:-_EDGE, _EDGE:-_EDGE]
    return max(float(inner.mean()), coverage_score(float((inner > _VISIBLE).mean())))


_SHIFTS = [(rows, columns) for rows in (-1, 0, 1) for columns in (-1, 0, 1)]


def _shifted(planes: np.ndarray) -> np.ndarray:
    """`planes` moved by each of `_SHIFTS` (whole pixels, the edge repeated into the space left),
    stacked in that order."""
    padded = np.pad(planes, ((0, 0), (1, 1), (1, 1)), mode="edge")
    height, width = planes.shape[1:]
    return np.stack(
        [padded[:, 1 + rows : 1 + rows + height, 1 + columns : 1 + columns + width] for rows, columns in _SHIFTS]
    )


def _change_maps(first: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Per picture of `seconds` (N×3×H×W) and per pixel, the larger of the structural change
    (1 − SSIM of the luma) against `first` and the colour change, each on its scale, capped at 1."""
    luma_a, luma_b = first[0], seconds[:, 0]
    mean_a, mean_b = _blurred(luma_a, 1.5), _blurred(luma_b, 1.5)
    var_a = _blurred(luma_a * luma_a, 1.5) - mean_a**2
    var_b = _blurred(luma_b * luma_b, 1.5) - mean_b**2
    covariance = _blurred(luma_a * luma_b, 1.5) - mean_a * mean_b
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mean_a * mean_b + c1) * (2 * covariance + c2)) / ((mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2))
    structure = (1.0 - ssim) / _STRUCTURE_SCALE
    # Colour is judged over areas (an eye sees a tint, not a chroma edge a pixel wider): the
    # difference is blurred first, so two encoders' chroma subsampling at an edge does not count.
    tint = _blurred(first - seconds, 2.0)
    colour = np.sqrt((tint**2).sum(axis=1)) * 100.0 / _COLOUR_SCALE
    change: np.ndarray = np.clip(np.maximum(structure, colour), 0.0, 1.0)
    return change


def _blurred(pictures: np.ndarray, sigma: float) -> np.ndarray:
    """`pictures` (…×H×W) each blurred over its rows and columns by a Gaussian of `sigma` pixels:
    `gaussian_filter` with sigma 0 on the leading axes, to the bit. It is called thousands of times
    per comparison on small pictures, where working out the kernel again on every call and every
    axis cost as much as the blurring itself."""
    weights = _gaussian_weights(sigma)
    rows: np.ndarray = correlate1d(pictures, weights, axis=-2, mode="reflect")
    blurred: np.ndarray = correlate1d(rows, weights, axis=-1, mode="reflect", output=rows)
    return blurred


@functools.cache
def _gaussian_weights(sigma: float) -> np.ndarray:
    """The weights `gaussian_filter1d` blurs with (its reach: 4 sigma), read off its answer to one
    lit sample."""
    reach = int(4.0 * sigma + 0.5)
    impulse = np.zeros(4 * reach + 1)
    impulse[2 * reach] = 1.0
    weights: np.ndarray = gaussian_filter1d(impulse, sigma)[reach : 3 * reach + 1]
    return weights


class _Pictures:
    """The frames of one file in a stretch, measured: (time, planes) in presentation order."""

    def __init__(self, container: av.container.InputContainer) -> None:
        self.container = container
        self.stream = container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.time_base = float(self.stream.time_base or 0)
        start = self.stream.start_time
        self.origin = start * self.time_base if start is not None and self.time_base else 0.0
        self.timebase = Timebase.measured(Fraction(self.stream.average_rate or self.stream.guessed_rate or 0))
        self.reformatter = VideoReformatter()

    def between(self, start: float, end: float) -> list[tuple[float, np.ndarray]]:
        """Frames shown from just before `start` to just after `end` (seconds from the first picture)."""
        target = max(0.0, start - 0.5)
        self.container.seek(int((target + self.origin) / self.time_base), stream=self.stream, backward=True)
        frames: list[tuple[float, np.ndarray]] = []
        raw: list[tuple[float, av.VideoFrame]] = []
        try:
            for frame in self.container.decode(self.stream):
                if frame.pts is None:
                    continue
                time = frame.pts * self.time_base - self.origin
                raw.append((time, frame))
                if time > end + 0.25:
                    break
        except av.error.FFmpegError as error:  # a damaged stretch: measured as far as it decodes
            logger.info("stopped decoding a stretch at an error: %s", error)
        # Keep the last frame before `start − 0.25` (still shown then) and everything after it.
        raw.sort(key=lambda item: item[0])
        first = 0
        for index, (time, _) in enumerate(raw):
            if time <= start - 0.25:
                first = index
        for time, frame in raw[first:]:
            frames.append((time, self._measure(frame)))
        return frames

    def _measure(self, frame: av.VideoFrame) -> np.ndarray:
        small = self.reformatter.reformat(
            frame, width=_DECODE_SIZE, height=_DECODE_SIZE, format="rgb24", interpolation="AREA"
        )
        rgb = cropped(small.to_ndarray().astype(np.float32) / 255.0)
        rows, columns = MEASURE_SIZE
        # Area-average onto the measuring grid (the crop is at least 60 % of 160 px each way).
        row_edges = np.linspace(0, rgb.shape[0], rows + 1).astype(np.intp)
        column_edges = np.linspace(0, rgb.shape[1], columns + 1).astype(np.intp)
        summed = np.add.reduceat(np.add.reduceat(rgb, row_edges[:-1], axis=0), column_edges[:-1], axis=1)
        counts = np.diff(row_edges)[:, None, None] * np.diff(column_edges)[None, :, None]
        return _planes((summed / np.maximum(counts, 1)).astype(np.float32))


def _shown_at(frames: list[tuple[float, np.ndarray]], times: np.ndarray) -> np.ndarray:
    """Index of the frame shown at each of `times` (the last at or before it; the first if none)."""
    starts = np.array([time for time, _ in frames])
    indexes: np.ndarray = np.clip(np.searchsorted(starts, times + 1e-6, side="right") - 1, 0, len(frames) - 1)
    return indexes


@dataclass(frozen=True)
class MeasuredPictures:
    """Per stretch, the picture score at each of its steps (NaN where a side had no frame) and A's
    frames scored where the score jumps between two steps (videos.engine.model.EdgeFrames, by the
    later step's index); the two files' exact frame rates."""

    scores: list[np.ndarray]
    edges: list[dict[int, EdgeFrames]]
    rates: tuple[Fraction, Fraction]


def measure_pictures(path_a: MediaSource, path_b: MediaSource, stretches: list[Stretch]) -> MeasuredPictures:
    """The picture scores of `stretches` (see MeasuredPictures)."""
    results: list[np.ndarray] = []
    edges: list[dict[int, EdgeFrames]] = []
    with open_source(path_a) as container_a, open_source(path_b) as container_b:
        pictures_a, pictures_b = _Pictures(container_a), _Pictures(container_b)
        rates = (pictures_a.timebase.rate, pictures_b.timebase.rate)
        for stretch in stretches:
            steps = stretch.steps()
            frames_a = pictures_a.between(stretch.a_start, stretch.a_end)
            frames_b = pictures_b.between(stretch.b_time(stretch.a_start), stretch.b_time(stretch.a_end))
            scores = np.full(len(steps), np.nan)
            stretch_edges: dict[int, EdgeFrames] = {}
            if frames_a and frames_b:
                shown_a = _shown_at(frames_a, steps)
                starts_b = np.array([time for time, _ in frames_b])
                cache: dict[tuple[int, int], float] = {}
                for number, index_a in enumerate(shown_a.tolist()):
                    best = _closest(frames_a, frames_b, starts_b, index_a, stretch, cache)
                    if stretch.rate != 1.0 and best > _SPEED_NEIGHBOURS_ABOVE:
                        # Played faster, B dropped some of A's frames: the one A shows here may be
                        # one B never shows. B showing A's frame before or after it is the same
                        # programme (a change lasts longer than a frame).
                        for neighbour in (index_a - 1, index_a + 1):
                            if 0 <= neighbour < len(frames_a):
                                best = min(best, _closest(frames_a, frames_b, starts_b, neighbour, stretch, cache))
                    scores[number] = best
                if stretch.rate == 1.0 and rates[0] == rates[1]:
                    stretch_edges = _edge_frames(
                        frames_a, frames_b, starts_b, shown_a, scores, stretch, cache, float(1 / rates[0])
                    )
            results.append(scores)
            edges.append(stretch_edges)
    return MeasuredPictures(results, edges, rates)


def _edge_frames(
    frames_a: list[tuple[float, np.ndarray]],
    frames_b: list[tuple[float, np.ndarray]],
    starts_b: np.ndarray,
    shown_a: np.ndarray,
    scores: np.ndarray,
    stretch: Stretch,
    cache: dict[tuple[int, int], float],
    frame_seconds: float,
) -> dict[int, EdgeFrames]:
    """Where the score jumps by EDGE_JUMP or more between two steps, every one of A's frames from
    the one shown at the earlier step to the one shown at the later, scored against B's frame
    facing it alone. (A step takes the closer of B's two frames around its moment; at the edge of a
    change, B's frame before the first changed one is nearly A's first, and would hide it.)"""
    edges: dict[int, EdgeFrames] = {}
    for step in range(1, len(scores)):
        before, after = scores[step - 1], scores[step]
        if not (np.isfinite(before) and np.isfinite(after)) or abs(after - before) < EDGE_JUMP:
            continue
        scored: list[tuple[float, float]] = []
        for index_a in range(int(shown_a[step - 1]), int(shown_a[step]) + 1):
            start_a = frames_a[index_a][0]
            index_b = int(np.argmin(np.abs(starts_b - stretch.b_time(start_a))))
            if abs(starts_b[index_b] - stretch.b_time(start_a)) > frame_seconds / 2:
                break  # B has no frame facing it here: left to the steps
            key = (index_a, index_b)
            if key not in cache:
                cache[key] = picture_change(frames_a[index_a][1], frames_b[index_b][1])
            scored.append((start_a, cache[key]))
        else:
            if len(scored) >= 2:
                edges[step] = tuple(scored)
    return edges


_SPEED_NEIGHBOURS_ABOVE = 0.1


def _closest(
    frames_a: list[tuple[float, np.ndarray]],
    frames_b: list[tuple[float, np.ndarray]],
    starts_b: np.ndarray,
    index_a: int,
    stretch: Stretch,
    cache: dict[tuple[int, int], float],
) -> float:
    """The picture score of A's frame `index_a` against the closest of B's frames shown around its
    moment on B (the one before and the one after; on a speed change one more either way)."""
    moment_b = stretch.b_time(frames_a[index_a][0])
    after = int(np.clip(np.searchsorted(starts_b, moment_b - 1e-6), 0, len(frames_b) - 1))
    candidates = {max(0, after - 1), after}
    if stretch.rate != 1.0:
        # Re-timed for another speed, B dropped or repeated frames of A's: the frame showing A's
        # may be one further either way than the line says.
        candidates |= {max(0, after - 2), min(len(frames_b) - 1, after + 1)}
    best = math.inf
    for index_b in candidates:
        key = (index_a, index_b)
        if key not in cache:
            cache[key] = picture_change(frames_a[index_a][1], frames_b[index_b][1])
        best = min(best, cache[key])
    return best


# --- sound ---------------------------------------------------------------------------------------


def _sound_between(
    container: av.container.InputContainer, origin: float, start: float, end: float, sample_rate: int = SOUND_RATE
) -> np.ndarray:
    """Mono samples at `sample_rate` from `start` to `end` seconds (zeros where there is no sound).
    The decoded sound is taken as continuous from the first frame's timestamp: the resampler
    buffers, so its pieces do not line up with the frames they came from."""
    stream = container.streams.audio[0]
    time_base = float(stream.time_base or 0) or 1.0 / sample_rate
    container.seek(int((max(0.0, start - 0.5) + origin) / time_base), stream=stream, backward=True)
    # Channels are averaged here rather than mixed down by the resampler: its stereo-to-mono mix
    # sums two identical channels to 3 dB more than either (a mono file re-encoded as stereo would
    # sound 3 dB louder), and the fingerprint's sound averages them too.
    resampler = av.AudioResampler(format="fltp", rate=sample_rate)
    count = max(0, round((end - start) * sample_rate))
    pieces: list[np.ndarray] = []
    first_time: float | None = None
    decoded = 0
    try:
        for frame in container.decode(stream):
            if first_time is None:
                if frame.pts is None:
                    continue
                first_time = frame.pts * time_base - origin
            for piece in resampler.resample(frame):
                values = piece.to_ndarray().mean(axis=0, dtype=np.float32)
                pieces.append(values)
                decoded += len(values)
            if first_time + decoded / sample_rate > end + 0.1:
                break
    except av.error.FFmpegError as error:
        logger.info("stopped decoding sound at an error: %s", error)
    samples = np.zeros(count, np.float32)
    if first_time is None or not pieces:
        return samples
    sound = np.concatenate(pieces)
    offset = round((first_time - start) * sample_rate)  # where the decoded sound begins in `samples`
    low, high = max(0, offset), min(count, offset + len(sound))
    if high > low:
        samples[low:high] = sound[low - offset : high - offset]
    return samples


def sound_changes(
    levels_a: np.ndarray,
    levels_b: np.ndarray,
    centres: np.ndarray,
    half: int,
    limits: tuple[int, int] | None = None,
) -> np.ndarray:
    """The sound score (module docstring) over frames `centres[i] ± half` (kept within `limits`,
    the frames of one matched stretch: a window must not reach into what only one video has) of
    two runs of log-mel frames (frames × bands) in step (frame k of one is frame k of the other),
    with B's frames a frame either way tolerated: a fiftieth of a second of misalignment is not a
    change of sound. Frames past either end count as silence."""
    count = max(len(levels_a), len(levels_b))
    bands = levels_a.shape[1]
    # One frame of silence at each end (and one more after it, so that every window's end is a
    # row of its own for `_window_sums`): core frame k is padded row k + 1.
    padded_a = np.zeros((count + 3, bands), np.float32)
    padded_b = np.zeros((count + 3, bands), np.float32)
    padded_a[1 : 1 + len(levels_a)] = levels_a
    padded_b[1 : 1 + len(levels_b)] = levels_b
    low, high = limits if limits is not None else (0, count)
    low, high = max(0, low), min(count, high)
    first = np.clip(centres - half, low, max(low, high - 1)) + 1
    last = np.maximum(np.clip(centres + half, min(high, low + 1), high) + 1, first + 1)
    frames = (last - first)[:, None]
    mean_a = _window_sums(padded_a, first, last) / frames
    sums_b = _window_sums(padded_b, first, last)
    # B a frame earlier or later is the same window with one frame swapped at each end.
    means_b = [
        (sums_b + padded_b[first - 1] - padded_b[last - 1]) / frames,
        sums_b / frames,
        (sums_b - padded_b[first] + padded_b[last]) / frames,
    ]
    level_change = np.full(len(centres), np.inf)
    for mean_b in means_b:
        weights = np.maximum(mean_a, mean_b)
        total = weights.sum(axis=1)
        level_change = np.minimum(
            level_change,
            np.where(total >= 1.0, (np.abs(mean_a - mean_b) * weights).sum(axis=1) / np.maximum(total, 1e-9), 0.0),
        )
    # Cell by cell, B's frame before, at or after: at a note or a word that starts, a hundredth of
    # a second of misalignment would otherwise move every band it changes.
    # Worked in place in two frames × bands arrays: a 3-hour span is screened a few thousand frames
    # at a time, and a new array for each step was most of the time.
    core_a, core_b = padded_a[1 : 1 + count], padded_b[1 : 1 + count]
    nearest = np.subtract(core_a, core_b)
    np.abs(nearest, out=nearest)
    other = np.subtract(core_a, padded_b[:count])
    np.minimum(nearest, np.abs(other, out=other), out=nearest)
    np.subtract(core_a, padded_b[2 : 2 + count], out=other)
    np.minimum(nearest, np.abs(other, out=other), out=nearest)
    audible = np.maximum(core_a, core_b, out=other) > _AUDIBLE_DB
    moved = np.greater(nearest, SOUND_CELL_DB)
    moved &= audible
    audible_cells = _count_sums(np.count_nonzero(audible, axis=1), first - 1, last - 1)
    moved_cells = _count_sums(np.count_nonzero(moved, axis=1), first - 1, last - 1)
    cell_change = moved_cells / np.maximum(audible_cells, 1) / SOUND_CELL_SHARE
    best = np.maximum(level_change / SOUND_DB_SCALE, cell_change)
    scores: np.ndarray = np.clip(best, 0.0, 1.0)
    return scores


def _widened(scores: np.ndarray) -> np.ndarray:
    """Each step's score or its neighbours', whichever is largest."""
    padded = np.pad(scores, 1, mode="edge")
    widened: np.ndarray = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    return widened


def rows_from(rows: np.ndarray, first: int, count: int) -> np.ndarray:
    """rows[first : first + count], zeros (silence) where that runs past either end."""
    taken = np.zeros((count, rows.shape[1]), np.float32)
    low, high = max(0, first), min(len(rows), first + count)
    if high > low:
        taken[low - first : high - first] = rows[low:high]
    return taken


def _window_sums(rows: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Sums of rows[first[i]:last[i]] for every i, each added up on its own (a running sum over a
    whole 3-hour span would cost a pass in float64 per call). Needs first < last < len(rows)."""
    bounds = np.empty(2 * len(first), np.intp)
    bounds[0::2], bounds[1::2] = first, last
    sums: np.ndarray = np.add.reduceat(rows, bounds, axis=0)[0::2]
    return sums


def _count_sums(counts: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Sums of counts[first[i]:last[i]] for every i (whole numbers, so a running sum is exact)."""
    running = np.concatenate([[0], np.cumsum(counts)])
    sums: np.ndarray = running[last] - running[first]
    return sums


def measure_sound(path_a: MediaSource, path_b: MediaSource, stretches: list[Stretch]) -> list[np.ndarray] | None:
    """Per stretch, the sound score at each step; None when either file has no sound."""
    results: list[np.ndarray] = []
    spectrogram = Spectrogram(SOUND_RATE)
    frame_seconds = spectrogram.hop / SOUND_RATE
    with open_source(path_a) as container_a, open_source(path_b) as container_b:
        if not container_a.streams.audio or not container_b.streams.audio:
            return None
        origin_a, origin_b = _origin(container_a), _origin(container_b)
        for stretch in stretches:
            steps = stretch.steps()
            margin = _SOUND_LAG_SECONDS + SOUND_WINDOW / 2
            start, end = stretch.a_start - margin, stretch.a_end + margin
            samples_a = _sound_between(container_a, origin_a, max(0.0, start), end)
            # B's sound is read where it is heard: its picture's time plus its lag.
            shift = stretch.offset + stretch.sound_lag
            heard_start = stretch.b_time(start) + stretch.sound_lag
            samples_b = _sound_between(
                container_b, origin_b, max(0.0, heard_start), stretch.b_time(end) + stretch.sound_lag
            )
            lead_a = max(0.0, start) - start
            lead_b = max(0.0, heard_start) - heard_start
            levels_a = _levels(spectrogram, samples_a, lead_a)
            levels_b = _levels(spectrogram, samples_b, lead_b)
            if not len(levels_a) or not len(levels_b):
                results.append(np.full(len(steps), np.nan))
                continue
            # At another speed B's sound is set against A's both as it is (its frames at A's pace)
            # and as it would sound played at A's speed (resampled: moved down in pitch too), and
            # the closer counts: a speed-up may or may not have had its pitch corrected.
            versions_b = [levels_b]
            if stretch.rate != 1.0:
                at_pace = np.rint(np.arange(len(levels_a)) * stretch.rate).astype(np.int64)
                # Faster, B's sound reaches higher: it is read at twice the rate that keeps what A
                # has up to its top band (between samples that close, reading B's sound at A's
                # moments by straight lines loses nothing audible), then brought to A's pace.
                read_rate = 1000 * math.ceil(2 * SOUND_RATE / min(stretch.rate, 1.0) / 1000)
                read_from = heard_start + lead_b
                read_end = stretch.b_time(end) + stretch.sound_lag
                fine_b = _sound_between(container_b, origin_b, read_from, read_end, sample_rate=read_rate)
                resampled = _resampled(fine_b, read_rate, start, end, read_from, stretch)
                versions_b = [_rows_taken(levels_b, at_pace), _levels(spectrogram, resampled, 0.0)]
            centres = np.rint((steps - start) / frame_seconds).astype(np.int64)
            low, high = stretch.a_start, stretch.a_end
            if stretch.sound_lag or stretch.rate != 1.0:
                shift_last = stretch.b_time(high) + stretch.sound_lag - high
                low, high = heard_bounds((low, high), shift, shift_last, _sound_seconds(container_b, origin_b))
            limits = (round((low - start) / frame_seconds), round((high - start) / frame_seconds))
            scores = np.full(len(steps), np.inf)
            for version_b in versions_b:
                if not len(version_b):
                    continue
                lag = _best_lag(levels_a, version_b, round(_SOUND_LAG_SECONDS / frame_seconds))
                moved_b = rows_from(version_b, lag, len(levels_a))
                heard = sound_changes(levels_a, moved_b, centres, round(SOUND_WINDOW / 2 / frame_seconds), limits)
                # Where the change begins and ends, from the step's own sound: the wide window above
                # starts hearing a change a quarter of a second before it happens.
                instant = sound_changes(levels_a, moved_b, centres, round(STEP / 2 / frame_seconds), limits)
                scores = np.minimum(scores, np.minimum(heard, _widened(instant)))
            results.append(np.where(np.isfinite(scores), scores, np.nan))
    return results


def _resampled(
    samples_b: np.ndarray, sample_rate: int, start: float, end: float, read_from: float, stretch: Stretch
) -> np.ndarray:
    """B's sound (`samples_b` at `sample_rate`, from B's time `read_from`) at A's pace and at
    SOUND_RATE from A's `start` to `end`: each of A's sample times takes B's sound at the moment
    facing it (silence outside)."""
    times_a = start + np.arange(max(0, round((end - start) * SOUND_RATE))) / SOUND_RATE
    heard = stretch.b_time(start) + stretch.sound_lag + (times_a - start) * stretch.rate
    positions = (heard - read_from) * sample_rate
    resampled: np.ndarray = np.interp(positions, np.arange(len(samples_b)), samples_b, left=0.0, right=0.0)
    return resampled.astype(np.float32)


def _rows_taken(rows: np.ndarray, indexes: np.ndarray) -> np.ndarray:
    """rows[indexes], zeros (silence) where an index is past either end."""
    taken = np.zeros((len(indexes), rows.shape[1]), np.float32)
    inside = (indexes >= 0) & (indexes < len(rows))
    taken[inside] = rows[indexes[inside]]
    return taken


def _levels(spectrogram: Spectrogram, samples: np.ndarray, lead: float) -> np.ndarray:
    """Log-mel frames of `samples`, with silent frames first for `lead` seconds before the file's start."""
    padded = np.concatenate([np.zeros(round(lead * SOUND_RATE), np.float32), samples])
    if len(padded) < spectrogram.fft_size:
        return np.zeros((0, spectrogram.filters.shape[0]), np.float32)
    return spectrogram.levels(padded)


def _best_lag(levels_a: np.ndarray, levels_b: np.ndarray, reach: int) -> int:
    """B's frames are read `lag` frames later than A's where the two agree best (a last correction
    of the alignment, which is only as fine as a fiftieth of a second)."""
    count = min(len(levels_a), len(levels_b)) - 2 * reach
    if count <= 0:
        return 0
    core = levels_a[reach : reach + count]
    costs = [
        float(np.abs(core - levels_b[reach + lag : reach + lag + count]).mean()) for lag in range(-reach, reach + 1)
    ]
    return int(np.argmin(costs)) - reach


def _sound_seconds(container: av.container.InputContainer, origin: float) -> float:
    """Where the file's sound ends, in seconds from its first picture (the container's end when
    the sound stream does not say)."""
    stream = container.streams.audio[0]
    if stream.duration is not None and stream.time_base:
        return float((stream.start_time or 0) + stream.duration) * float(stream.time_base) - origin
    return (container.duration or 0) / av.time_base - origin


def _origin(container: av.container.InputContainer) -> float:
    """Seconds of the first picture in the file's clock (times here count from it, as the
    fingerprint's do)."""
    if container.streams.video:
        stream = container.streams.video[0]
        if stream.start_time is not None and stream.time_base:
            return float(stream.start_time * stream.time_base)
    return 0.0
