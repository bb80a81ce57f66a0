"""The pair's signals are worked out once and read without copies: every pass that builds a video's `Signals` again (the
alignment, unrelated footage, moves) finds the picture's layout already made on the fingerprint."""

from __future__ import annotations

import numpy as np

from videos.embeddings.fingerprint import LUMA_GRID, VISUAL_FEATURES, VISUAL_RATE, Fingerprint
from videos.engine.signals import VideoSignals, grid_rows


def test_every_pass_shares_one_layout_of_a_fingerprint_without_each_samples_mean() -> None:
    rng = np.random.default_rng(3)
    fingerprint = Fingerprint(
        visual=rng.integers(0, 256, size=(50, VISUAL_FEATURES), dtype=np.uint8),
        audio=None,
        duration=50 / VISUAL_RATE,
    )

    first, second = VideoSignals(fingerprint), VideoSignals(fingerprint)

    assert first.layout is second.layout
    luma = fingerprint.visual.astype(np.float64)[:, : LUMA_GRID * LUMA_GRID] / 255.0
    np.testing.assert_allclose(first.layout, luma - luma.mean(axis=1, keepdims=True), atol=1e-6)
    assert not first.layout.flags.writeable  # shared: no pass may change it for the others


def test_rows_on_an_even_grid_are_read_in_place_and_equal_the_gathered_ones() -> None:
    rows = np.arange(200 * 4, dtype=np.float32).reshape(200, 4)
    on_grid = 7 + 1 * np.arange(5)[:, None] + 2 * np.arange(6)  # candidates × samples, as a window search reads
    clipped = np.minimum(on_grid + 185, 199)  # past the end: held at the last row, not a grid

    read = grid_rows(rows, on_grid)

    np.testing.assert_array_equal(read, rows[on_grid])
    assert np.shares_memory(read, rows)
    np.testing.assert_array_equal(grid_rows(rows, clipped), rows[clipped])
