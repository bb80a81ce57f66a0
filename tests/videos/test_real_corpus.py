"""The accuracy corpus on real footage (sage/synthetic_media/real_footage/) and the scoring of
engine 3's findings (sage/synthetic_media/scoring.py): every pair is well defined and its truth
scores perfectly; a move, a lag, a speed or a changed text counts only when the comparison says
it right; and a small pair rendered from the real files has the edit the truth says, measured on
the decoded file (the sound 0.4 s late, 1.5× as fast, a changed caption in a box that stays).

The rendering tests need the footage and speech (files of public repositories, in the folder
SAGE_BENCH_MEDIA names, never in git): they skip, saying which file is missing and how to get it,
when they are not there. No fixture is committed: the fetched media may not go into the repository.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from scipy.signal import resample_poly  # type: ignore[import-untyped]  # scipy ships no stubs

from sage.synthetic_media.corpus import CASES
from sage.synthetic_media.edits import TruthSegment
from sage.synthetic_media.real_footage import (
    REAL_CASES,
    RealCase,
    check_real_case,
    render_real_case,
    retitled,
    sound_shifted,
    sped_up,
)
from sage.synthetic_media.real_footage.cuts import Clip, Reel
from sage.synthetic_media.real_footage.sources import COFFEE, LJ, clip_frames, missing_media
from sage.synthetic_media.scoring import (
    FindingsTruth,
    Predicted,
    Prediction,
    TruthFinding,
    goals,
    prediction_from_truth,
    score_case,
    totals,
)
from videos.embeddings.audio import Spectrogram

SAMPLE_RATE = 48_000


# --- the cases ------------------------------------------------------------------------------------


def test_every_real_pair_is_well_defined_and_its_truth_scores_perfectly() -> None:
    for case in REAL_CASES:
        assert check_real_case(case) == [], case.name
        score = score_case(case.truth, prediction_from_truth(case.truth))
        assert score.missed == 0 and not score.false_positives, case.name
        assert all(span.detail_ok is not False for span in score.spans), case.name
        assert all(error == pytest.approx(0) for error in score.boundary_errors), case.name
    total = totals(score_case(case.truth, prediction_from_truth(case.truth)) for case in REAL_CASES)
    assert all(right == count for count, right in total.details.values())


def test_the_real_pairs_cover_issue_37_and_the_earlier_edits_half_of_them_held_out() -> None:
    assert len(REAL_CASES) >= 12
    assert sum(case.held_out for case in REAL_CASES) * 2 >= len(REAL_CASES)
    findings = [segment for case in REAL_CASES for segment in case.truth.segments]
    engine_3 = [segment for segment in findings if isinstance(segment, TruthFinding)]
    lags = sorted(segment.lag or 0.0 for segment in engine_3 if segment.kind == "av_sync")
    assert lags[0] < 0 < lags[-1]  # early and late sound
    assert any(segment.drift for segment in engine_3)
    ratios = {round(segment.ratio or 0, 4) for segment in engine_3 if segment.kind == "speed"}
    assert {1.0417, 1.5} <= ratios
    assert {"moved", "text", "both", "only_a", "only_b", "visual"} <= {segment.kind for segment in findings}
    assert sum(case.category == "reencode" and not case.truth.segments for case in REAL_CASES) >= 2
    assert any(case.truth.offset for case in REAL_CASES)


# --- scoring engine 3's findings ------------------------------------------------------------------


def _moved_truth() -> FindingsTruth:
    return FindingsTruth(0.0, (), (TruthFinding("moved", 10.0, 15.0, 20.0, 25.0),))


def test_a_move_counts_only_as_a_move_at_both_places() -> None:
    right = Prediction(0.0, (Predicted("moved", 10.1, 15.2, 19.9, 25.1, "low"),))
    assert score_case(_moved_truth(), right).spans[0].detail_ok

    # The usual way of getting it wrong: a removal plus an insertion. Missed, and both false.
    cut_and_pasted = Prediction(
        0.0, (Predicted("only_a", 10.0, 15.0, 10.0, 10.0), Predicted("only_b", 20.0, 20.0, 15.0, 20.0))
    )
    score = score_case(_moved_truth(), cut_and_pasted)
    assert score.missed == 1 and len(score.false_positives) == 2

    # Found at A's place but pointing at the wrong place on B.
    wrong_place = Prediction(0.0, (Predicted("moved", 10.0, 15.0, 5.0, 10.0, "low"),))
    assert score_case(_moved_truth(), wrong_place).missed == 1

    # Both places, but ends off by 0.4 s (median): found, not right.
    sloppy = Prediction(0.0, (Predicted("moved", 10.4, 15.4, 20.4, 25.4, "low"),))
    span = score_case(_moved_truth(), sloppy).spans[0]
    assert span.found and not span.detail_ok


def test_an_av_lag_is_right_within_20_ms_at_both_ends_of_its_range() -> None:
    drifting = FindingsTruth(0.0, (), (TruthFinding("av_sync", 0.0, 60.0, 0.0, 60.0, lag=0.04, drift=60.0),))

    def said(lag: float, drift: float | None) -> bool | None:
        prediction = Prediction(0.0, (Predicted("av_sync", 0.0, 60.0, 0.0, 60.0, "low", lag=lag, drift=drift),))
        return score_case(drifting, prediction).spans[0].detail_ok

    assert said(0.05, 55.0)  # 10 ms off at the start, 5 ms at the end
    assert not said(0.07, None)  # the average lag, as if constant: 30 ms off at both ends
    assert not said(0.04, 90.0)  # right at the start, 30 ms off at the end
    assert not said(-0.04, -60.0)  # early instead of late
    # Picture differences where only the sound moved are false.
    pictures = Prediction(0.0, (Predicted("visual", 3.0, 5.0, 3.0, 5.0, "high"),))
    assert len(score_case(drifting, pictures).false_positives) == 1


def test_a_speed_is_right_within_half_a_percent_and_a_text_with_both_texts() -> None:
    fast = FindingsTruth(0.0, (), (TruthFinding("speed", 0.0, 30.0, 0.0, 28.8, ratio=25 / 24),))
    for ratio, right in ((1.040, True), (1.045, True), (1.05, False), (1.0, False)):
        prediction = Prediction(0.0, (Predicted("speed", 0.0, 30.0, 0.0, 28.8, "low", ratio=ratio),))
        assert score_case(fast, prediction).spans[0].detail_ok is right, ratio

    caption = FindingsTruth(0.0, (), (TruthFinding("text", 4.0, 12.0, 4.0, 12.0, text_a="NEWS 24", text_b="NEWS 42"),))
    read = Prediction(0.0, (Predicted("text", 4.2, 12.0, 4.2, 12.0, "low", text_a="news  24", text_b="News 42"),))
    assert score_case(caption, read).spans[0].detail_ok
    misread = Prediction(0.0, (Predicted("text", 4.2, 12.0, 4.2, 12.0, "low", text_a="NEWS 24", text_b="NEWS 24"),))
    assert not score_case(caption, misread).spans[0].detail_ok
    # A picture difference on the caption is true, but does not say what the text says.
    picture = score_case(caption, Prediction(0.0, (Predicted("visual", 4.0, 12.0, 4.0, 12.0, "low"),)))
    assert picture.missed == 1 and not picture.false_positives


def test_the_synthetic_corpus_keeps_its_six_goals_and_the_real_one_adds_four() -> None:
    synthetic = totals(score_case(case.truth, prediction_from_truth(case.truth)) for case in CASES[:5])
    assert len(goals(synthetic)) == 6
    real = totals(score_case(case.truth, prediction_from_truth(case.truth)) for case in REAL_CASES)
    assert len(goals(real)) == 10 and all(met for _, _, met in goals(real))
    # A classic segment keeps its old rules beside the new kinds.
    mixed = FindingsTruth(0.0, (), (TruthSegment("visual", 1.0, 3.0, 1.0, 3.0),))
    assert score_case(mixed, Prediction(0.0, (Predicted("both", 1.0, 3.0, 1.0, 3.0, "low"),))).found == 1


# --- rendering from the real files ----------------------------------------------------------------


@pytest.fixture(scope="module")
def real_media() -> None:
    problems = missing_media()
    if problems:
        pytest.skip("the real footage and speech are not in the public media folder: " + problems[0])


TINY = Reel("tiny", (Clip(COFFEE, 1.0, 7.0),), (LJ,), speech_at=0.2)


def _sound(path: Path) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    with av.open(str(path)) as container:
        pieces = [piece.to_ndarray()[0] for frame in container.decode(audio=0) for piece in resampler.resample(frame)]
    return np.concatenate(pieces)


def _frames(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]).astype(np.float32)


def _lag(a: np.ndarray, b: np.ndarray) -> float:
    """Seconds b's sound is behind a's (cross-correlation, ±0.6 s)."""
    count = min(len(a), len(b))
    a, b = a[:count], b[:count]
    spectrum = np.fft.irfft(np.fft.rfft(b, 2 * count) * np.conj(np.fft.rfft(a, 2 * count)))
    window = round(0.6 * SAMPLE_RATE)
    lags = np.concatenate([spectrum[-window:], spectrum[: window + 1]])
    return (int(np.argmax(lags)) - window) / SAMPLE_RATE


def _render(case: RealCase, directory: Path) -> tuple[Path, Path]:
    assert check_real_case(case) == []
    return render_real_case(case, directory)


def test_b_sound_rendered_0_4_s_late_is_0_4_s_behind_with_the_same_pictures(real_media: None, tmp_path: Path) -> None:
    path_a, path_b = _render(sound_shifted("tiny_late", TINY, 0.4), tmp_path)
    sound_a, sound_b = _sound(path_a), _sound(path_b)
    assert float(np.sqrt(np.mean(sound_a**2))) > 0.01  # real speech is there
    assert _lag(sound_a, sound_b) == pytest.approx(0.4, abs=0.002)
    frames_a, frames_b = _frames(path_a), _frames(path_b)
    assert frames_a.shape == frames_b.shape and frames_a.shape[1:] == (180, 320, 3)
    assert float(np.abs(frames_a - frames_b).mean()) < 1.0
    assert float(np.abs(np.diff(frames_a, axis=0)).mean()) > 1.0  # the camera footage moves


def test_a_section_rendered_1_5x_fast_makes_b_shorter_by_a_third_of_it(real_media: None, tmp_path: Path) -> None:
    case = sped_up("tiny_fast", TINY, 1.5, 1.5, 4.5)
    path_a, path_b = _render(case, tmp_path)
    frames_a, frames_b = _frames(path_a), _frames(path_b)
    assert (len(frames_a), len(frames_b)) == (180, 150)  # 6 s; 6 − 3 + 3 / 1.5 s at 30 fps

    # B's frame at 3.0 s shows A's at 1.5 + 1.5 × 1.5 = 3.75 s, and after the section B runs 1 s early.
    def closest(frame: np.ndarray) -> int:
        return int(np.argmin([np.abs(frame - other).mean() for other in frames_a]))

    assert closest(frames_b[90]) == pytest.approx(112, abs=1)
    assert closest(frames_b[-1]) == pytest.approx(179, abs=1)
    [speed] = case.truth.segments
    assert isinstance(speed, TruthFinding) and speed.ratio == 1.5 and speed.b_end == pytest.approx(3.5)


def test_a_changed_caption_changes_the_picture_only_inside_its_box(real_media: None, tmp_path: Path) -> None:
    path_a, path_b = _render(retitled("tiny_caption", TINY, 1.0, 4.0, "NEWS 24", "NEWS 42"), tmp_path)
    frames_a, frames_b = _frames(path_a), _frames(path_b)
    assert frames_a.shape[1:] == (360, 640, 3)
    difference = np.abs(frames_a - frames_b).mean(axis=3)
    during, outside = difference[30:120], np.concatenate([difference[:25], difference[125:]])
    assert float(outside.mean()) < 0.5
    changed = during > 40
    rows, columns = np.nonzero(changed.any(axis=0))
    assert rows.min() > 0.7 * 360 and columns.max() < 0.5 * 640  # only in the caption, bottom left
    assert float(during.mean()) < 3.0  # and barely: the box itself is the same on both


def test_a_tape_speed_up_is_the_same_sound_played_faster_in_every_band(real_media: None) -> None:
    # TINY's speech has a voice's sibilants up to 11 kHz: read 1.2× as fast by straight lines
    # between samples, they folded back down as 2-3 dB more in the low bands, a change of sound.
    case = sped_up("tiny_tape", TINY, 1.2)
    played, original = case.b.sound(), case.a.sound()
    # B brought back to A's pace (a polyphase filter: nothing folds), both at 16 kHz.
    at_pace = resample_poly(resample_poly(played, 6, 5), 1, 3)
    spectrogram = Spectrogram(16_000)
    levels_a = spectrogram.levels(resample_poly(original, 1, 3))
    levels_b = spectrogram.levels(at_pace[: round(len(original) / 3)])
    count = min(len(levels_a), len(levels_b))
    loud = levels_a[:count].max(axis=1) > 10  # where there is speech
    difference = (levels_b[:count] - levels_a[:count])[loud].mean(axis=0)
    assert np.abs(difference).max() < 0.5


def test_each_frame_shows_the_nearest_frame_of_its_clip(real_media: None) -> None:
    # The nearest earlier one showed the picture half a source frame late on average, by another
    # amount for each clip's rate and each speed: 28 ms between two versions of one programme.
    frames, rate = clip_frames(COFFEE, (320, 180))
    clip = TINY.clips[0]
    for number in range(30, 40):
        early, late = (number + 0.4) / rate - clip.start, (number + 0.6) / rate - clip.start
        assert np.array_equal(TINY.frame(early, (320, 180)), frames[number])
        assert np.array_equal(TINY.frame(late, (320, 180)), frames[number + 1])
