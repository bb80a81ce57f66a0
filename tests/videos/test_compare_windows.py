"""Engine 2's window search (videos.engine.windows): searching only probes in full and confirming
the other windows gives the votes a full search of every window gives, on fingerprints of 20
minutes with an insertion, a removal, a short insertion the coarse clips cannot see, a replaced
picture, a still picture, a silence, and both at once; and most windows are confirmed rather than
searched."""

from __future__ import annotations

import numpy as np
import pytest

from videos.embeddings.fingerprint import AUDIO_RATE, AUDIO_STEPS_PER_DB, VISUAL_FEATURES, VISUAL_RATE, Fingerprint
from videos.engine.passes.align import CLIP_SECONDS, coarse_lags, pooled_clips, refined_spans
from videos.engine.signals import MomentCosts, PairSignals, VideoSignals
from videos.engine.windows import WINDOW_SECONDS, _WindowSearch, window_offsets

MINUTES = 20


def smooth(rng: np.random.Generator, count: int, width: int, spread: int) -> np.ndarray:
    """Noise averaged over `spread` rows: moments close in time look alike, others do not."""
    noise = rng.standard_normal((count + spread, width))
    running = np.cumsum(noise, axis=0)
    averaged: np.ndarray = (running[spread:] - running[:-spread]) / np.sqrt(spread)
    return averaged


def story(rng: np.random.Generator, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Pictures (0–1 features, VISUAL_RATE a second) and sound (dB, AUDIO_RATE a second)."""
    pictures = np.clip(0.5 + 0.08 * smooth(rng, round(seconds * VISUAL_RATE), VISUAL_FEATURES, 4), 0, 1)
    sound = np.clip(35 + 4 * smooth(rng, round(seconds * AUDIO_RATE), 16, 10), 0, 80)
    return pictures, sound


def fingerprint(pictures: np.ndarray, sound: np.ndarray) -> Fingerprint:
    return Fingerprint(
        visual=np.clip(np.round(pictures * 255), 0, 255).astype(np.uint8),
        audio=np.clip(np.round(sound * AUDIO_STEPS_PER_DB), 0, 255).astype(np.uint8),
        duration=len(pictures) / VISUAL_RATE,
    )


@pytest.fixture(scope="module")
def edited_pair() -> tuple[Fingerprint, Fingerprint]:
    rng = np.random.default_rng(13)
    pictures, sound = story(rng, MINUTES * 60)
    pictures[3000:3200] = pictures[3000]  # a still picture, 20 s
    sound[20000:21000] = 0.0  # silence, 20 s
    pictures[7000:7200] = pictures[7000]  # a still picture and silence: nothing to tell, 20 s
    sound[35000:36000] = 0.0

    def cut(first: float, last: float) -> tuple[np.ndarray, np.ndarray]:
        return pictures[round(first * VISUAL_RATE) : round(last * VISUAL_RATE)], sound[
            round(first * AUDIO_RATE) : round(last * AUDIO_RATE)
        ]

    pieces = [
        story(rng, 2.3),  # lead-in
        cut(0, 130),
        story(rng, 45),  # inserted
        cut(130, 400),
        story(rng, 1.3),  # inserted, shorter than a coarse clip
        cut(400, 610),
        (story(rng, 25)[0], cut(610, 635)[1]),  # the picture replaced, the sound kept
        cut(635, 800),
        cut(830, MINUTES * 60),  # 30 s removed
    ]
    pictures_b = np.concatenate([piece[0] for piece in pieces])
    sound_b = np.concatenate([piece[1] for piece in pieces])
    pictures_b = pictures_b + rng.normal(0, 0.5 / 255, pictures_b.shape)
    return fingerprint(pictures, sound), fingerprint(pictures_b, sound_b)


def test_confirmed_windows_vote_as_a_full_search_of_every_window_does(edited_pair) -> None:
    a, b = edited_pair
    signals_a, signals_b = VideoSignals(a), VideoSignals(b)
    costs = MomentCosts(signals_a, signals_b)
    coarse = coarse_lags(
        pooled_clips(signals_a, clip_seconds=CLIP_SECONDS), pooled_clips(signals_b, clip_seconds=CLIP_SECONDS), "cuts"
    )
    searched: list[int] = []
    original = _WindowSearch.searched

    def counted(self: _WindowSearch, starts: np.ndarray, centres: np.ndarray) -> np.ndarray:
        searched.append(len(starts))
        return original(self, starts, centres)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_WindowSearch, "searched", counted)
        votes = window_offsets(costs, coarse, a.duration, clip_seconds=CLIP_SECONDS)

    # Every window searched in full over all its candidates: the search before probes and
    # confirmation.
    window_count = len(np.arange(0.0, a.duration - WINDOW_SECONDS / 2, WINDOW_SECONDS / 2))
    everything = _every_window_searched(costs, coarse, a.duration)
    assert len(votes) > window_count * 0.8
    assert votes == everything
    assert sum(searched) < window_count / 4


def test_with_the_sound_out_of_step_the_windows_still_vote_as_a_full_search_does(edited_pair) -> None:
    # B's sound 0.16 s late all along: a window's best match then costs more and stands out less, so
    # confirming leaves more windows unsure; those close together are searched in full on shared
    # samples, and vote as a search in full of each does.
    a, b = edited_pair
    frames = round(0.16 * AUDIO_RATE)
    assert b.audio is not None
    late = Fingerprint(
        visual=b.visual,
        audio=np.concatenate([np.repeat(b.audio[:1], frames, axis=0), b.audio[:-frames]]),
        duration=b.duration,
    )
    signals_a, signals_b = VideoSignals(a), VideoSignals(late)
    costs = MomentCosts(signals_a, signals_b)
    coarse = coarse_lags(
        pooled_clips(signals_a, clip_seconds=CLIP_SECONDS), pooled_clips(signals_b, clip_seconds=CLIP_SECONDS), "cuts"
    )
    searched: list[int] = []
    along: list[int] = []
    original, original_along = _WindowSearch.searched, _WindowSearch.searched_along

    def counted(self: _WindowSearch, starts: np.ndarray, centres: np.ndarray) -> np.ndarray:
        searched.append(len(starts))
        return original(self, starts, centres)

    def counted_along(self: _WindowSearch, windows: np.ndarray, centres: np.ndarray) -> np.ndarray:
        along.append(len(windows))
        return original_along(self, windows, centres)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_WindowSearch, "searched", counted)
        patch.setattr(_WindowSearch, "searched_along", counted_along)
        votes = window_offsets(costs, coarse, a.duration, clip_seconds=CLIP_SECONDS)

    window_count = len(np.arange(0.0, a.duration - WINDOW_SECONDS / 2, WINDOW_SECONDS / 2))
    assert votes == _every_window_searched(costs, coarse, a.duration)
    assert sum(along) >= 20
    assert sum(searched) < window_count / 4


def _every_window_searched(
    costs: MomentCosts, coarse: tuple[np.ndarray, np.ndarray], duration: float
) -> list[tuple[float, float, float]]:
    """`window_offsets` with every window searched over all its candidates (no confirmation)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_WindowSearch, "runs", lambda self, starts, centres: None)
        return window_offsets(costs, coarse, duration, clip_seconds=CLIP_SECONDS)


def test_the_spans_find_every_edit_to_a_tenth_of_a_second(edited_pair) -> None:
    a, b = edited_pair
    spans = [(span.a_start, span.a_end, span.offset) for span in refined_spans(PairSignals.of(a, b), "cuts")]

    offsets = [offset for _, _, offset in spans]
    assert offsets == pytest.approx([2.3, 47.3, 48.6, 18.6], abs=0.1)
    assert [end for _, end, _ in spans[:3]] == pytest.approx([130, 400, 800], abs=0.25)
    assert spans[3][0] == pytest.approx(830, abs=0.25)
