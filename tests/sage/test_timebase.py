"""Time is frames (`sage.timebase`): an instant is the frame on screen then, an edge the boundary
nearest to it, at the video's exact rate; the same rule at every rate, whatever the rounding."""

from __future__ import annotations

from fractions import Fraction

import pytest

from sage.timebase import Timebase, exact_rate

NTSC = Fraction(30000, 1001)


@pytest.mark.parametrize(
    ("measured", "rate"),
    [
        (29.97002997, NTSC),
        (29.97, NTSC),
        (23.976023976, Fraction(24000, 1001)),
        (59.94005994, Fraction(60000, 1001)),
        (25.0, Fraction(25)),
        (15.0, Fraction(15)),
        (29.87, NTSC),  # a phone's variable rate
        (Fraction(30000, 1001), NTSC),
        (None, Fraction(25)),
        (0.0, Fraction(25)),
    ],
)
def test_a_measured_rate_is_the_exact_rate_the_video_was_made_at(measured, rate) -> None:
    assert exact_rate(measured) == rate


def test_an_instant_is_the_frame_on_screen_then_at_29_97() -> None:
    timebase = Timebase(NTSC)
    # Frame 89 is on screen from 2.9696 s to 3.003 s: a comment made at 3.0 s is on it (02;29).
    assert timebase.frame_at(3.0) == 89
    # Frame 90's start, stored to the millisecond, is frame 90 and not the one before.
    assert timebase.frame_at(3.003) == 90
    assert timebase.frame_at(float(Fraction(90) / NTSC)) == 90
    assert timebase.frame_at(0.0) == 0
    assert timebase.frame_at(-1.0) == 0


def test_halves_are_not_rounded_to_even() -> None:
    timebase = Timebase(Fraction(25))
    # 9.5 s and 22.5 s are both in the middle of a frame: each is that frame (09:12, 22:12).
    assert timebase.frame_at(9.5) == 237
    assert timebase.frame_at(22.5) == 562
    # As edges (exactly between two boundaries), both go to the later one.
    assert timebase.boundary_near(9.5) == 238
    assert timebase.boundary_near(22.5) == 563


@pytest.mark.parametrize("rate", [Fraction(15), Fraction(24000, 1001), Fraction(25), NTSC, Fraction(60000, 1001)])
def test_a_range_of_n_frames_is_n_frames_wherever_it_starts(rate) -> None:
    timebase = Timebase(rate)
    for first in (0, 1, 7, 237, 1799):
        start, end = timebase.start(first), timebase.start(first + 100)
        assert timebase.frames_in(start, end) == 100
        # An engine's edges a little off the boundaries (a hundredth of a second) still say 100.
        assert timebase.frames_in(start + 0.004, end - 0.004) == 100
    one_second = timebase.frames_in(9.5, 10.5)
    assert one_second == round(rate)


@pytest.mark.parametrize("rate", [Fraction(24000, 1001), Fraction(25), NTSC, Fraction(50), Fraction(60000, 1001)])
def test_a_seek_aims_inside_the_frame_and_lands_on_it(rate) -> None:
    timebase = Timebase(rate)
    for frame in range(0, 4000, 37):
        aimed = timebase.seek_time(frame)
        assert timebase.start(frame) < aimed < timebase.start(frame + 1)
        assert timebase.frame_at(aimed) == frame
        # Rounded to the hundredth, as the extension stores a note's time, it is still that frame.
        assert timebase.frame_at(round(aimed, 2)) == frame
