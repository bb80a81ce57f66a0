"""Engine 3 on speed changes, on rendered files: a programme and B played faster, either all of it
(the 25/24 PAL speed-up) or a 20 s section of it (1.5×). B is drawn from the same source time as A
(the programme's picture is a function of source time), and its sound is A's resampled in time, so
it is higher pitched as well, as a speed-up without pitch correction is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sage.synthetic_media import SAMPLE_RATE
from sage.synthetic_media.copies import tempo_changed
from sage.synthetic_media.edits import Piece, Version, render_version, version_sound
from sage.synthetic_media.natural import Programme, ProgrammePainter
from sage.synthetic_media.real_footage import TUNING, real_case_named, render_real_case, sped_up
from sage.synthetic_media.real_footage.cuts import Clip, Reel
from sage.synthetic_media.real_footage.sources import BLOCKS, CUPS, HARVARD, missing_media
from sage.synthetic_media.writing import write_streams
from videos.compare.files import compare_files
from videos.embeddings.audio import Spectrogram
from videos.embeddings.fingerprint import AUDIO_BANDS
from videos.engine.model import STEP, Difference, MatchedSpan, Measured
from videos.engine.passes.speed import speed_findings
from videos.engine.pitch import pitch_matched
from videos.engine.result import EngineResult, judge

FPS = 25
MASTER = (320, 180)
SECONDS = 60.0
PAL = 25 / 24  # film shown at PAL's 25 frames a second: 4.2 % fast
SECTION = (20.0, 41.0)  # A's stretch that B plays 1.5 times as fast
PROGRAMME = Programme(seed=37, seconds=SECONDS)
# B's source time at each of B's times: A's picture and sound at that moment of the programme.
SourceTime = Callable[[np.ndarray], np.ndarray]


def whole_speed(ratio: float) -> SourceTime:
    """B plays the whole programme `ratio` times as fast."""
    return lambda times: times * ratio


def section_speed(start: float, end: float, ratio: float) -> SourceTime:
    """B plays A's `start`–`end` `ratio` times as fast, the rest at its own speed."""
    section_b = (end - start) / ratio

    def source(times: np.ndarray) -> np.ndarray:
        inside = start + (times - start) * ratio
        after = times + (end - start) - section_b
        return np.where(times < start, times, np.where(times < start + section_b, inside, after))

    return source


def rendered_a(folder: Path, programme: Programme = PROGRAMME) -> Path:
    path = folder / f"a{programme.seed}.mp4"
    if not path.exists():
        version = Version((Piece(programme, 0.0, SECONDS),))
        render_version(version, programme, MASTER, path)
    return path


def rendered_b(
    folder: Path,
    name: str,
    source_time: SourceTime,
    seconds: float,
    *,
    pitch_kept_at: float | None = None,
    programme: Programme = PROGRAMME,
) -> Path:
    """B: `seconds` long, showing at each of its times the programme at `source_time(time)`; its
    sound played `pitch_kept_at` times as fast with the pitch kept when given."""
    path = folder / f"{name}.mp4"
    if path.exists():
        return path
    painter = ProgrammePainter(programme, *MASTER)
    frame_times = np.arange(round(seconds * FPS)) / FPS
    sources = np.clip(source_time(frame_times), 0.0, SECONDS - 1e-3)
    sound = version_sound(Version((Piece(programme, 0.0, SECONDS),)), programme)
    sample_times = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    # Resampled in time: played faster, the sound is higher pitched too (no pitch correction).
    positions = source_time(sample_times) * SAMPLE_RATE
    samples = np.interp(positions, np.arange(len(sound)), sound).astype(np.float32)
    if pitch_kept_at is not None:
        samples = np.resize(tempo_changed(sound.astype(np.float32), pitch_kept_at), len(sample_times))
    return write_streams(
        path, frames=(painter.frame(float(time) + 1e-6) for time in sources), width=MASTER[0], height=MASTER[1],
        fps=FPS, container="mp4", codec=None, crf=None, bitrate=None, samples=samples, preset="ultrafast",
    )  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("speed")


@pytest.fixture(scope="module")
def pal_result(folder: Path) -> EngineResult:
    b = rendered_b(folder, "pal", whole_speed(PAL), SECONDS / PAL)
    return compare_files(rendered_a(folder), b)


@pytest.fixture(scope="module")
def section_result(folder: Path) -> EngineResult:
    # A's 20–41 s in 14 s: 7 s less, a whole number of frames of both A (30 fps) and B (25 fps), so
    # that after it B shows A's very frames (at another phase, a train's fast motion would differ).
    b = rendered_b(folder, "section", section_speed(SECTION[0], SECTION[1], 1.5), SECONDS - 7.0)
    return compare_files(rendered_a(folder), b)


def test_a_whole_video_played_25_24_fast_is_one_speed_finding_and_nothing_else(pal_result) -> None:
    assert [segment.kind for segment in pal_result.segments] == ["speed"]
    (finding,) = pal_result.findings
    assert finding.ratio == pytest.approx(PAL, rel=0.005)
    assert finding.a_start == pytest.approx(0.0, abs=0.25)
    assert finding.a_end == pytest.approx(SECONDS, abs=0.25)
    assert finding.b_end == pytest.approx(SECONDS / PAL, abs=0.25)
    # One span maps the whole of A onto the whole of B.
    assert len(pal_result.spans) == 1
    assert 1 / pal_result.spans[0].rate == pytest.approx(PAL, rel=0.005)
    assert pal_result.similarity == pytest.approx(100.0)


def test_a_section_played_one_and_a_half_times_as_fast_is_one_speed_finding_at_its_place(section_result) -> None:
    assert [segment.kind for segment in section_result.segments] == ["speed"]
    (finding,) = section_result.findings
    assert finding.ratio == pytest.approx(1.5, rel=0.005)
    assert (finding.a_start, finding.a_end) == (pytest.approx(20.0, abs=0.25), pytest.approx(41.0, abs=0.25))
    assert (finding.b_start, finding.b_end) == (pytest.approx(20.0, abs=0.25), pytest.approx(34.0, abs=0.25))
    # Before and after it, B keeps A's pace: nothing only one video has.
    rates = [round(span.rate, 3) for span in section_result.spans]
    assert rates == [1.0, pytest.approx(1 / 1.5, abs=0.003), 1.0]
    assert section_result.spans[-1].offset == pytest.approx(-7.0, abs=0.05)


def test_a_section_played_slower_is_found_with_its_ratio_and_no_sound_out_of_sync(folder: Path) -> None:
    # A's 10–34 s in 30 s (0.8 of A's speed, its sound lower pitched), the rest 6 s later.
    b = rendered_b(folder, "slower", section_speed(10.0, 34.0, 0.8), SECONDS + 6.0)

    result = compare_files(rendered_a(folder), b)

    assert [segment.kind for segment in result.segments] == ["speed"]
    (finding,) = result.findings
    assert finding.ratio == pytest.approx(0.8, rel=0.005)
    assert [finding.a_start, finding.a_end, finding.b_start, finding.b_end] == pytest.approx(
        [10.0, 34.0, 10.0, 40.0], abs=0.25
    )


def test_a_whole_video_played_one_and_a_half_times_as_fast_is_one_span_end_to_end(folder: Path) -> None:
    # Too fast for any window to agree on an offset: found between the few at its two ends.
    b = rendered_b(folder, "faster", whole_speed(1.5), SECONDS / 1.5)

    result = compare_files(rendered_a(folder), b)

    assert [segment.kind for segment in result.segments] == ["speed"]
    assert result.findings[0].ratio == pytest.approx(1.5, rel=0.005)
    (span,) = result.spans
    assert [span.a_start, span.a_end, span.b_start, span.b_end] == pytest.approx([0.0, SECONDS, 0.0, 40.0], abs=0.25)


@pytest.mark.parametrize(
    ("seed", "ratio", "pitch_kept"),
    # One of each kind of sound (a tape's higher pitch, a tempo change that keeps it) on footage that
    # threw the windows off; other speeds of each kind are the accuracy bench's (whole programmes of
    # real footage played fast), for the suite's time.
    [
        # Footage on which the windows lose the line for a moment: what they found is one line still.
        (31, 1.1, True),
        # 30 % higher pitched, B's sound is still A's: no stretch of the programme is unrelated.
        (83, 1.3, False),
    ],
    ids=["10_percent_pitch_kept", "30_percent_tape"],
)
def test_a_whole_video_played_fast_is_one_speed_finding_end_to_end(
    folder: Path, seed: int, ratio: float, pitch_kept: bool
) -> None:
    programme = Programme(seed=seed, seconds=SECONDS)
    tempo = ratio if pitch_kept else None
    b = rendered_b(
        folder, f"fast_{seed}_{ratio}_{pitch_kept}", whole_speed(ratio), SECONDS / ratio,
        pitch_kept_at=tempo, programme=programme,
    )  # fmt: skip

    result = compare_files(rendered_a(folder, programme), b)

    [finding] = [segment for segment in result.segments if segment.kind == "speed"]
    assert finding.ratio == pytest.approx(ratio, rel=0.005)
    assert [finding.a_start, finding.a_end, finding.b_start, finding.b_end] == pytest.approx(
        [0.0, SECONDS, 0.0, SECONDS / ratio], abs=0.25
    )
    assert not [segment for segment in result.segments if segment.kind in ("only_a", "only_b") or segment.replaced]


def test_the_speed_finding_holds_at_any_threshold(section_result) -> None:
    for threshold in (0.02, 0.5):
        judged = section_result.with_threshold(threshold)
        assert [segment for segment in judged.segments if segment.kind == "speed"] == section_result.findings


def test_a_change_measured_along_a_faster_stretch_sits_at_b_s_own_times() -> None:
    # B plays A's 10–30 s in 10 s (twice as fast) and its picture differs from A's 20 s on.
    steps = round(20.0 / STEP)
    picture = np.where(np.arange(steps) * STEP >= 10.0, 0.9, 0.0)
    measured = Measured(a_start=10.0, offset=0.0, picture=picture, sound=None, rate=0.5)
    span = MatchedSpan(10.0, 30.0, 10.0, 20.0)

    result = judge(
        duration_a=40.0, duration_b=30.0, alignment="cuts", spans=[span], measured=[measured], threshold=0.15
    )

    changed = [segment for segment in result.segments if segment.kind == "visual"]
    assert len(changed) == 1
    times = [changed[0].a_start, changed[0].a_end, changed[0].b_start, changed[0].b_end]
    assert times == pytest.approx([20.0, 30.0, 15.0, 20.0], abs=0.15)
    # Stored and read back, the stretch keeps its rate (older rows have none: the same speed).
    assert Measured.from_json(measured.as_json()).rate == 0.5
    assert Measured.from_json(_without_rate(measured)).rate == 1.0


def _without_rate(measured: Measured) -> dict[str, object]:
    row = measured.as_json()
    row.pop("rate")
    return row


def test_only_speeds_that_differ_by_half_a_percent_or_more_are_reported() -> None:
    spans = [
        MatchedSpan(0.0, 100.0, 0.0, 100.0),
        MatchedSpan(100.0, 200.0, 100.0, 199.7),  # 0.3 % fast: within what a frame-rate conversion gives
        MatchedSpan(200.0, 300.0, 199.7, 296.7),  # 3.1 % fast
        MatchedSpan(300.0, 320.0, 296.7, 326.7),  # two thirds of A's speed
    ]

    findings = speed_findings(spans)

    assert [finding.a_start for finding in findings] == [200.0, 300.0]
    assert [finding.ratio for finding in findings] == pytest.approx([100 / 97, 20 / 30], abs=1e-4)
    assert {finding.kind for finding in findings} == {"speed"}


def test_a_higher_pitched_sound_is_moved_back_down_by_the_speed() -> None:
    spectrogram = Spectrogram(16_000)
    times = np.arange(16_000) / 16_000

    def bands(frequency: float) -> np.ndarray:
        levels = spectrogram.levels(np.sin(2 * np.pi * frequency * times).astype(np.float32))
        pooled: np.ndarray = levels.reshape(len(levels), AUDIO_BANDS, -1).mean(axis=2).mean(axis=0)
        return pooled

    original, faster = bands(1000.0), bands(1500.0)
    assert int(np.argmax(faster)) != int(np.argmax(original))
    assert int(np.argmax(pitch_matched(faster, 1.5))) == int(np.argmax(original))


# Real footage (sage/synthetic_media/real_footage): hand-held cups, then blocks moved fast (a 24 fps
# camera's frames, re-timed), under recorded speech.
SHORT_REEL = Reel("short", (Clip(CUPS, 0.0, 6.0), Clip(BLOCKS, 0.0, 9.0)), (HARVARD,))


@pytest.fixture(scope="module")
def real_folder(folder: Path) -> Path:
    if missing := missing_media():
        pytest.skip("the real footage and speech are not in the public media folder: " + missing[0])
    return folder / "real"


@pytest.mark.parametrize(
    ("rate", "pitch_kept"),
    [
        # Half a percent drifts 75 ms over the programme: no window sees a slope.
        (1.005, False),
        # Half as fast again, B never shows a third of A's frames: no picture changed for that.
        (1.5, False),
    ],
    ids=["half_a_percent_fast", "fifty_percent_fast"],
)
def test_a_whole_programme_of_real_footage_at_any_speed_is_one_speed_finding_and_nothing_else(
    real_folder: Path, rate: float, pitch_kept: bool
) -> None:
    case = sped_up(f"whole_{rate}", SHORT_REEL, rate, pitch_kept=pitch_kept)
    a, b = render_real_case(case, real_folder)

    result = compare_files(a, b)

    assert [segment.kind for segment in result.segments] == ["speed"]
    (finding,) = result.findings
    assert finding.ratio == pytest.approx(rate, rel=0.002)
    seconds = SHORT_REEL.seconds
    assert [finding.a_start, finding.a_end, finding.b_start, finding.b_end] == pytest.approx(
        [0.0, seconds, 0.0, seconds / rate], abs=0.5
    )


def test_a_whole_programme_4_percent_fast_whose_sound_drifts_is_one_speed_and_one_drift(real_folder: Path) -> None:
    # B's sound falls 0.2 s behind its picture over the programme, as well as playing 4 % fast (a
    # drift is measured in pieces of 8 s: this takes the bench's 29 s reel).
    case = sped_up("fast_drifting", TUNING, 1.04, drift_over_programme=0.2)
    a, b = render_real_case(case, real_folder)

    result = compare_files(a, b)

    assert sorted(segment.kind for segment in result.segments) == ["av_sync", "speed"]
    [speed] = of_kind(result, "speed")
    [sync] = of_kind(result, "av_sync")
    assert speed.ratio == pytest.approx(1.04, rel=0.002)
    assert sync.lag is not None and sync.drift is not None and sync.a_start is not None and sync.a_end is not None
    lag_at_end = sync.lag + sync.drift / 60_000 * (sync.a_end - sync.a_start)
    assert [sync.lag, lag_at_end] == pytest.approx([0.0, 0.2], abs=0.02)


def of_kind(result: EngineResult, kind: str) -> list[Difference]:
    return [segment for segment in result.segments if segment.kind == kind]


@pytest.mark.parametrize(
    "name",
    [
        # Played like a tape: the line a few milliseconds off put B's sound frames between A's.
        "real_whole_1_2x_fast",
        # Its pitch kept: the sound laid in grains a few milliseconds off the line as well.
        "real_whole_1_45x_pitch_kept",
    ],
)
def test_a_whole_programme_of_speech_played_fast_has_no_sound_change_of_its_own(real_folder: Path, name: str) -> None:
    # A voice recorded at 22 and 44 kHz (the bench's held-out reel): onsets after pauses that a
    # sound frame's misplacement turned into "low" and "medium" sound changes.
    case = real_case_named(name)
    a, b = render_real_case(case, real_folder)

    result = compare_files(a, b)

    assert [segment.kind for segment in result.segments] == ["speed"]
