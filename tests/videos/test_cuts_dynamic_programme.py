"""The `cuts` alignment's dynamic programme (videos.engine.clip_grid.cuts), compiled: the path it
traces costs the least of any monotone path in the band, on any costs, against a plain three-state
recurrence written cell by cell."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from videos.engine.clip_grid.cuts import _fill, _trace


def _least_cost(costs: np.ndarray, count_b: int, lowest: int, gap_open: float, gap_extend: float) -> float:
    count_a, width = costs.shape
    inf = math.inf

    def in_band(i: int, j: int) -> bool:
        return 0 <= j <= count_b and lowest <= j - i <= lowest + width - 1

    match = [[inf] * (count_b + 1) for _ in range(count_a + 1)]
    only_a = [[inf] * (count_b + 1) for _ in range(count_a + 1)]
    only_b = [[inf] * (count_b + 1) for _ in range(count_a + 1)]
    match[0][0] = 0.0
    for i in range(count_a + 1):
        for j in range(count_b + 1):
            if not in_band(i, j) or (i, j) == (0, 0):
                continue
            if i and j and in_band(i - 1, j - 1):
                before = min(match[i - 1][j - 1], only_a[i - 1][j - 1], only_b[i - 1][j - 1])
                match[i][j] = before + float(costs[i - 1, j - i - lowest])
            if i and in_band(i - 1, j):
                only_a[i][j] = min(
                    min(match[i - 1][j], only_b[i - 1][j]) + gap_open + gap_extend, only_a[i - 1][j] + gap_extend
                )
            if j and in_band(i, j - 1):
                only_b[i][j] = min(
                    min(match[i][j - 1], only_a[i][j - 1]) + gap_open + gap_extend, only_b[i][j - 1] + gap_extend
                )
    return min(match[count_a][count_b], only_a[count_a][count_b], only_b[count_a][count_b])


def _path_cost(
    costs: np.ndarray, a_indexes: np.ndarray, b_indexes: np.ndarray, lowest: int, gap_open: float, gap_extend: float
) -> float:
    total, previous = 0.0, "match"
    for i, j in zip(a_indexes.tolist(), b_indexes.tolist(), strict=True):
        step = "match" if i >= 0 and j >= 0 else ("only a" if j < 0 else "only b")
        if step == "match":
            total += float(costs[i, j - i - lowest])
        else:
            total += gap_extend if step == previous else gap_open + gap_extend
        previous = step
    return total


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    count_a=st.integers(1, 25),
    count_b=st.integers(1, 25),
    band=st.integers(0, 8),
    gap_open=st.sampled_from([0.0, 0.5, 1.0]),
    gap_extend=st.sampled_from([0.25, 0.75]),
    levels=st.booleans(),
)
def test_the_traced_path_costs_the_least_of_any_path_in_the_band(
    seed: int, count_a: int, count_b: int, band: int, gap_open: float, gap_extend: float, levels: bool
) -> None:
    rng = np.random.default_rng(seed)
    lowest = max(-count_a, min(0, count_b - count_a) - band)
    highest = min(count_b, max(0, count_b - count_a) + band)
    width = highest - lowest + 1
    # A few levels make ties everywhere (a still picture); uniform costs make none.
    values = rng.choice([0.0, 0.25, 1.0], (count_a, width)) if levels else rng.random((count_a, width))
    costs = values.astype(np.float32)
    offsets = lowest + np.arange(width)
    for row in range(count_a):
        costs[row, (row + offsets < 0) | (row + offsets >= count_b)] = np.inf

    pointers, state = _fill(costs, count_b, lowest, gap_open, gap_extend)
    a_indexes, b_indexes = _trace(pointers, state, count_a=count_a, count_b=count_b, lowest=lowest)

    least = _least_cost(costs, count_b, lowest, gap_open, gap_extend)
    assert sorted(a_indexes[a_indexes >= 0].tolist()) == list(range(count_a))
    assert sorted(b_indexes[b_indexes >= 0].tolist()) == list(range(count_b))
    assert math.isclose(
        _path_cost(costs, a_indexes, b_indexes, lowest, gap_open, gap_extend), least, rel_tol=1e-6, abs_tol=1e-6
    )
