"""No pair of fingerprints makes the comparison engine raise (issue 51: a held-out pair, a 2.7 s trim
plus an overlay, answered 500 on `POST /api/v1/comparisons/` with an IndexError from a NaN pitch
ratio). Hypothesis draws random and degenerate pairs - noise, a constant picture, silence, a copy
with a stretch cut out or held - and the engine's screening must find spans for each, in order."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videos.embeddings.fingerprint import AUDIO_BANDS, AUDIO_RATE, VISUAL_FEATURES, VISUAL_RATE, Fingerprint
from videos.engine.model import Line
from videos.engine.passes.speed import _section_cost, floor_cost, mean_cost, refined_line, section_between
from videos.engine.pipeline import candidates
from videos.engine.pitch import pitch_matched
from videos.engine.signals import MomentCosts, VideoSignals


def _fingerprint(visual: np.ndarray, audio: np.ndarray | None) -> Fingerprint:
    return Fingerprint(visual=visual, audio=audio, duration=len(visual) / VISUAL_RATE)


def _audio_like(visual: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray | None:
    frames = int(len(visual) / VISUAL_RATE * AUDIO_RATE)
    if kind == "none":
        return None
    if kind == "silence":
        return np.zeros((frames, AUDIO_BANDS), np.uint8)
    # Sound that follows the picture (each picture sample's first bands, held), so edits move both.
    follows = np.repeat(visual[:, :AUDIO_BANDS], int(AUDIO_RATE / VISUAL_RATE), axis=0)[:frames]
    return follows if kind == "follows" else rng.integers(0, 256, (frames, AUDIO_BANDS), dtype=np.uint8)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Fingerprint, Fingerprint]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    seconds = draw(st.floats(0.3, 40.0))
    samples = max(1, int(seconds * VISUAL_RATE))
    picture = draw(st.sampled_from(["noise", "constant", "slow"]))
    if picture == "noise":
        a = rng.integers(0, 256, (samples, VISUAL_FEATURES), dtype=np.uint8)
    elif picture == "constant":
        a = np.full((samples, VISUAL_FEATURES), draw(st.integers(0, 255)), np.uint8)
    else:  # a picture that changes slowly: many times look alike
        steps = np.cumsum(rng.normal(0, 2, (samples, VISUAL_FEATURES)), axis=0)
        a = np.clip(128 + steps, 0, 255).astype(np.uint8)
    edit = draw(st.sampled_from(["copy", "cut", "held", "unrelated", "overlay"]))
    b = a.copy()
    at = draw(st.integers(0, max(0, samples - 1)))
    length = draw(st.integers(1, max(1, samples)))
    if edit == "cut":
        b = np.concatenate([a[:at], a[at + length :]]) if len(a) > length else a[:1].copy()
    elif edit == "held":  # a stretch held on one frame: B is longer
        b = np.concatenate([a[:at], np.repeat(a[at : at + 1], length, axis=0), a[at:]])
    elif edit == "unrelated":
        b = rng.integers(0, 256, (draw(st.integers(1, samples * 2)), VISUAL_FEATURES), dtype=np.uint8)
    elif edit == "overlay":
        b[at : at + length, : VISUAL_FEATURES // 3] = 255
    sound = draw(st.sampled_from(["none", "silence", "follows", "noise"]))
    return _fingerprint(a, _audio_like(a, sound, rng)), _fingerprint(b, _audio_like(b, sound, rng))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=pairs(), alignment=st.sampled_from(["cuts", "offset"]))
def test_the_screening_never_raises_and_its_spans_are_in_order(
    pair: tuple[Fingerprint, Fingerprint], alignment: str
) -> None:
    a, b = pair
    state = candidates(a, b, alignment).state  # type: ignore[arg-type]
    for span in state.spans:
        assert 0 <= span.a_start <= span.a_end <= a.duration + 1e-6
        assert span.b_start <= span.b_end and math.isfinite(span.b_end)
    for stretch in state.candidates:
        assert stretch.a_start <= stretch.a_end


def _trim_and_overlay(seed: int) -> tuple[Fingerprint, Fingerprint]:
    """The held-out pair's kind: 40 s of slowly changing picture with sound that follows it; B has
    1.5-4 s trimmed out somewhere and a white bar over a few seconds elsewhere."""
    rng = np.random.default_rng(seed)
    steps = np.cumsum(rng.normal(0, 2, (400, VISUAL_FEATURES)), axis=0)
    a = np.clip(128 + steps, 0, 255).astype(np.uint8)
    cut_at, cut = int(rng.integers(50, 300)), int(rng.integers(15, 40))
    b = np.concatenate([a[:cut_at], a[cut_at + cut :]])
    overlay_at = int(rng.integers(0, len(b) - 60))
    b[overlay_at : overlay_at + int(rng.integers(20, 80)), :20] = 255
    return _fingerprint(a, _audio_like(a, "follows", rng)), _fingerprint(b, _audio_like(b, "follows", rng))


# Seeds 11, 16 and 27 raised the reported IndexError on the old code (4 of 80 such pairs did).
@pytest.mark.parametrize("seed", [11, 16, 27, 3])
def test_a_trim_plus_an_overlay_is_screened_without_raising(seed: int) -> None:
    a, b = _trim_and_overlay(seed)
    spans = candidates(a, b, "cuts").state.spans
    assert spans, "the copy's matched spans"
    assert sum(span.a_end - span.a_start for span in spans) > 0.5 * a.duration


def _costs(seconds: float, seed: int = 1) -> MomentCosts:
    rng = np.random.default_rng(seed)
    visual = rng.integers(0, 256, (int(seconds * VISUAL_RATE), VISUAL_FEATURES), dtype=np.uint8)
    fingerprint = _fingerprint(visual, _audio_like(visual, "follows", rng))
    return MomentCosts(VideoSignals(fingerprint), VideoSignals(fingerprint))


@pytest.mark.parametrize("end", [12.7, 12.0, 11.0])
def test_a_section_that_would_play_backwards_or_stand_still_costs_infinitely_much(end: float) -> None:
    # From offset 0 to offset -2.7 over 2.7 s of A (B is 2.7 s shorter: a trim), B would stand
    # still; over less, it would run backwards. Neither is a speed change: it costs inf, no raise.
    costs = _costs(30.0)
    times = np.arange(5.0, 20.0, 0.05)
    assert _section_cost(costs, times, 10.0, end, 0.0, -2.7) == math.inf


def test_a_trim_next_to_an_overlay_is_no_speed_section() -> None:
    costs = _costs(30.0)
    section = section_between(costs, (0.0, 10.0, 0.0), (12.7, 30.0, -2.7))
    assert section is None or section.rate > 0


@pytest.mark.parametrize("ratio", [0.0, -1.0, math.inf, math.nan])
def test_pitch_cannot_be_moved_by_a_ratio_that_is_no_speed(ratio: float) -> None:
    levels = np.ones((4, AUDIO_BANDS), np.float32)
    with pytest.raises(ValueError, match="speed ratio"):
        pitch_matched(levels, ratio)


@pytest.mark.parametrize("rate", [0.45, 0.6, 1.0])
def test_a_short_line_is_refined_among_forward_speeds_only(rate: float) -> None:
    # Over one second of A, the search's first rate steps are 0.4 wide: around a slow rate they reached
    # B playing backwards (a ValueError, a 500, found by the screening's hypothesis test in CI).
    line = refined_line(_costs(3.0), Line(0.5, 1.5, 0.2, rate))
    assert line.rate > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    with_sound=st.booleans(),
    seconds_b=st.floats(3.0, 40.0),
    shift_start=st.floats(-1.0, 1.0),
    shift_end=st.floats(-1.0, 1.0),
    reach=st.floats(0.05, 1.0),
)
def test_no_line_kept_near_a_guess_costs_less_than_their_floor(
    seed: int, with_sound: bool, seconds_b: float, shift_start: float, shift_end: float, reach: float
) -> None:
    # A whole programme's speed is searched only when this floor says a line near the guess could
    # beat the spans: a floor above any such line's cost would hide a speed change.
    rng = np.random.default_rng(seed)
    visual_a = rng.integers(0, 256, (300, VISUAL_FEATURES), dtype=np.uint8)
    visual_b = rng.integers(0, 256, (int(seconds_b * VISUAL_RATE), VISUAL_FEATURES), dtype=np.uint8)
    audio_a = _audio_like(visual_a, "follows", rng) if with_sound else None
    audio_b = _audio_like(visual_b, "follows", rng) if with_sound else None
    costs = MomentCosts(VideoSignals(_fingerprint(visual_a, audio_a)), VideoSignals(_fingerprint(visual_b, audio_b)))
    duration_a, duration_b = costs.a.duration, costs.b.duration
    guess = Line(0.0, duration_a, 0.0, duration_b / duration_a)
    times = np.linspace(0.0, duration_a, 200, endpoint=False)
    floor = floor_cost(costs, times, np.asarray(guess.b_at(times)), reach)
    # A line whose ends stay within the reach of the guess's ends stays within it all along.
    start, end = shift_start * reach, duration_b + shift_end * reach
    line = Line(0.0, duration_a, start, (end - start) / duration_a)
    if line.rate <= 0:
        return
    cost = float(mean_cost(costs, times, np.asarray(line.b_at(times))[None, :], np.array([1.0 / line.rate]))[0])
    assert floor <= cost + 1e-5
