"""The audio half of a `local` clip embedding: log-mel band energies, their mean and spread over
each clip, computed while the file is decoded (memory stays constant however long the video)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import av
import av.stream
import numpy as np
import scipy.fft  # type: ignore[import-untyped]  # scipy ships no stubs (scipy-stubs is not installed)
from numpy.lib.stride_tricks import sliding_window_view

from videos.embeddings.base import AUDIO_DIM
from videos.embeddings.fingerprint import SoundSampler

BANDS = AUDIO_DIM // 2
# Frames of 32 ms every 16 ms at the stream's own rate: no resampling pass, and because the bands
# are defined in Hz and the window in seconds, a 44.1 kHz and a 48 kHz copy measure the same thing.
_WINDOW_SECONDS = 0.032
_LOW_HZ = 60.0
_HIGH_HZ = 7_600.0  # speech and most of music's energy; below every lossy codec's low-pass
# Band levels are measured in dB above this floor (a full-scale sine is about −3 dB in its band).
# Anything quieter — codec noise in empty bands, dither — counts as silence, so a low-bitrate
# re-encode does not fill empty bands with noise the vector would notice.
FLOOR_DB = -70.0
_PROCESS_SECONDS = 8.0  # how much audio to gather before running the FFTs

logger = logging.getLogger(__name__)


def mel_filters(*, sample_rate: int, fft_size: int, bands: int = BANDS) -> np.ndarray:
    """Triangular filters (bands × fft_size//2+1) evenly spaced on the mel scale."""

    def mel(hz: float) -> float:
        return float(2595.0 * np.log10(1.0 + hz / 700.0))

    high = min(_HIGH_HZ, sample_rate / 2)
    edges = 700.0 * (10.0 ** (np.linspace(mel(_LOW_HZ), mel(high), bands + 2) / 2595.0) - 1.0)
    frequencies = np.arange(fft_size // 2 + 1) * sample_rate / fft_size
    filters = np.zeros((bands, len(frequencies)), np.float32)
    for band in range(bands):
        low, centre, top = edges[band : band + 3]
        rising = (frequencies - low) / (centre - low)
        falling = (top - frequencies) / (top - centre)
        filters[band] = np.clip(np.minimum(rising, falling), 0.0, None)
        if not filters[band].any():  # narrower than one FFT bin: take the nearest bin
            filters[band, int(np.argmin(np.abs(frequencies - centre)))] = 1.0
    return filters


class Spectrogram:
    """STFT and mel filterbank for one sample rate."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.fft_size = max(16, round(_WINDOW_SECONDS * sample_rate))
        self.hop = self.fft_size // 2
        self.window = np.hanning(self.fft_size + 1)[:-1].astype(np.float32)  # periodic Hann
        # One-sided power normalised so a band's value is the mean power of the signal in it.
        self.power_scale = 2.0 / (self.fft_size * float(self.window @ self.window))
        filters = mel_filters(sample_rate=sample_rate, fft_size=self.fft_size)
        # The bands end at _HIGH_HZ: the bins above it (two thirds of them at 48 kHz) weigh nothing,
        # and their power is not worked out.
        self.bins = int(np.flatnonzero(filters.any(axis=0))[-1]) + 1
        self.filters = np.ascontiguousarray(filters[:, : self.bins])

    def levels(self, samples: np.ndarray) -> np.ndarray:
        """dB above FLOOR_DB (≥ 0) per frame × band, for every whole frame in `samples`."""
        count = (len(samples) - self.fft_size) // self.hop + 1
        frames = sliding_window_view(samples, self.fft_size)[:: self.hop][:count] * self.window
        spectrum = scipy.fft.rfft(frames, axis=1)[:, : self.bins]  # float32 in, complex64 out: half numpy's work
        power = (spectrum.real**2 + spectrum.imag**2) * self.power_scale
        levels: np.ndarray = np.clip(10.0 * np.log10(power @ self.filters.T + 1e-12) - FLOOR_DB, 0.0, None)
        return levels


class LogMelAccumulator:
    """Feed mono float samples in order; read per-clip vectors at the end.

    Per clip-grid cell (cell k covers [k·clip_seconds, (k+1)·clip_seconds) from the start of the
    file) it keeps the frame count and the sum and sum of squares of each band's level, so a merged
    last clip is just the sum of two cells."""

    def __init__(self, *, clip_seconds: float, fine: SoundSampler | None = None) -> None:
        self._clip_seconds = clip_seconds
        self.fine = fine  # also gets every frame, for the fingerprint
        self._spectrogram: Spectrogram | None = None
        self._buffer = np.zeros(0, np.float32)
        self._buffer_time = 0.0  # seconds from the start of the file of _buffer[0]
        self._pending: list[np.ndarray] = []
        self._pending_samples = 0
        self._counts: dict[int, int] = {}
        self._sums: dict[int, np.ndarray] = {}
        self._squares: dict[int, np.ndarray] = {}

    def start(self, *, sample_rate: int, time: float) -> None:
        """Begin (or, when the stream changes rate mid-way, restart) the sound at `time` seconds;
        samples added afterwards are taken as continuous from there."""
        self._process()
        self._spectrogram = Spectrogram(sample_rate)
        self._buffer = np.zeros(0, np.float32)
        self._buffer_time = time

    @property
    def sample_rate(self) -> int | None:
        return self._spectrogram.sample_rate if self._spectrogram else None

    def add(self, samples: np.ndarray) -> None:
        self._pending.append(samples)
        self._pending_samples += len(samples)
        if self._spectrogram and self._pending_samples >= _PROCESS_SECONDS * self._spectrogram.sample_rate:
            self._process()

    def finish(self) -> None:
        self._process()

    def vector(self, cells: Iterable[int]) -> np.ndarray:
        """The L2-normalised AUDIO_DIM vector of the clip made of these grid cells: per band, the
        mean level above the floor (plus one, so silence is a flat spectrum rather than a zero
        vector) and its standard deviation over the clip's frames (speech and music move, tones
        and hum do not)."""
        count = 0
        total = np.zeros(BANDS, np.float64)
        squares = np.zeros(BANDS, np.float64)
        for cell in cells:
            count += self._counts.get(cell, 0)
            if cell in self._sums:
                total += self._sums[cell]
                squares += self._squares[cell]
        mean = total / max(count, 1)
        spread = np.sqrt(np.clip(squares / max(count, 1) - mean * mean, 0.0, None))
        vector = np.concatenate([mean + 1.0, spread]).astype(np.float32)
        return vector / np.linalg.norm(vector)

    def _process(self) -> None:
        spectrogram = self._spectrogram
        if spectrogram is None:
            self._pending, self._pending_samples = [], 0
            return
        buffer = np.concatenate([self._buffer, *self._pending])
        self._pending, self._pending_samples = [], 0
        if len(buffer) < spectrogram.fft_size:
            self._buffer = buffer
            return
        levels = spectrogram.levels(buffer)
        frame_count = len(levels)
        rate = spectrogram.sample_rate
        centres = self._buffer_time + (np.arange(frame_count) * spectrogram.hop + spectrogram.fft_size / 2) / rate
        if self.fine is not None:
            self.fine.add(centres, levels)
        cells = np.floor(centres / self._clip_seconds).astype(np.int64)
        for cell in np.unique(cells[cells >= 0]):
            in_cell = levels[cells == cell].astype(np.float64)
            key = int(cell)
            self._counts[key] = self._counts.get(key, 0) + len(in_cell)
            self._sums[key] = self._sums.get(key, 0.0) + in_cell.sum(axis=0)
            self._squares[key] = self._squares.get(key, 0.0) + (in_cell * in_cell).sum(axis=0)
        consumed = frame_count * spectrogram.hop
        self._buffer = buffer[consumed:]
        self._buffer_time += consumed / rate


def mono_samples(frame: av.AudioFrame) -> np.ndarray:
    """The frame's samples as float32 in −1…1, channels averaged."""
    channels = max(1, frame.layout.nb_channels)
    if frame.format.name == "fltp":
        # What AAC, Opus, MP3, Vorbis and AC-3 decoders give: read the planes in place (to_ndarray
        # would stack copies of them first, and np.mean is slow on arrays this small).
        planes = [
            np.frombuffer(memoryview(plane), np.float32, count=frame.samples) for plane in frame.planes[:channels]
        ]
        mono: np.ndarray = planes[0].copy()
        for plane in planes[1:]:
            mono += plane
        if channels > 1:
            mono *= 1.0 / channels
        return mono
    samples = frame.to_ndarray()
    # Planar formats come as channels × samples, packed ones as one row of interleaved samples.
    per_channel = samples.reshape(channels, -1) if frame.format.is_planar else samples.reshape(-1, channels).T
    if per_channel.dtype.kind == "u":  # u8: silence is 128
        mixed = (per_channel.mean(axis=0) - 128.0) / 128.0
    elif per_channel.dtype.kind == "i":
        mixed = per_channel.mean(axis=0) / float(2 ** (8 * per_channel.dtype.itemsize - 1))
    else:
        mixed = per_channel.mean(axis=0)
    return np.asarray(mixed, np.float32)


class SoundTrack:
    """Decodes an audio stream's packets (in file order) into a LogMelAccumulator. Times are
    seconds from `origin` (the file's start)."""

    def __init__(self, *, clip_seconds: float, origin: float, fine: SoundSampler | None = None) -> None:
        self.levels = LogMelAccumulator(clip_seconds=clip_seconds, fine=fine)
        self._origin = origin

    def decode(self, packet: av.Packet[av.stream.Stream]) -> None:
        try:
            frames = packet.decode()
        except av.error.InvalidDataError as error:
            logger.info("skipping an undecodable audio packet: %s", error)
            return
        for frame in frames:
            if not isinstance(frame, av.AudioFrame) or not frame.samples:
                continue
            if frame.sample_rate != self.levels.sample_rate:
                self.levels.start(sample_rate=frame.sample_rate, time=(frame.time or 0.0) - self._origin)
            self.levels.add(mono_samples(frame))

    def finish(self) -> None:
        self.levels.finish()
