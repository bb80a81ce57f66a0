"""Issue 64's pairs in the real-footage corpus (sage/synthetic_media/real_footage/everyday.py): a
tightened cut, A/V sync on sound that is not speech, frame-rate conversions of such sound, a stretch
played backwards. Each pair is what its truth says: measured on its samples, or on the decoded
file where the footage is needed (those skip when the public media is not here)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from sage.synthetic_media.content import SAMPLE_RATE
from sage.synthetic_media.edits import TruthSegment
from sage.synthetic_media.real_footage import (
    REAL_CASES,
    RealCase,
    check_real_case,
    played_backwards,
    render_real_case,
    sound_shifted,
    tightened_cut,
)
from sage.synthetic_media.real_footage.cuts import Clip, Reel
from sage.synthetic_media.real_footage.everyday import BedReel
from sage.synthetic_media.real_footage.sources import COFFEE, LJ, missing_media
from sage.synthetic_media.scoring import TruthFinding
from sage.synthetic_media.sound_beds import Bed, BedKind, bed_samples

TINY = Reel("tiny", (Clip(COFFEE, 1.0, 7.0),), (LJ,), speech_at=0.2)
BEDS: tuple[BedKind, ...] = ("tones_and_clicks", "sparse_clicks", "notes", "effects")  # the ones with onsets


def _everyday() -> list[RealCase]:
    return [case for case in REAL_CASES if case.name.startswith("everyday_")]


def test_issue_64_edits_are_in_the_corpus_half_of_them_held_out() -> None:
    cases = _everyday()
    assert all(check_real_case(case) == [] for case in cases)
    assert 2 * sum(case.held_out for case in cases) >= len(cases)
    tightened = [case for case in cases if case.category == "insert_remove"]
    assert len(tightened) >= 2 and any(case.held_out for case in tightened)
    for case in tightened:
        removals = case.truth.segments
        assert len(removals) == 10 and all(segment.kind == "only_a" for segment in removals)
        assert all(0.4 - 1e-6 <= segment.a_end - segment.a_start <= 1.2 + 1e-6 for segment in removals)
        assert case.a.seconds - case.b.seconds == pytest.approx(sum(s.a_end - s.a_start for s in removals))
    lags = {
        (segment.lag, case.main.bed.kind)
        for case in cases
        for segment in case.truth.segments
        if isinstance(segment, TruthFinding) and isinstance(case.main, BedReel) and case.main.bed
    }
    assert {lag for lag, _ in lags} >= {0.2, 0.4, -0.12} and len({kind for _, kind in lags}) >= 3
    # Drift under beds with no speech: notes and effects, at least one held out.
    drifting = [
        case
        for case in cases
        if isinstance(case.main, BedReel)
        and case.main.bed is not None
        and any(isinstance(segment, TruthFinding) and segment.drift for segment in case.truth.segments)
    ]
    assert {case.main.bed.kind for case in drifting if isinstance(case.main, BedReel) and case.main.bed} >= {
        "notes",
        "effects",
    }
    assert any(case.held_out for case in drifting)
    for case in drifting:
        [finding] = case.truth.segments
        assert isinstance(finding, TruthFinding) and finding.drift is not None
        # The drift moves the lag by more than the 40 ms a drift must reach over the programme.
        assert abs(finding.drift) / 60_000 * case.a.seconds >= 0.05
    conversions = [case for case in cases if case.category == "reencode"]
    assert conversions and all(not case.truth.segments and isinstance(case.main, BedReel) for case in conversions)
    assert all(float(case.a.encoding.fps) == pytest.approx(29.97, abs=0.01) for case in conversions)
    backwards = [case for case in cases if case.category == "both"]
    assert backwards and all([s.kind for s in case.truth.segments] == ["both"] for case in backwards)


@pytest.mark.parametrize("kind", BEDS)
def test_a_bed_has_attacks_at_irregular_times_and_a_lag_shows_in_it(kind: BedKind) -> None:
    samples = bed_samples(Bed(kind, 7), 30.0)
    assert len(samples) == 30 * SAMPLE_RATE and float(np.abs(samples).max()) < 1.0
    # Attacks: 10 ms frames at least 6 dB louder than the frame before, on the sample-to-sample
    # differences (which lift a click's broadband start above a tone's low, steady one).
    rising = np.diff(samples)
    frames = rising[: len(rising) // 480 * 480].reshape(-1, 480)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-9)
    attacks = np.flatnonzero(np.diff(level) > 6)
    attacks = attacks[np.diff(attacks, prepend=-10) > 5]  # one per onset
    assert len(attacks) >= 5
    gaps = np.diff(attacks)
    assert gaps.std() > 0.1 * gaps.mean()  # not a fixed beat
    # The same bed is the same samples; another seed, other ones.
    assert np.array_equal(samples, bed_samples(Bed(kind, 7), 30.0))
    assert not np.array_equal(samples, bed_samples(Bed(kind, 8), 30.0))

    reel = BedReel("bed", TINY.clips, (), bed=Bed(kind, 7))
    case = sound_shifted("late", reel, 0.2)
    a, b = case.a.sound(), case.b.sound()
    spectrum = np.fft.irfft(np.fft.rfft(b, 2 * len(a)) * np.conj(np.fft.rfft(a, 2 * len(a))))
    window = round(0.6 * SAMPLE_RATE)
    lags = np.concatenate([spectrum[-window:], spectrum[: window + 1]])
    assert (int(np.argmax(lags)) - window) / SAMPLE_RATE == pytest.approx(0.2, abs=0.001)


def test_a_bed_of_tones_alone_is_loud_and_has_no_attack() -> None:
    samples = bed_samples(Bed("tones", 7), 30.0)
    level = 10 * np.log10(np.mean(samples.reshape(-1, 480) ** 2, axis=1))
    assert level.min() > -20 and np.abs(np.diff(level)).max() < 1.0


def test_a_tightened_cut_is_one_removal_each_where_b_closes_up(real_media: None) -> None:
    case = tightened_cut("tiny_tightened", TINY, ((1.0, 1.5), (3.2, 4.1)))
    assert case.truth.segments == (
        TruthSegment("only_a", 1.0, 1.5, 1.0, 1.0),
        TruthSegment("only_a", 3.2, 4.1, 2.7, 2.7),
    )
    assert case.b.seconds == pytest.approx(6.0 - 1.4)
    a, b = case.a.sound(), case.b.sound()
    # B's sound at 2.7–4.6 s is A's from 4.1 s.
    assert np.allclose(b[round(2.7 * SAMPLE_RATE) :], a[round(4.1 * SAMPLE_RATE) :], atol=1e-6)


@pytest.fixture(scope="module")
def real_media() -> None:
    problems = missing_media()
    if problems:
        pytest.skip("the real footage and speech are not in the public media folder: " + problems[0])


def _frames(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]).astype(np.float32)


def test_a_stretch_played_backwards_shows_and_sounds_in_reverse(real_media: None, tmp_path: Path) -> None:
    case = played_backwards("tiny_backwards", TINY, 2.0, 4.0)
    a, b = case.a.sound(), case.b.sound()
    first, last = 2 * SAMPLE_RATE, 4 * SAMPLE_RATE
    assert np.allclose(b[first:last], a[first:last][::-1], atol=1e-6)
    assert np.allclose(b[:first], a[:first]) and np.allclose(b[last:], a[last:])
    assert float(np.sqrt(np.mean(a[first:last] ** 2))) > 0.01  # speech is there to be reversed

    path_a, path_b = render_real_case(case, tmp_path)
    frames_a, frames_b = _frames(path_a), _frames(path_b)
    assert len(frames_a) == len(frames_b) == 180

    def closest(frame: np.ndarray) -> int:
        return int(np.argmin([np.abs(frame - other).mean() for other in frames_a]))

    # B's first frame of the stretch is A's last one in it, and so on back; outside, the same.
    assert [closest(frames_b[number]) for number in (60, 75, 119)] == pytest.approx([119, 104, 60], abs=1)
    assert closest(frames_b[30]) == pytest.approx(30, abs=1) and closest(frames_b[150]) == pytest.approx(150, abs=1)
