"""The pair's signals are worked out once and read without copies: every pass that builds a video's `Signals` again (the
alignment, unrelated footage, moves) finds the picture's layout already made on the fingerprint."""

from __future__ import annotations

import math

import numpy as np
import pytest

from videos.embeddings.fingerprint import AUDIO_BANDS, LUMA_GRID, VISUAL_FEATURES, VISUAL_RATE, Fingerprint
from videos.engine.passes.align import pooled_clips
from videos.engine.signals import MomentCosts, VideoSignals, grid_rows


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


@pytest.mark.parametrize("samples", [1, 7, 333])
def test_the_layout_is_numpys_own_figure_to_the_bit(samples: int) -> None:
    # Compiled, the layout must still be the figure every comparison so far was made with: a last
    # bit's difference may move a near tie in the alignment, and a stored comparison with it.
    rng = np.random.default_rng(samples)
    fingerprint = Fingerprint(
        visual=rng.integers(0, 256, size=(samples, VISUAL_FEATURES), dtype=np.uint8),
        audio=None,
        duration=samples / VISUAL_RATE,
    )
    luma = fingerprint.visual_floats[:, : LUMA_GRID * LUMA_GRID]

    assert np.array_equal(fingerprint.layout, luma - luma.mean(axis=1, keepdims=True))


@pytest.mark.parametrize(("pictures", "frames"), [(40, 200), (47, 231), (45, 180)])
def test_two_second_clips_pool_each_clips_picture_and_sound(pictures: int, frames: int) -> None:
    # 47 pictures: the last clip's missing pictures hold the last one; 231 and 180 sound frames: the
    # sound ends within a clip or before the picture, and is silence after.
    rng = np.random.default_rng(pictures)
    fingerprint = Fingerprint(
        visual=rng.integers(0, 256, size=(pictures, VISUAL_FEATURES), dtype=np.uint8),
        audio=rng.integers(0, 256, size=(frames, AUDIO_BANDS), dtype=np.uint8),
        duration=pictures / VISUAL_RATE,
    )
    signals = VideoSignals(fingerprint)

    pooled = pooled_clips(signals, clip_seconds=2.0)

    count = math.ceil(pictures / 20)
    assert len(pooled) == count and pooled.audio is not None
    layout = signals.layout[np.minimum(np.arange(count * 20), pictures - 1)].reshape(count, 20, -1)
    colour = signals.visual[np.minimum(np.arange(count * 20), pictures - 1), LUMA_GRID * LUMA_GRID :]
    expected_picture = np.concatenate(
        [layout.mean(axis=1) * 2, colour.reshape(count, 20, -1).mean(axis=1) * 2, layout.std(axis=1)], axis=1
    )
    assert signals.sound is not None
    sound = np.zeros((count * 100, AUDIO_BANDS), np.float32)
    sound[: min(frames, count * 100)] = signals.sound[: count * 100]
    heard = sound.reshape(count, 100, -1) / 20.0
    np.testing.assert_allclose(pooled.visual, expected_picture, atol=1e-5)
    np.testing.assert_allclose(pooled.audio, np.concatenate([heard.mean(axis=1), heard.std(axis=1)], axis=1), atol=1e-5)


@pytest.mark.parametrize("with_sound", [True, False])
def test_costs_along_offsets_are_the_gathered_costs_to_the_bit(with_sound: bool) -> None:
    # A window search reads each offset's costs along a run of samples in one compiled loop; they
    # must be the figures the plain gathered measure gives, or a near tie could turn another way.
    rng = np.random.default_rng(7)
    pictures, frames = 600, 3000
    a = Fingerprint(
        visual=rng.integers(0, 256, size=(pictures, VISUAL_FEATURES), dtype=np.uint8),
        audio=rng.integers(0, 256, size=(frames, AUDIO_BANDS), dtype=np.uint8) if with_sound else None,
        duration=pictures / VISUAL_RATE,
    )
    b = Fingerprint(
        visual=rng.integers(0, 256, size=(pictures, VISUAL_FEATURES), dtype=np.uint8),
        audio=rng.integers(0, 256, size=(frames, AUDIO_BANDS), dtype=np.uint8) if with_sound else None,
        duration=pictures / VISUAL_RATE,
    )
    costs = MomentCosts(VideoSignals(a), VideoSignals(b))
    times = 3.0 + np.arange(200) / VISUAL_RATE
    offsets = np.array([-2.5, -0.1, 0.0, 0.3, 12.0])

    along = costs.along(times, offsets)

    assert along.shape == (5, 200)
    assert np.array_equal(along, costs.moment(times[None, :], times[None, :] + offsets[:, None]))
