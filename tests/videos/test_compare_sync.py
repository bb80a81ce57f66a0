"""Engine 3's A/V sync on real files (issue 37): B's soundtrack late, early or drifting against its
own picture is one "av_sync" finding with the lag measured to 20 ms, and no picture or sound
difference of its own. A is 60 s of natural-looking footage with speech, music and ambience
(sage/synthetic_media); each B is A's picture packets copied as they are, with A's sound moved and
encoded again beside them (what a muxing fault does to a delivery)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from scipy.signal import resample_poly  # type: ignore[import-untyped]  # scipy ships no stubs

from sage.synthetic_media.content import SAMPLE_RATE
from sage.synthetic_media.corpus import cut, whole
from sage.synthetic_media.edits import render_version
from sage.synthetic_media.natural import Programme
from sage.synthetic_media.sound_beds import Bed, bed_samples
from tests.factories import TranscriptFactory, UserFactory
from tests.videos.test_compare_refined import processed
from tests.videos.test_compare_words import HEARD, HEARD_EARLY
from videos.compare.files import compare_files
from videos.compare.services import comparison_at, comparison_create, describe
from videos.engine.model import MatchedSpan
from videos.engine.passes import sync
from videos.engine.passes.sync import MIN_LAG, _fitted, av_sync_findings, measure_span
from videos.engine.result import EngineResult

MAIN = Programme(83, 60)
LAG_TOLERANCE = 0.02
SoundChange = Callable[[np.ndarray], np.ndarray]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sync")


@pytest.fixture(scope="module")
def original(folder: Path) -> Path:
    return render_version(whole(MAIN), MAIN, (320, 180), folder / "a.mp4")


@pytest.fixture(scope="module")
def shortened(folder: Path) -> Path:
    """A with 3 s taken out at 20 s (its picture encoded again)."""
    return render_version(cut((MAIN, 0.0, 20.0), (MAIN, 23.0, 60.0)), MAIN, (320, 180), folder / "cut.mp4")


def decoded_sound(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        pieces = [
            piece.to_ndarray().reshape(-1)
            for frame in container.decode(container.streams.audio[0])
            for piece in resampler.resample(frame)
        ]
        pieces += [piece.to_ndarray().reshape(-1) for piece in resampler.resample(None)]
    return np.concatenate(pieces)


def with_sound(source: Path, target: Path, change: SoundChange) -> Path:
    """`source`'s picture packets copied untouched, and its sound after `change`, encoded as AAC."""
    if target.exists():
        return target
    samples = change(decoded_sound(source)).astype(np.float32)
    with av.open(str(source)) as given, av.open(str(target), "w", format="mp4") as output:
        picture_in = given.streams.video[0]
        picture_out = output.add_stream_from_template(picture_in)
        sound_out = output.add_stream("aac", rate=SAMPLE_RATE)
        sound_out.layout = "mono"
        for packet in given.demux(picture_in):
            if packet.dts is None:  # the demuxer's empty packet at the end
                continue
            packet.stream = picture_out
            output.mux(packet)
        for start in range(0, len(samples), 4800):
            frame = av.AudioFrame.from_ndarray(samples[None, start : start + 4800].copy(), format="flt", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, start, Fraction(1, SAMPLE_RATE)
            output.mux(sound_out.encode(frame))
        output.mux(sound_out.encode(None))
    return target


def delayed(seconds: float) -> SoundChange:
    """The soundtrack `seconds` later against the picture (negative: earlier), the file as long."""

    def change(samples: np.ndarray) -> np.ndarray:
        count = round(abs(seconds) * SAMPLE_RATE)
        silence = np.zeros(count, np.float32)
        if seconds >= 0:
            return np.concatenate([silence, samples[: len(samples) - count]])
        return np.concatenate([samples[count:], silence])

    return change


def drifting(ms_per_minute: float) -> SoundChange:
    """The soundtrack played slightly slow: what the picture shows at t is heard at t·(1 + r), so
    the lag grows by `ms_per_minute` every minute (a frame-rate conversion fault)."""
    rate = ms_per_minute / 60_000.0

    def change(samples: np.ndarray) -> np.ndarray:
        times = np.arange(len(samples)) / SAMPLE_RATE
        return np.interp(times / (1 + rate), times, samples)

    return change


def drifting_cleanly(ms_per_minute: float) -> SoundChange:
    """`drifting`, resampled through a polyphase filter: linear interpolation between samples dulls
    the highs of clicks and knocks where it falls between two, a change of sound of its own."""
    up, down = round(2000 * (1 + ms_per_minute / 60_000.0)), 2000

    def change(samples: np.ndarray) -> np.ndarray:
        played: np.ndarray = resample_poly(samples, up, down)[: len(samples)]
        return np.pad(played, (0, len(samples) - len(played)))

    return change


def sync_findings(result: EngineResult) -> list:
    return [segment for segment in result.segments if segment.kind == "av_sync"]


def other_segments(result: EngineResult) -> list:
    return [(s.kind, s.a_start, s.a_end, s.severity) for s in result.segments if s.kind != "av_sync"]


@pytest.mark.parametrize(("lag", "severity"), [(0.4, "high"), (-0.12, "high"), (0.06, "low")])
def test_a_constant_lag_is_one_finding_and_no_difference(
    original: Path, folder: Path, lag: float, severity: str
) -> None:
    late = with_sound(original, folder / f"lag{lag}.mp4", delayed(lag))
    result = compare_files(original, late)
    assert other_segments(result) == []
    [finding] = sync_findings(result)
    assert finding.lag == pytest.approx(lag, abs=LAG_TOLERANCE)
    assert finding.drift is None
    assert finding.severity == severity
    assert finding.a_start == pytest.approx(0.0, abs=0.3)
    assert finding.a_end == pytest.approx(MAIN.seconds, abs=0.3)
    # The picture decides where B is: the lag does not move the offset.
    assert result.offset == pytest.approx(0.0, abs=LAG_TOLERANCE)
    assert result.findings == [finding]


def test_a_drifting_sound_is_one_finding_with_its_drift(original: Path, folder: Path) -> None:
    drifted = with_sound(original, folder / "drift.mp4", drifting(60.0))
    result = compare_files(original, drifted)
    assert other_segments(result) == []
    [finding] = sync_findings(result)
    assert finding.drift is not None
    # The lag at the start and at the end, each within 20 ms of the truth (0 and 60 ms).
    assert finding.lag == pytest.approx(0.0, abs=LAG_TOLERANCE)
    assert finding.lag + finding.drift / 1000.0 == pytest.approx(0.06, abs=LAG_TOLERANCE)
    assert result.offset == pytest.approx(0.0, abs=LAG_TOLERANCE)


@pytest.mark.parametrize("lag", [0.0, 0.02])
def test_sound_in_step_or_nearly_gives_nothing(original: Path, folder: Path, lag: float) -> None:
    """The sound encoded again, in step or 20 ms late (under what anyone notices): no finding."""
    copy = with_sound(original, folder / f"near{lag}.mp4", delayed(lag))
    result = compare_files(original, copy)
    assert result.segments == []
    assert result.spans[0].sound_lag == 0.0


def test_a_lag_across_a_cut_is_one_finding_and_the_cut_as_without_it(
    original: Path, shortened: Path, folder: Path
) -> None:
    late = with_sound(shortened, folder / "cut_late.mp4", delayed(0.4))
    result = compare_files(original, late)
    [finding] = sync_findings(result)
    assert finding.lag == pytest.approx(0.4, abs=LAG_TOLERANCE)
    assert (finding.a_start, finding.a_end) == (pytest.approx(0.0, abs=0.3), pytest.approx(60.0, abs=0.3))
    assert (finding.b_start, finding.b_end) == (pytest.approx(0.0, abs=0.3), pytest.approx(57.0, abs=0.3))
    # The cut is reported as it is with the sound in step, and nothing else.
    in_step = compare_files(original, shortened)
    assert sync_findings(in_step) == []
    assert [kind for kind, *_ in other_segments(result)] == [kind for kind, *_ in other_segments(in_step)]
    for (_, start, end, _), (_, start_in_step, end_in_step, _) in zip(
        other_segments(result), other_segments(in_step), strict=True
    ):
        assert (start, end) == (pytest.approx(start_in_step, abs=0.25), pytest.approx(end_in_step, abs=0.25))
    assert any(abs((start or 0.0) - 20.0) <= 1.0 for _, start, _, _ in other_segments(in_step))


def bed_sound(bed: Bed) -> SoundChange:
    """The soundtrack replaced by `bed` (music, effects, clicks), as long as it was."""

    def change(samples: np.ndarray) -> np.ndarray:
        return bed_samples(bed, len(samples) / SAMPLE_RATE + 1.0)[: len(samples)]

    return change


@pytest.mark.parametrize("lag", [0.2, -0.12])
def test_a_lag_under_a_loud_steady_tone_is_timed_by_its_sparse_clicks(original: Path, folder: Path, lag: float) -> None:
    """Tones held for seconds, a click every 2–6 s: a fifth of a second off, the tones cost almost
    nothing, and only the clicks tell where B's sound is. One finding, the lag within 20 ms."""
    bed = bed_sound(Bed("sparse_clicks", 90))
    in_step = with_sound(original, folder / "sparse_clicks.mp4", bed)
    late = with_sound(original, folder / f"sparse_clicks{lag}.mp4", lambda samples: delayed(lag)(bed(samples)))
    result = compare_files(in_step, late)
    assert other_segments(result) == []
    [finding] = sync_findings(result)
    assert finding.lag == pytest.approx(lag, abs=LAG_TOLERANCE)
    assert finding.drift is None
    assert (finding.a_start, finding.a_end) == (pytest.approx(0.0, abs=0.3), pytest.approx(MAIN.seconds, abs=0.3))
    assert result.offset == pytest.approx(0.0, abs=LAG_TOLERANCE)


@pytest.mark.django_db
def test_a_stored_comparison_keeps_the_lag_at_any_threshold(original: Path, folder: Path) -> None:
    owner = UserFactory()
    late = with_sound(original, folder / "lag0.4.mp4", delayed(0.4))
    video_a, video_b = processed(owner, original, "a"), processed(owner, late, "b")

    comparison, _ = comparison_create(user=owner, video_a=video_a, video_b=video_b)

    [row] = comparison.segments
    assert (row["kind"], row["severity"]) == ("av_sync", "high")
    assert row["lag"] == pytest.approx(0.4, abs=LAG_TOLERANCE)
    assert "drift" not in row
    assert comparison.findings == [row]
    assert comparison.offset == pytest.approx(0.0, abs=LAG_TOLERANCE)
    # The span keeps its lag, so judging again at a keener threshold finds no difference either.
    assert comparison.matched_spans[0][4] == pytest.approx(0.4, abs=LAG_TOLERANCE)
    assert [segment.kind for segment in comparison_at(comparison, 0.05).segments] == ["av_sync"]


@pytest.mark.django_db
def test_sound_heard_0_15_s_early_quotes_no_words_though_the_recogniser_wrote_them_otherwise(
    original: Path, folder: Path
) -> None:
    owner = UserFactory()
    early = with_sound(original, folder / "lag-0.15.mp4", delayed(-0.15))
    video_a, video_b = processed(owner, original, "a"), processed(owner, early, "b")
    # What the recogniser wrote of one passage and of it 0.15 s early (tests/videos/test_compare_words.py).
    TranscriptFactory(video=video_a, lines=HEARD)
    TranscriptFactory(video=video_b, lines=HEARD_EARLY)

    comparison, _ = comparison_create(user=owner, video_a=video_a, video_b=video_b)

    assert [row["kind"] for row in comparison.segments] == ["av_sync"]
    assert comparison.word_changes == {}
    assert "says" not in describe(comparison)


def test_spans_with_one_lag_make_one_finding_and_a_change_of_lag_another() -> None:
    spans = [
        MatchedSpan(0.0, 10.0, 0.0, 10.0, sound_lag=0.2),
        MatchedSpan(12.0, 20.0, 10.0, 18.0, sound_lag=0.21),
        MatchedSpan(20.0, 30.0, 18.0, 28.0, sound_lag=-0.1),
        MatchedSpan(30.0, 40.0, 28.0, 38.0),
        MatchedSpan(40.0, 50.0, 38.0, 48.0, sound_lag=-0.1),
    ]
    findings = av_sync_findings(spans)
    assert [(f.a_start, f.a_end, f.b_start, f.b_end) for f in findings] == [
        (0.0, 20.0, 0.0, 18.0),
        (20.0, 30.0, 18.0, 28.0),
        (40.0, 50.0, 38.0, 48.0),
    ]
    assert [f.lag for f in findings] == [pytest.approx(0.2044, abs=1e-3), -0.1, -0.1]
    assert [f.severity for f in findings] == ["high", "high", "high"]


def test_a_drift_that_goes_on_across_a_cut_is_one_finding() -> None:
    per_second = 0.001  # 60 ms a minute
    spans = [
        MatchedSpan(0.0, 30.0, 0.0, 30.0, sound_lag=0.0, sound_drift=per_second),
        MatchedSpan(33.0, 60.0, 30.0, 57.0, sound_lag=0.033, sound_drift=per_second),
    ]
    [finding] = av_sync_findings(spans)
    assert finding.drift == pytest.approx(60.0)
    assert (finding.a_start, finding.a_end, finding.lag) == (0.0, 60.0, 0.0)


def test_a_drift_holds_at_both_ends_of_its_span_or_is_no_drift() -> None:
    # A frame-rate conversion: the sound in step throughout, the picture's offset read 60 ms off on
    # two slow pieces in the middle. Dropping the first piece, a line through the rest "drifted" by
    # −240 ms a minute (a false A/V finding on a clean copy); a drift must hold at both ends.
    centres = np.array([4.0, 10.6, 17.2, 23.8, 30.3])
    wobbling = np.array([0.003, 0.060, 0.063, -0.003, -0.018])
    drifting = 0.010 + 0.004 * centres + np.array([0.004, -0.006, 0.002, 0.005, -0.003])

    conversion = _fitted(centres, np.zeros(5), wobbling, 33.0)
    drift = _fitted(centres, np.zeros(5), drifting, 33.0)

    assert conversion is None or conversion.drift == 0.0
    assert drift is not None and drift.drift == pytest.approx(0.004, abs=0.0005)


@pytest.mark.parametrize("off", [(1, 2), (0, 2, 3), (1, 2, 4)])
def test_pictures_read_a_frame_or_two_off_on_some_pieces_are_no_lag_however_they_split(
    monkeypatch: pytest.MonkeyPatch, off: tuple[int, ...]
) -> None:
    # A 29.97 fps programme of tones shown at 25: the sound where it always was (each piece's
    # onsets place it to a few milliseconds), the picture's offset read 60 ms early on the pieces
    # `off`, and each of those lags measured from its own picture read 60 ms late. Two of five
    # pieces so, or three (which once made the lag they agreed on a finding), the sound is in step.
    span = MatchedSpan(0.0, 33.0, 0.0, 33.0)
    starts: list[float] = []

    def picture(costs: object, span: MatchedSpan, start: float, end: float) -> float:
        starts.append(start)
        return -0.06 if len(starts) - 1 in off else 0.004 * (len(starts) % 2)

    def sound(costs: object, span: MatchedSpan, start: float, end: float, correction: float) -> float:
        return 0.003 - correction  # B's sound 3 ms late against the span, whatever its picture read

    monkeypatch.setattr(sync, "_picture_offset", picture)
    monkeypatch.setattr(sync, "_sound_lag", sound)
    measured = measure_span(None, span)  # type: ignore[arg-type]  # the costs are only passed on

    assert len(starts) == 5
    assert measured is not None and abs(measured.lag) < MIN_LAG and measured.drift == 0.0


# A sound drifting earlier (−120 ms a minute, notes or effects) is timed right, but notes or knocks
# where the drift moved them still score as changes of sound: left out here, in issue 64's note.
@pytest.mark.django_db
@pytest.mark.parametrize(("bed", "drift"), [(Bed("notes", 92), 90.0)])
def test_a_drift_under_music_is_one_finding_read_back_from_the_stored_comparison(
    original: Path, folder: Path, bed: Bed, drift: float
) -> None:
    """No word is spoken: B's bed of notes runs slowly away from its picture. Compared in
    the site, one "av_sync" finding over the whole programme, its lag right within 20 ms at both ends."""
    owner = UserFactory()
    in_step = with_sound(original, folder / f"{bed.kind}{bed.seed}.mp4", bed_sound(bed))
    drifted = with_sound(
        original,
        folder / f"{bed.kind}{bed.seed}_{drift}.mp4",
        lambda samples: drifting_cleanly(drift)(bed_sound(bed)(samples)),
    )
    video_a, video_b = processed(owner, in_step, "a"), processed(owner, drifted, "b")

    comparison, _ = comparison_create(user=owner, video_a=video_a, video_b=video_b)

    [row] = [segment for segment in comparison.segments if segment["kind"] == "av_sync"]
    assert [segment for segment in comparison.segments if segment["kind"] != "av_sync"] == []
    assert (row["a_start"], row["a_end"]) == (pytest.approx(0.0, abs=0.3), pytest.approx(MAIN.seconds, abs=0.3))
    start_lag, per_second = row["lag"], row["drift"] / 60_000.0
    assert start_lag == pytest.approx(0.0, abs=LAG_TOLERANCE)
    assert start_lag + per_second * (row["a_end"] - row["a_start"]) == pytest.approx(
        drift / 1000 * MAIN.seconds / 60, abs=LAG_TOLERANCE
    )
    assert comparison.findings == [row]
