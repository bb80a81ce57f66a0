"""The recut on made sound: samples land where the change list says, exactly; edits do not click; a
speed change is varispeed; the file comes back at the upload's format, stamped for v2; bad uploads
are refused with a reason."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile
import wavinfo

from videos.conform.events import ChangeEvent
from videos.conform.recut import ArraySource, recut_array, recut_blocks, recut_plan, to_sample
from videos.conform.wav import SoundReader, SoundRefused, sound_check, sound_writer, time_reference_of

RATE = 48000
F = Fraction


def event(number: int, kind: str, v1: tuple[F, F] | None, v2: tuple[F, F]) -> ChangeEvent:
    return ChangeEvent(
        number=number,
        kind=kind,  # type: ignore[arg-type]
        v1_start=v1[0] if v1 else None,
        v1_end=v1[1] if v1 else None,
        v2_start=v2[0],
        v2_end=v2[1],
    )


PAL = F(25)


def frames(count: int, fps: F = PAL) -> F:
    return count / fps


# v1: 6 s at 25 fps. v2: its first 2 s, 1 s of new picture, v1's 5-6 s moved up, then 3-5 s at
# double speed (1 s); v1's 2-3 s removed.
EVENTS = [
    event(1, "kept", (frames(0), frames(50)), (frames(0), frames(50))),
    event(2, "removed", (frames(50), frames(75)), (frames(50), frames(50))),
    event(3, "inserted", None, (frames(50), frames(75))),
    event(4, "moved", (frames(125), frames(150)), (frames(75), frames(100))),
    event(5, "speed", (frames(75), frames(125)), (frames(100), frames(125))),
]


def noise(seconds: float, channels: int = 2, seed: int = 0) -> np.ndarray:
    """Full-scale-ish 24-bit noise in int32's top bits, as libsndfile reads a 24-bit file."""
    values = np.random.default_rng(seed).integers(-(2**22), 2**22, (round(seconds * RATE), channels))
    return (values << 8).astype(np.int32)


def test_kept_and_moved_sound_lands_on_its_v2_samples_bit_for_bit_and_the_rest_is_silence_or_gone() -> None:
    v1 = noise(6)
    plan = recut_plan(EVENTS)
    v2 = recut_array(plan, ArraySource(v1))
    assert v2.shape == (5 * RATE, 2) and v2.dtype == np.int32
    fade = max(piece.fade_out for piece in plan.pieces)
    assert 0 < fade <= RATE // 100  # half of a few milliseconds
    # Kept: v1's first 2 s, to the sample, up to the crossfade at the edit.
    assert np.array_equal(v2[: 2 * RATE - fade], v1[: 2 * RATE - fade])
    # Inserted: silence between the fades, and listed.
    assert not v2[2 * RATE + fade : 3 * RATE - fade].any()
    assert [(piece.number, piece.out_start, piece.out_end) for piece in plan.silences] == [(3, 2 * RATE, 3 * RATE)]
    # Moved: v1's 5-6 s now at 3-4 s.
    assert np.array_equal(v2[3 * RATE + fade : 4 * RATE - fade], v1[5 * RATE + fade : 6 * RATE - fade])
    # Removed: v1's 2-3 s is nowhere in v2 (its first 10 ms of noise as a probe).
    probe = v1[2 * RATE : 2 * RATE + 480, 0]
    assert not any(np.array_equal(v2[i : i + 480, 0], probe) for i in range(0, len(v2) - 480, 480))


def test_an_edge_between_frames_at_29_97_is_the_nearest_sample_and_shared_by_both_events() -> None:
    fps = F(30000, 1001)
    edge = frames(1001, fps)  # 33.4 s: 1,603,201.6 samples
    assert to_sample(edge) == 1603202
    v1 = noise(70, channels=1)
    events = [
        event(1, "kept", (F(0), edge), (F(0), edge)),
        event(2, "moved", (edge, 2 * edge), (edge, 2 * edge)),
    ]
    plan = recut_plan(events)
    assert plan.pieces[0].out_end == plan.pieces[1].out_start == 1603202
    # One continuous stretch of v1: no edit there, so no crossfade and every sample is v1's.
    assert plan.pieces[0].fade_out == 0
    assert np.array_equal(recut_array(plan, ArraySource(v1)), v1[: plan.length])


def test_kept_sound_between_two_frame_rates_is_copied_not_resampled() -> None:
    # v1 at 25 fps and v2 converted to 29.97: the same 29.28 s of sound, whose two ranges end a
    # fraction of a frame apart on their grids. Resampled by that ratio it drifted 16 ms by the end
    # and nulled at +3 dB against v2's own sound (bench/conform.py); copied, it is v1's to the sample.
    v1 = noise(30, channels=1)
    kept = event(1, "kept", (F(0), frames(732)), (F(0), frames(878, F(30000, 1001))))
    assert kept.speed == 1
    plan = recut_plan([kept])
    assert np.array_equal(recut_array(plan, ArraySource(v1)), v1[: plan.length])


def test_an_edit_between_two_phases_of_a_tone_has_no_click() -> None:
    # A 440 Hz tone, cut from a zero crossing to a crest a quarter of a cycle on: a hard cut jumps by
    # the amplitude in one sample; the crossfade keeps every step near the tone's own.
    amplitude = 0.5
    t = np.arange(4 * RATE) / RATE
    tone = (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None]
    cut_from = F(1) + F(1, 1760)
    events = [event(1, "kept", (F(0), F(1)), (F(0), F(1))), event(2, "moved", (cut_from, cut_from + 1), (F(1), F(2)))]
    v2 = recut_array(recut_plan(events), ArraySource(tone))[:, 0]
    natural_step = amplitude * 2 * np.pi * 440 / RATE
    hard_cut = np.concatenate([tone[:RATE, 0], tone[to_sample(cut_from) : to_sample(cut_from) + RATE, 0]])
    assert np.abs(np.diff(hard_cut)).max() > 10 * natural_step  # the click the crossfade removes
    assert np.abs(np.diff(v2)).max() < 1.5 * natural_step


def test_a_speed_change_plays_v1s_stretch_faster_at_a_higher_pitch() -> None:
    t = np.arange(2 * RATE) / RATE
    tone = (0.5 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)[:, None]
    plan = recut_plan([event(1, "speed", (F(0), F(2)), (F(0), F(1)))])
    v2 = recut_array(plan, ArraySource(tone))[:, 0]
    assert len(v2) == RATE
    spectrum = np.abs(np.fft.rfft(v2[RATE // 10 : -RATE // 10] * np.hanning(len(v2) - RATE // 5)))
    peak_hz = np.argmax(spectrum) * RATE / (len(v2) - RATE // 5)
    assert abs(peak_hz - 1000) < 5


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_a_file_recut_keeps_its_format_and_samples_and_says_v2s_start(tmp_path: Path, subtype: str) -> None:
    v1_path, v2_path = tmp_path / "dialogue.wav", tmp_path / "dialogue_v2.wav"
    written = noise(6, channels=3).astype(np.float64) / 2**31
    soundfile.write(v1_path, written, RATE, subtype=subtype, format="WAVEX")
    info = sound_check(v1_path, longest=F(6))
    assert (info.channels, info.sample_format) == (3, subtype)
    plan = recut_plan(EVENTS)
    one_hour = 3600 * RATE  # 01:00:00:00 at 25 fps
    with (
        SoundReader(v1_path, info) as reader,
        sound_writer(v2_path, channels=3, sample_format=subtype, time_reference=one_hour, description="v2") as writer,
    ):
        for block in recut_blocks(plan, reader, block=10000):
            writer.write(block)
    back = soundfile.info(v2_path)
    assert (back.samplerate, back.channels, back.subtype, back.frames) == (RATE, 3, subtype, 5 * RATE)
    v1_read, _ = soundfile.read(v1_path, dtype=info.dtype)
    v2_read, _ = soundfile.read(v2_path, dtype=info.dtype)
    assert np.array_equal(v2_read[3 * RATE + 200 : 4 * RATE - 200], v1_read[5 * RATE + 200 : 6 * RATE - 200])
    # The bext chunk, read by a reader other than the writer: v2's first sample at 01:00:00:00.
    bext = wavinfo.WavInfoReader(str(v2_path)).bext
    assert bext is not None and bext.time_reference == one_hour
    assert time_reference_of(v2_path) == one_hour


def _write(path: Path, seconds: float = 1.0, *, rate: int = RATE, channels: int = 2, subtype: str = "PCM_24") -> Path:
    soundfile.write(path, np.zeros((round(seconds * rate), channels)), rate, subtype=subtype)
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: _write(d / "a.wav", rate=44100), "44,100 Hz"),
        (lambda d: _write(d / "a.wav", seconds=2.2), "longer than v1"),
        (lambda d: _write(d / "a.wav", channels=200), "200 channels"),
        (lambda d: _write(d / "a.wav", seconds=0), "holds no sound"),
        (lambda d: _write(d / "a.wav", subtype="PCM_U8"), "integer or 32-bit float"),
        (lambda d: (d / "a.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk") and d / "a.wav", "not a WAV"),
        (lambda d: (d / "a.wav").write_bytes(b"ID3\x04" + bytes(400)) and d / "a.wav", "not a WAV"),
        (lambda d: (d / "a.wav").write_bytes(_write(d / "b.wav").read_bytes()[:50000]) and d / "a.wav", "cut short"),
    ],
    ids=["sample rate", "longer than v1", "200 channels", "empty", "8-bit", "corrupt", "not a WAV", "truncated"],
)
def test_an_upload_the_recut_cannot_take_is_refused_saying_why(tmp_path: Path, make, says: str) -> None:
    with pytest.raises(SoundRefused) as refused:
        sound_check(make(tmp_path), longest=F(2) + F(1, 25))
    assert says in refused.value.message


def test_sound_up_to_a_frame_longer_than_v1_is_taken(tmp_path: Path) -> None:
    assert sound_check(_write(tmp_path / "a.wav", seconds=2.04), longest=F(2) + F(1, 25)).frames == 97920


def test_sound_shorter_than_v1_is_silent_where_it_has_run_out() -> None:
    v1 = noise(1.5)  # v1 is 6 s; the stem stops at 1.5 s
    v2 = recut_array(recut_plan(EVENTS), ArraySource(v1))
    assert v2.shape == (5 * RATE, 2)
    assert np.array_equal(v2[: RATE + RATE // 2], v1)
    assert not v2[2 * RATE :].any()  # what v2 plays of v1 after 1.5 s


HOUR = 3600 * RATE  # 01:00:00:00 at 25 fps, in samples since midnight


def _bwf(path: Path, samples: np.ndarray, time_reference: int) -> Path:
    with sound_writer(
        path, channels=samples.shape[1], sample_format="PCM_24", time_reference=time_reference, description="DX"
    ) as sound:
        sound.write(samples)
    return path


def test_a_broadcast_wav_bounced_from_the_2_pop_is_placed_by_its_time_reference(tmp_path: Path) -> None:
    # 2 s of leader (00:59:58:00) then v1's 6 s: 8 s in all, yet it fits v1 from its first frame on.
    sound = noise(8)
    info = sound_check(_bwf(tmp_path / "dx.wav", sound, HOUR - 2 * RATE), longest=F(6) + F(1, 25), v1_reference=HOUR)
    assert info.lead == 2 * RATE
    with SoundReader(tmp_path / "dx.wav", info) as reader:
        assert np.array_equal(reader.read(0, RATE), sound[2 * RATE : 3 * RATE])


def test_a_broadcast_wav_that_starts_later_is_silent_before_and_one_stamped_far_away_is_taken_from_v1s_start(
    tmp_path: Path,
) -> None:
    sound = noise(2)
    later = sound_check(_bwf(tmp_path / "late.wav", sound, HOUR + RATE), longest=F(6), v1_reference=HOUR)
    assert later.lead == -RATE
    with SoundReader(tmp_path / "late.wav", later) as reader:
        placed = reader.read(0, 3 * RATE)
    assert not placed[:RATE].any() and np.array_equal(placed[RATE:], sound)
    # Time reference 0 (tools that set none), or another reel's hour: not near v1, so not used.
    for reference in (0, 2 * HOUR):
        assert sound_check(_bwf(tmp_path / "x.wav", sound, reference), longest=F(6), v1_reference=HOUR).lead == 0


def test_a_leader_does_not_make_room_for_sound_past_v1s_end(tmp_path: Path) -> None:
    with pytest.raises(SoundRefused) as refused:
        sound_check(_bwf(tmp_path / "dx.wav", noise(9), HOUR - 2 * RATE), longest=F(6), v1_reference=HOUR)
    assert "7.000 s long after its first 2.000 s" in refused.value.message
