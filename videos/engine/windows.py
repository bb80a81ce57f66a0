"""Local offsets along A for the engine-2 alignment (videos.engine.passes.align, step 2): every
WINDOW_SECONDS / 2, a window of WINDOW_SECONDS votes for the offset (B time − A time) whose picture
and sound match best, within SEARCH_SECONDS of the coarse lag; runs of windows that agree are grouped.
"""

from __future__ import annotations

import bisect
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from videos.engine.signals import MomentCosts

WINDOW_SECONDS = 4.0
SEARCH_SECONDS = 4.2
# A window votes for an offset only when its best match is clearly better than a typical wrong one
# and plausibly a match at all (costs are in units of the typical unrelated pair, see `MomentCosts`).
VOTE_MARGIN = 0.25
VOTE_CEILING = 0.6
# Windows whose offsets differ by no more than this belong to one span.
SAME_OFFSET = 0.15
# The window search (see `window_offsets`): one window in PROBE_EVERY is searched in full; the
# others confirm the offset of the searched windows around them over the _CONFIRM_NEAR candidates
# either side of it, against its cost at offsets _CONFIRM_FAR seconds from it, with _CONFIRM_SLACK
# to spare on both of a full search's tests (VOTE_CEILING, VOTE_MARGIN).
PROBE_EVERY = 64
_CONFIRM_NEAR = 2
_CONFIRM_FAR = (-3.5, -2.5, -1.5, 1.5, 2.5, 3.5)
_CONFIRM_SLACK = 0.1
_ABSTAINS, _UNSURE = -1, -2
# Unsure windows side by side are searched in full on shared samples from this many on.
_ALONG_LEAST = 4
_ALONG_GAP = 6
_ALONG_SPREAD = 10
# Windows searched in full at a time: 64 × 85 candidates × 20 samples × 64 features stay under
# 30 MB; blocks are searched _THREADS at a time.
_BLOCK = 64
_THREADS = 2


def window_offsets(
    costs: MomentCosts, coarse: tuple[np.ndarray, np.ndarray], duration_a: float, *, clip_seconds: float
) -> list[tuple[float, float, float]]:
    """(start, end, offset) on A of every window that can tell its offset. Windows overlap by
    half; each searches SEARCH_SECONDS around the median lag of the coarse pairs (of clips of
    `clip_seconds`, starting at the A times in coarse[0]) near it.

    A 3-hour video has 5,400 windows, and searching every one in full was most of engine 2's time.
    So a window is searched in full (`_WindowSearch.searched`) when it is a probe (every
    PROBE_EVERY-th window of a stretch the search fits in, and the stretch's last), outside such a
    stretch, or, halving the way, between searched windows that disagree; any other window is
    confirmed (`_WindowSearch.confirmed`): it votes as the searched window before it did when that
    offset is plainly its best, and is searched in full when that is not sure. A confirmed window
    votes as a search in full would, unless an offset seconds away (between the far ones it is
    checked against) matches better still: a repeated moment, which a search in full takes as a
    stray vote and the confirmation leaves out."""
    clip_starts, lags = coarse
    if not len(clip_starts):
        return []
    step = 1.0 / costs.a.visual_rate
    candidates = np.arange(-SEARCH_SECONDS, SEARCH_SECONDS + step / 2, step)
    window_starts = np.arange(0.0, max(duration_a - WINDOW_SECONDS / 2, step), WINDOW_SECONDS / 2)
    samples = np.arange(0.0, WINDOW_SECONDS, 2 * step)
    centres = np.round(_window_centres(clip_starts, lags, window_starts, clip_seconds) / step) * step
    search = _WindowSearch(costs, candidates, samples, duration_a)
    # Per window: the index of the candidate it votes for, or _ABSTAINS (also where it has no centre).
    chosen = np.full(len(window_starts), _ABSTAINS)
    searched = ~np.isfinite(centres)  # nothing to search: the window is skipped

    def search_fully(which: np.ndarray) -> None:
        which = which & ~searched
        if which.any():
            chosen[which] = search.searched(window_starts[which], centres[which])
            searched[which] = True

    run_of = search.runs(window_starts, centres)
    if run_of is None:
        search_fully(np.ones(len(window_starts), bool))
    else:
        search_fully(_probes(run_of))
        expected = _expected_offsets(run_of, chosen, searched, centres, candidates)
        # Between searched windows that disagree (or did not vote), the middle one is searched,
        # until every window left has agreeing neighbours: a change of offset costs a few searches.
        while np.isnan(expected[~searched]).any():
            search_fully(_middles(np.isnan(expected) & ~searched))
            expected = _expected_offsets(run_of, chosen, searched, centres, candidates)
        confirm = np.flatnonzero(~searched)
        chosen[confirm] = search.confirmed(confirm, centres, expected)
        unsure = np.flatnonzero(chosen == _UNSURE)
        chosen[unsure] = search.searched_along(unsure, centres)
        search_fully(chosen == _UNSURE)
    return [
        (start, min(duration_a, start + WINDOW_SECONDS), float(centre + candidates[index]))
        for start, centre, index in zip(window_starts.tolist(), centres.tolist(), chosen.tolist(), strict=True)
        if index >= 0
    ]


def _window_centres(
    clip_starts: np.ndarray, lags: np.ndarray, window_starts: np.ndarray, clip_seconds: float
) -> np.ndarray:
    """The median coarse lag of the clips starting from a clip before each window to a clip after
    its end (NaN: none), as `np.median` gives it."""
    order = np.argsort(clip_starts, kind="stable")
    sorted_starts, sorted_lags = clip_starts[order], lags[order]
    first = np.searchsorted(sorted_starts, window_starts - clip_seconds)
    counts = np.searchsorted(sorted_starts, window_starts + WINDOW_SECONDS + clip_seconds) - first
    width = max(1, int(counts.max()))
    columns = np.arange(width)
    nearby = sorted_lags[np.minimum(first[:, None] + columns, len(sorted_lags) - 1)]
    nearby = np.sort(np.where(columns < counts[:, None], nearby, np.inf), axis=1)
    rows = np.arange(len(window_starts))
    middle = (nearby[rows, np.maximum(counts - 1, 0) // 2] + nearby[rows, counts // 2]) / 2
    centres: np.ndarray = np.where(counts > 0, middle, np.nan)
    return centres


def _probes(run_of: np.ndarray) -> np.ndarray:
    """Windows outside every run, and every PROBE_EVERY-th window of each run and its last."""
    probes = run_of < 0
    starts = np.flatnonzero((run_of >= 0) & (run_of != np.concatenate([[-1], run_of[:-1]])))
    ends = np.flatnonzero((run_of >= 0) & (run_of != np.concatenate([run_of[1:], [-1]])))
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        probes[first : last + 1 : PROBE_EVERY] = True
        probes[last] = True
    return probes


def _middles(flags: np.ndarray) -> np.ndarray:
    """The middle window of each run of flagged windows."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    middles = np.zeros(len(flags), bool)
    middles[(np.flatnonzero(edges == 1) + np.flatnonzero(edges == -1) - 1) // 2] = True
    return middles


def _expected_offsets(
    run_of: np.ndarray, chosen: np.ndarray, searched: np.ndarray, centres: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """For each window not searched yet: the offset the searched windows nearest before and after
    it in its run voted for, when both voted and agree to a picture sample; NaN otherwise."""
    count = len(chosen)
    positions = np.arange(count)
    voted = searched & (chosen >= 0)
    offsets = np.where(voted, centres + candidates[np.maximum(chosen, 0)], np.nan)
    before = np.maximum.accumulate(np.where(voted, positions, -1))
    after = np.minimum.accumulate(np.where(voted, positions, count)[::-1])[::-1]
    has_both = (before >= 0) & (after < count)
    before, after = np.clip(before, 0, count - 1), np.clip(after, 0, count - 1)
    same_run = has_both & (run_of >= 0) & (run_of[before] == run_of) & (run_of[after] == run_of)
    step = candidates[1] - candidates[0]
    agree = np.abs(np.round(offsets[before] / step) - np.round(offsets[after] / step)) <= 1
    expected: np.ndarray = np.where(same_run & agree & ~searched, offsets[before], np.nan)
    return expected


class _WindowSearch:
    """The offset search of `window_offsets` over any set of windows: in full, or confirmed."""

    def __init__(self, costs: MomentCosts, candidates: np.ndarray, samples: np.ndarray, duration_a: float) -> None:
        self.costs = costs
        self.candidates = candidates
        self.samples = samples
        self.duration_a = duration_a
        self.step = float(candidates[1] - candidates[0])
        # Windows start every WINDOW_SECONDS / 2, which is `hop` samples when that is whole.
        hop = WINDOW_SECONDS / 2 / (samples[1] - samples[0])
        self.hop = round(hop) if abs(hop - round(hop)) < 1e-9 else 0

    def runs(self, window_starts: np.ndarray, centres: np.ndarray) -> np.ndarray | None:
        """Per window, the number of the run of consecutive windows it belongs to whose whole
        search lies inside both videos (−1: none); None when windows are not on one grid of samples."""
        if not self.hop or len(self.samples) != 2 * self.hop:
            return None
        with np.errstate(invalid="ignore"):
            fits = (
                np.isfinite(centres)
                & (window_starts + self.samples[-1] <= self.duration_a)
                & (window_starts + centres + self.candidates[0] >= 0)
                & (window_starts + self.samples[-1] + centres + self.candidates[-1] <= self.costs.b.duration)
            )
        numbers = np.cumsum(fits & ~np.concatenate([[False], fits[:-1]])) - 1
        run_of: np.ndarray = np.where(fits, numbers, -1)
        return run_of

    def searched(self, starts: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """The candidate each window votes for (or _ABSTAINS), every candidate tried; vectorised
        over blocks of windows."""
        chosen = np.full(len(starts), _ABSTAINS)
        blocks = range(0, len(starts), _BLOCK)
        if len(blocks) < 2:
            for begin in blocks:
                chosen[begin : begin + _BLOCK] = self._searched_block(starts, centres, begin)
            return chosen
        # NumPy lets go of the interpreter lock in its loops over the blocks' arrays: two threads
        # keep both cores busy where many windows are searched (a sound out of step, a long edit).
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            for begin, votes in zip(
                blocks, pool.map(partial(self._searched_block, starts, centres), blocks), strict=True
            ):
                chosen[begin : begin + _BLOCK] = votes
        return chosen

    def _searched_block(self, starts: np.ndarray, centres: np.ndarray, begin: int) -> np.ndarray:
        """The votes of windows begin to begin + _BLOCK (see `searched`)."""
        costs, candidates, samples = self.costs, self.candidates, self.samples
        times_a = starts[begin : begin + _BLOCK, None] + samples[None, :]  # windows × samples
        offsets = centres[begin : begin + _BLOCK, None] + candidates[None, :]  # windows × candidates
        times_b = times_a[:, None, :] + offsets[:, :, None]  # windows × candidates × samples
        inside_a = times_a <= self.duration_a
        valid = (times_b >= 0) & (times_b <= costs.b.duration) & inside_a[:, None, :]
        moment = costs.windows(times_a, times_b)
        counted = valid.sum(axis=2)
        mean_cost = np.where(valid, moment, 0).sum(axis=2) / np.maximum(counted, 1)
        enough = counted >= 0.75 * np.maximum(inside_a.sum(axis=1), 1)[:, None]
        mean_cost = np.where(enough & (counted >= 4), mean_cost, np.inf)
        best = np.argmin(mean_cost, axis=1)
        best_cost = mean_cost[np.arange(len(mean_cost)), best]
        # The typical cost: the median of the finite ones (one call for the rows all finite).
        typical = np.full(len(mean_cost), np.nan)
        finite = np.isfinite(mean_cost)
        whole = finite.all(axis=1)
        if whole.any():
            typical[whole] = np.median(mean_cost[whole], axis=1)
        for row in np.flatnonzero(~whole & finite.any(axis=1)).tolist():
            typical[row] = np.median(mean_cost[row][finite[row]])
        votes = (best_cost <= VOTE_CEILING) & (typical - best_cost >= VOTE_MARGIN)
        voted: np.ndarray = np.where(votes, best, _ABSTAINS)
        return voted

    def confirmed(self, windows: np.ndarray, centres: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """For windows (indexes, each inside a run) expected to vote for `expected[window]`: the
        candidate each votes for when one of the nearest to that offset is the best of them, under
        VOTE_CEILING, and a margin better than offsets 1.5–3.5 s away (where a search in full finds
        its typical cost); _UNSURE otherwise. Samples are shared by overlapping windows."""
        chosen = np.full(len(windows), _UNSURE)
        near = np.arange(-_CONFIRM_NEAR, _CONFIRM_NEAR + 1)
        far = np.round(np.array(_CONFIRM_FAR) / self.step).astype(np.int64)
        shifts = np.concatenate([near, far])
        spacing = self.samples[1] - self.samples[0]
        keys = np.round(expected[windows] / self.step).astype(np.int64)
        for key in np.unique(keys).tolist():
            group = np.flatnonzero(keys == key)
            first_samples = windows[group] * self.hop
            needed = np.unique((first_samples[:, None] + np.arange(len(self.samples))).ravel())
            # The near offsets at every sample, as a search in full sums them (the same costs, so
            # the same vote); the far ones, a typical cost, at every other sample.
            near_moment = self.costs.along(needed * spacing, (key + near) * self.step)
            columns = np.searchsorted(needed, first_samples)[:, None] + np.arange(len(self.samples))
            near_costs = near_moment[:, columns].sum(axis=2).astype(np.float64) / len(self.samples)
            even = needed[needed % 2 == 0]
            far_moment = self.costs.along(even * spacing, (key + far) * self.step)
            columns = np.searchsorted(even, first_samples)[:, None] + np.arange(len(self.samples) // 2)
            far_costs = far_moment[:, columns].mean(axis=2)
            # Where each shift falls among a window's own candidates (outside them: not comparable).
            own_centres = np.round(centres[windows[group]] / self.step).astype(np.int64)
            indexes = key + shifts[:, None] - own_centres[None, :] + len(self.candidates) // 2
            within = (indexes >= 0) & (indexes < len(self.candidates))
            far_costs = np.where(within[len(near) :], far_costs, np.inf)
            best = np.argmin(near_costs, axis=0)
            best_cost = near_costs[best, np.arange(len(group))]
            sure = (
                within[: len(near)].all(axis=0)
                & (within[len(near) :].sum(axis=0) >= 4)
                & (best >= 1)
                & (best <= len(near) - 2)
                & (best_cost <= VOTE_CEILING - _CONFIRM_SLACK)
                & (far_costs.min(axis=0) - best_cost >= VOTE_MARGIN + _CONFIRM_SLACK)
            )
            chosen[group] = np.where(sure, indexes[best, np.arange(len(group))], _UNSURE)
        return chosen

    def searched_along(self, windows: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """For windows (indexes, each inside a run) left unsure by `confirmed`: the vote of a search
        in full over every candidate, on samples shared by overlapping windows (`MomentCosts.along`:
        the same costs), for each stretch of at least _ALONG_LEAST such windows close together;
        _UNSURE for the others (searched in full one by one). A sound out of step with its picture
        leaves most windows unsure (their best match costs more, and its margin is less), and
        overlapping windows then share half of their samples."""
        chosen = np.full(len(windows), _UNSURE)
        if not len(windows):
            return chosen
        keys = np.round(centres[windows] / self.step).astype(np.int64)
        spacing = self.samples[1] - self.samples[0]
        # Stretches: windows in order, under _ALONG_GAP apart (the samples of the windows between
        # are costed too), their centres within _ALONG_SPREAD candidates of each other.
        starts = np.flatnonzero(np.diff(windows, prepend=-_ALONG_GAP) >= _ALONG_GAP)
        for begin, end in zip(starts.tolist(), [*starts[1:].tolist(), len(windows)], strict=True):
            while end - begin >= _ALONG_LEAST:
                low = keys[begin]
                within = np.abs(keys[begin:end] - low) <= _ALONG_SPREAD
                stop = begin + (int(np.argmin(within)) if not within.all() else end - begin)
                stretch = np.arange(begin, stop)
                begin = stop
                if len(stretch) < _ALONG_LEAST:
                    continue
                lowest = int(keys[stretch].min())
                first_samples = windows[stretch] * self.hop
                needed = np.arange(first_samples[0], first_samples[-1] + len(self.samples))
                offsets = (lowest + np.arange(int(keys[stretch].max()) - lowest + 1))[:, None] * self.step
                offsets = np.unique(np.round((offsets + self.candidates[None, :]) / self.step)) * self.step
                moment = self.costs.along(needed * spacing, offsets)
                rows = (keys[stretch] - lowest)[:, None] + np.arange(len(self.candidates))  # windows × candidates
                columns = (first_samples - needed[0])[:, None] + np.arange(len(self.samples))  # windows × samples
                mean_cost = moment[rows[:, :, None], columns[:, None, :]].sum(axis=2).astype(np.float64)
                mean_cost /= len(self.samples)
                best = np.argmin(mean_cost, axis=1)
                best_cost = mean_cost[np.arange(len(stretch)), best]
                typical = np.median(mean_cost, axis=1)
                votes = (best_cost <= VOTE_CEILING) & (typical - best_cost >= VOTE_MARGIN)
                chosen[stretch] = np.where(votes, best, _ABSTAINS)
        return chosen


def group_windows(votes: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Consecutive windows that agree on the offset, as (start, end, median offset) on A."""
    groups: list[list[tuple[float, float, float]]] = []
    sorted_offsets: list[list[float]] = []  # each group's offsets in order, for its running median
    for vote in votes:
        if groups and abs(vote[2] - _median(sorted_offsets[-1])) <= SAME_OFFSET:
            groups[-1].append(vote)
            bisect.insort(sorted_offsets[-1], vote[2])
        else:
            groups.append([vote])
            sorted_offsets.append([vote[2]])
    # A lone window between two groups of one offset is noise (a still moment, a near match).
    merged: list[list[tuple[float, float, float]]] = []
    for group in groups:
        if merged and abs(_group_median(merged[-1]) - _group_median(group)) <= SAME_OFFSET:
            merged[-1].extend(group)
        elif len(group) == 1 and merged and len(groups) > 1 and group is not groups[-1]:
            continue
        else:
            merged.append(group)
    return [(group[0][0], group[-1][1], _group_median(group)) for group in merged]


def _group_median(group: list[tuple[float, float, float]]) -> float:
    return _median(sorted(vote[2] for vote in group))


def _median(ordered: list[float]) -> float:
    """The median of sorted values, as `np.median` computes it (the mean of the middle two)."""
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
