"""The pair's signals are worked out once: every pass that builds a video's `Signals` again (the
alignment, unrelated footage, moves) finds the picture's layout already made on the fingerprint."""

from __future__ import annotations

import numpy as np

from videos.compare.moments import Signals
from videos.embeddings.fingerprint import LUMA_GRID, VISUAL_FEATURES, VISUAL_RATE, Fingerprint


def test_every_pass_shares_one_layout_of_a_fingerprint_without_each_samples_mean() -> None:
    rng = np.random.default_rng(3)
    fingerprint = Fingerprint(
        visual=rng.integers(0, 256, size=(50, VISUAL_FEATURES), dtype=np.uint8),
        audio=None,
        duration=50 / VISUAL_RATE,
    )

    first, second = Signals(fingerprint), Signals(fingerprint)

    assert first.layout is second.layout
    luma = fingerprint.visual.astype(np.float64)[:, : LUMA_GRID * LUMA_GRID] / 255.0
    np.testing.assert_allclose(first.layout, luma - luma.mean(axis=1, keepdims=True), atol=1e-6)
    assert not first.layout.flags.writeable  # shared: no pass may change it for the others
