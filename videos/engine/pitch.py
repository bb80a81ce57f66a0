"""B's sound moved in pitch, for speed changes (videos.engine.passes.speed): played faster without
correction, a sound is higher pitched by the same ratio, and its fingerprint's bands (log-mel levels,
videos.embeddings.fingerprint) show it in higher bands. Reading them where A's content went puts it
back in A's bands, near enough for the screening's measure."""

from __future__ import annotations

import functools
import math

import numpy as np

from videos.embeddings.audio import BANDS, mel_filters
from videos.embeddings.fingerprint import AUDIO_BANDS


@functools.cache
def _band_mels() -> np.ndarray:
    """The fingerprint's sound bands' centres on the mel scale (pairs of the embedding's bands)."""
    filters = mel_filters(sample_rate=16_000, fft_size=512, bands=BANDS)
    frequencies = np.arange(filters.shape[1]) * 16_000 / 512
    centres = (filters * frequencies).sum(axis=1) / np.maximum(filters.sum(axis=1), 1e-9)
    mels = _mel(centres)
    pooled: np.ndarray = mels.reshape(AUDIO_BANDS, BANDS // AUDIO_BANDS).mean(axis=1)
    return pooled


def _mel(hertz: np.ndarray) -> np.ndarray:
    mels: np.ndarray = 2595.0 * np.log10(1.0 + hertz / 700.0)
    return mels


def pitch_matched(levels_b: np.ndarray, ratio: float) -> np.ndarray:
    """B's sound levels (… × bands) moved down in pitch by `ratio` (B speed / A speed): what B
    played at A's speed would show in each band, for a speed change that raised the pitch with it.
    Bands are read between B's band centres (the top band held past the end)."""
    if not (math.isfinite(ratio) and ratio > 0):
        # A NaN here once became an index of -2**63 (an IndexError, a 500): say what it is instead.
        raise ValueError(f"a speed ratio must be a positive number, not {ratio}")
    if abs(ratio - 1.0) < 1e-4:
        return levels_b
    mels = _band_mels()
    hertz = 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    position = np.interp(_mel(hertz * ratio), mels, np.arange(len(mels)))
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, len(mels) - 1)
    weight = (position - lower).astype(np.float32)
    shifted: np.ndarray = levels_b[..., lower] * (1 - weight) + levels_b[..., upper] * weight
    return shifted
