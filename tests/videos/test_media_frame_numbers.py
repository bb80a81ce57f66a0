"""Frame-numbered test media (issue 62, item 5): every frame's number reads back from its pixels at
each rate an editor meets, the file's timestamps are exactly k/rate, the frame on screen at an
instant is the one whose interval holds it, and an edited B has its edit where the truth says."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from sage.synthetic_media.content import SAMPLE_RATE
from sage.synthetic_media.copies import reencode
from sage.synthetic_media.frame_numbers import (
    LARGEST_NUMBER,
    NUMBER_BITS,
    cell_boxes,
    draw_frame_number,
    read_frame_number,
)
from sage.synthetic_media.numbered_pairs import (
    INSERTED_FIRST_NUMBER,
    FrameEditTruth,
    InsertFrames,
    MoveFrames,
    RemoveFrames,
    edited_version,
    make_numbered_pair,
)
from sage.synthetic_media.numbered_videos import (
    EDITORS_RATES,
    NumberedVideo,
    NumberRun,
    frame_start,
    make_numbered_video,
    number_shown_at,
    numbered_pictures,
    numbered_sound,
    shown_frames,
    write_numbered_video,
)
from videos.compare.timecode import TimecodeRate

RATES = list(EDITORS_RATES.values())
RATE_IDS = list(EDITORS_RATES)
NANOSECOND = Fraction(1, 10**9)


def three_seconds(rate: Fraction) -> NumberedVideo:
    return NumberedVideo(rate, (NumberRun(0, round(3 * rate)),))


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> dict[Fraction, Path]:
    """3 s at each rate, 320×180, written once for the module."""
    folder = tmp_path_factory.mktemp("numbered")
    return {rate: write_numbered_video(three_seconds(rate), folder / f"{float(rate):.3f}.mp4") for rate in RATES}


@pytest.mark.parametrize("rate", RATES, ids=RATE_IDS)
def test_every_frame_reads_back_its_number_at_its_exact_time(numbered, rate):
    path = numbered[rate]

    shown = shown_frames(path)
    assert [frame.number for frame in shown] == list(range(round(3 * rate)))
    assert [frame.start for frame in shown] == [Fraction(k) / rate for k in range(len(shown))]
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.average_rate == rate
        assert (video.codec_context.name, video.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert container.streams.audio[0].codec_context.name == "aac"


@pytest.mark.parametrize("rate", RATES, ids=RATE_IDS)
def test_the_frame_on_screen_at_an_instant_is_the_one_whose_interval_holds_it(numbered, rate):
    path, last = numbered[rate], round(3 * rate) - 1
    keyframe = round(2 * rate)  # the writer puts a keyframe every 2 s: a seek lands on it

    for k in (1, 17, keyframe - 1, keyframe, keyframe + 1, last):
        start, end = frame_start(k, rate), frame_start(k + 1, rate)
        assert number_shown_at(path, start) == k  # on the boundary: the frame that starts there
        assert number_shown_at(path, start - NANOSECOND) == k - 1
        assert number_shown_at(path, (start + end) / 2) == k
        assert number_shown_at(path, end - NANOSECOND) == k
        assert number_shown_at(path, float((start + end) / 2)) == k
    assert number_shown_at(path, 0) == 0
    assert number_shown_at(path, -0.001) is None
    assert number_shown_at(path, frame_start(last + 1, rate)) is None


def test_with_b_frames_too_every_frame_and_every_instant_reads_right(tmp_path):
    # x264's superfast reorders frames (B-frames), as cameras' and editors' files do: decoding
    # order is not presentation order, and a seek lands by the index's times.
    rate = Fraction(30000, 1001)
    video = dataclasses.replace(three_seconds(rate), preset="superfast", sound=False)
    path = write_numbered_video(video, tmp_path / "b_frames.mp4")

    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.has_b_frames
    assert [frame.number for frame in shown_frames(path)] == video.numbers
    for k in range(55, 65):  # round the keyframe at 2 s
        assert number_shown_at(path, frame_start(k, rate)) == k
        assert number_shown_at(path, frame_start(k + 1, rate) - NANOSECOND) == k


@pytest.mark.parametrize("rate", RATES, ids=RATE_IDS)
def test_numbers_and_timestamps_survive_a_360p_h264_reencode(numbered, rate, tmp_path):
    copy = reencode(numbered[rate], tmp_path / "360p.mp4", width=640, height=360, crf=23)

    shown = shown_frames(copy)
    assert [frame.number for frame in shown] == list(range(round(3 * rate)))
    assert [frame.start for frame in shown] == [Fraction(k) / rate for k in range(len(shown))]


def test_numbers_survive_scaling_down_from_720p_to_360p_and_to_180p(tmp_path):
    rate = Fraction(30000, 1001)
    source = make_numbered_video(tmp_path / "720p.mp4", rate=rate, frame_count=30, width=1280, height=720)

    for width, height, crf in ((640, 360, 23), (320, 180, 30)):
        copy = reencode(tmp_path / "720p.mp4", tmp_path / f"{height}p.mp4", width=width, height=height, crf=crf)
        assert [frame.number for frame in shown_frames(copy)] == source.numbers


def test_at_29_97_the_frames_either_side_of_a_drop_frame_minute(tmp_path):
    # 61 s, small and silent to write quickly: the pattern still reads at 160×90.
    rate = Fraction(30000, 1001)
    video = NumberedVideo(rate, (NumberRun(0, 1830),), width=160, height=90, sound=False)
    path = write_numbered_video(video, tmp_path / "minute.mp4")
    timecode = TimecodeRate(rate).timecode

    # Drop-frame timecode skips ;00 and ;01 at the minute: frame 1800 is 00:01:00;02, at 60.06 s.
    assert (timecode(1799), timecode(1800)) == ("00:00:59;29", "00:01:00;02")
    assert number_shown_at(path, frame_start(1800, rate)) == 1800
    assert number_shown_at(path, frame_start(1800, rate) - NANOSECOND) == 1799
    assert number_shown_at(path, 60.0) == 1798  # a minute of clock time is not a minute of timecode
    assert number_shown_at(path, frame_start(1829, rate)) == 1829


@pytest.mark.parametrize("rate", RATES, ids=RATE_IDS)
def test_an_insertion_shows_its_new_numbers_exactly_where_the_truth_says(rate, tmp_path):
    a = three_seconds(rate)
    at, count = 37, round(rate)  # a second of new material, not on a scene boundary

    pair = make_numbered_pair(a, InsertFrames(at=at, count=count), tmp_path / "a.mp4", tmp_path / "b.mp4")

    assert pair.truth == FrameEditTruth("only_b", at, at, at, at + count)
    inserted = list(range(INSERTED_FIRST_NUMBER, INSERTED_FIRST_NUMBER + count))
    assert pair.b_numbers == [*range(at), *inserted, *range(at, a.frame_count)]
    assert [frame.number for frame in shown_frames(pair.a)] == pair.a_numbers
    assert [frame.number for frame in shown_frames(pair.b)] == pair.b_numbers
    first_inserted = frame_start(pair.truth.b_first, rate)
    assert number_shown_at(pair.b, first_inserted) == INSERTED_FIRST_NUMBER
    assert number_shown_at(pair.b, first_inserted - NANOSECOND) == at - 1
    assert number_shown_at(pair.b, frame_start(pair.truth.b_end, rate)) == at


def test_a_removal_and_a_move_land_where_the_truth_says(tmp_path):
    rate = Fraction(30000, 1001)
    a = three_seconds(rate)

    removed = make_numbered_pair(a, RemoveFrames(20, 50), tmp_path / "a.mp4", tmp_path / "removed.mp4")
    assert removed.truth == FrameEditTruth("only_a", 20, 50, 20, 20)
    assert [frame.number for frame in shown_frames(removed.b)] == [*range(20), *range(50, 90)]

    later = make_numbered_pair(a, MoveFrames(10, 25, to=70), tmp_path / "a.mp4", tmp_path / "later.mp4")
    assert later.truth == FrameEditTruth("moved", 10, 25, 55, 70)
    moved_later = [*range(10), *range(25, 70), *range(10, 25), *range(70, 90)]
    assert [frame.number for frame in shown_frames(later.b)] == moved_later

    earlier, truth = edited_version(a, MoveFrames(60, 75, to=5))
    assert truth == FrameEditTruth("moved", 60, 75, 5, 20)
    assert earlier.numbers == [*range(5), *range(60, 75), *range(5, 60), *range(75, 90)]
    assert earlier.numbers[truth.b_first : truth.b_end] == a.numbers[truth.a_first : truth.a_end]


@pytest.mark.parametrize(
    "edit",
    [InsertFrames(at=91, count=5), InsertFrames(at=10, count=5, first_number=80), RemoveFrames(50, 50),
     RemoveFrames(80, 91), MoveFrames(10, 20, to=15), MoveFrames(10, 20, to=91)],
)  # fmt: skip
def test_an_edit_outside_the_video_or_reusing_its_numbers_is_refused(edit):
    with pytest.raises(ValueError, match=r"cannot|numbers A does not show"):
        edited_version(three_seconds(Fraction(30000, 1001)), edit)


@pytest.mark.parametrize(("width", "height"), [(320, 180), (640, 360), (1920, 1080), (480, 360)])
def test_the_number_reads_from_rgb_luma_and_pyav_frames_at_any_size(width, height):
    image = np.full((height, width, 3), (40, 160, 90), np.uint8)
    draw_frame_number(image, 987_654)

    luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    assert read_frame_number(image) == 987_654
    assert read_frame_number(luma.astype(np.uint8)) == 987_654
    assert read_frame_number(frame) == 987_654


def test_a_picture_without_the_band_a_blend_or_a_wrong_check_reads_as_none():
    def picture(number: int) -> np.ndarray:
        image = np.full((180, 320, 3), 90, np.uint8)
        draw_frame_number(image, number)
        return image

    assert read_frame_number(np.full((180, 320, 3), 90, np.uint8)) is None
    # A cross-fade's middle frame: the cells that differ are grey, neither bit.
    blend = ((picture(127).astype(np.uint16) + picture(128)) // 2).astype(np.uint8)
    assert read_frame_number(blend) is None
    # One bit flipped (the number's last): the check no longer matches.
    flipped = picture(127)
    top, bottom, left, right = cell_boxes(320, 180)[NUMBER_BITS]
    flipped[top:bottom, left:right] = 255 - flipped[(top + bottom) // 2, (left + right) // 2]
    assert read_frame_number(flipped) is None
    with pytest.raises(ValueError, match="frame number"):
        draw_frame_number(picture(0), LARGEST_NUMBER + 1)


def test_each_scene_has_its_own_picture_and_pitch_and_starts_with_a_click():
    video = dataclasses.replace(three_seconds(Fraction(25)), frames_per_scene=25)
    pictures = list(numbered_pictures(video))
    below_band = [picture[round(180 * 0.25) :].astype(np.int16) for picture in pictures]

    def difference(first: int, second: int) -> float:
        return float(np.abs(below_band[first] - below_band[second]).mean())

    assert difference(12, 37) > 20 and difference(37, 62) > 20
    assert difference(10, 14) < difference(12, 37) / 2
    samples = numbered_sound(video)
    frame_samples = SAMPLE_RATE // 25
    for scene_start in (0, 25, 50):
        first = scene_start * frame_samples
        assert np.abs(samples[first : first + 100]).max() > 0.5  # the click, over a 0.2 tone
    assert np.abs(samples[5 * frame_samples : 20 * frame_samples]).max() < 0.25
    scene_samples = 25 * frame_samples
    pitches = {
        int(np.argmax(np.abs(np.fft.rfft(samples[scene * scene_samples + 480 : (scene + 1) * scene_samples]))))
        for scene in range(3)
    }
    assert len(pitches) == 3
