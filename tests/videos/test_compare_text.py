"""Text on screen changed: where the on-screen text differs between aligned moments, one "text"
finding says what it read on each side ("NEWS 24" → "NEWS 42"), even when the picture barely changed;
OCR noise is not a change, and text shown only in a stretch one video has is not one either. On the
matcher alone, then on rendered files (compare_files(screen_text=True)) and through a stored
comparison whose screen is read after it was made."""

from __future__ import annotations

import pytest

from videos.compare.refine import MatchedSpan
from videos.compare.segments import Difference
from videos.compare.text_changes import same_words, text_changes
from videos.screen_text.tracking import ShownLine

LOWER_THIRD = (0.05, 0.78, 0.3, 0.06)
TITLE_BOX = (0.1, 0.1, 0.6, 0.08)


def line(text: str, start: float, end: float, box: tuple[float, float, float, float] = LOWER_THIRD) -> ShownLine:
    return ShownLine(start=start, end=end, text=text, box=box, confidence=0.95)


def texts(findings: list[Difference]) -> list[tuple[str | None, str | None]]:
    return [(finding.text_a, finding.text_b) for finding in findings]


WHOLE = [MatchedSpan(0.0, 20.0, 0.0, 20.0)]


def test_a_changed_lower_third_is_one_text_finding_with_both_readings() -> None:
    lines_a = [line("NEWS 24", 2.0, 8.0), line("Morning briefing", 0.0, 20.0, TITLE_BOX)]
    lines_b = [line("NEWS 42", 2.0, 8.0), line("Morning briefing", 0.0, 20.0, TITLE_BOX)]

    [finding] = text_changes(WHOLE, lines_a, lines_b)

    assert finding.kind == "text"
    assert (finding.text_a, finding.text_b) == ("NEWS 24", "NEWS 42")
    assert finding.a_start == pytest.approx(2.0, abs=0.06) and finding.a_end == pytest.approx(8.0, abs=0.06)
    assert finding.b_start == pytest.approx(2.0, abs=0.06) and finding.b_end == pytest.approx(8.0, abs=0.06)


def test_ocr_noise_on_a_long_line_and_slightly_different_timing_are_not_changes() -> None:
    lines_a = [
        line("Chlorophyll absorbs red and blue light", 1.0, 9.0),
        line("Photosynthesis needs light", 0.0, 12.0, TITLE_BOX),
    ]
    lines_b = [
        line("Chlorophyll absorbs red and blve light", 1.3, 8.6),  # one letter misread, timed 0.3 s apart
        line("Photosynthesis needs 1ight", 0.0, 12.0, TITLE_BOX),  # a confusable letter
    ]

    assert text_changes(WHOLE, lines_a, lines_b) == []


def test_a_number_changed_by_one_digit_is_a_change_however_long_the_line() -> None:
    assert not same_words("Tickets from 199 euros, this weekend only", "Tickets from 189 euros, this weekend only")
    assert not same_words("NEWS 24", "NEWS 42")
    assert same_words("Tickets from 199 euros, this weekend only", "Tickets from 199 eur0s, this weekend only")
    assert same_words("MORNING BRIEFING", "morning briefing")


def test_a_line_that_appears_or_disappears_is_a_change_against_nothing() -> None:
    lines_a = [line("Breaking: harbour closed", 3.0, 7.0)]
    lines_b = [line("Live from the studio", 10.0, 14.0, TITLE_BOX)]

    findings = text_changes(WHOLE, lines_a, lines_b)

    assert texts(findings) == [("Breaking: harbour closed", ""), ("", "Live from the studio")]
    gone, came = findings
    assert (gone.a_start, gone.a_end) == pytest.approx((3.0, 7.0), abs=0.06)
    assert (came.b_start, came.b_end) == pytest.approx((10.0, 14.0), abs=0.06)


def test_lines_are_compared_at_the_same_moment_through_the_offset() -> None:
    """B starts 3 s later: its line at 5–11 faces A's at 2–8, and reads differently."""
    spans = [MatchedSpan(0.0, 17.0, 3.0, 20.0)]
    lines_a = [line("NEWS 24", 2.0, 8.0), line("Weather at ten", 10.0, 14.0)]
    lines_b = [line("NEWS 42", 5.0, 11.0), line("Weather at ten", 13.0, 17.0)]

    [finding] = text_changes(spans, lines_a, lines_b)

    assert texts([finding]) == [("NEWS 24", "NEWS 42")]
    assert (finding.a_start, finding.a_end) == pytest.approx((2.0, 8.0), abs=0.06)
    assert (finding.b_start, finding.b_end) == pytest.approx((5.0, 11.0), abs=0.06)
    # Unaligned, the same lines would all differ: the offset is what makes them the same moment.
    assert len(text_changes(WHOLE, lines_a, lines_b)) > 1


def test_text_changing_midway_through_a_line_is_reported_from_that_moment() -> None:
    lines_a = [line("NEWS 24", 2.0, 10.0)]
    lines_b = [line("NEWS 24", 2.0, 6.0), line("NEWS 42", 6.0, 10.0)]

    [finding] = text_changes(WHOLE, lines_a, lines_b)

    assert texts([finding]) == [("NEWS 24", "NEWS 42")]
    assert (finding.a_start, finding.a_end) == pytest.approx((6.0, 10.0), abs=0.06)


def test_lines_inside_a_stretch_only_one_video_has_are_not_text_changes() -> None:
    """B has 5 s inserted at 6 s (only_b 6–11) showing a caption A never has; A's last 4 s are cut."""
    spans = [MatchedSpan(0.0, 6.0, 0.0, 6.0), MatchedSpan(6.0, 16.0, 11.0, 21.0)]
    lines_a = [line("Morning briefing", 0.0, 16.0, TITLE_BOX), line("Credits", 16.5, 20.0)]
    lines_b = [
        line("Morning briefing", 0.0, 6.0, TITLE_BOX),
        line("Sponsored message", 6.0, 11.0),
        line("Morning briefing", 11.0, 21.0, TITLE_BOX),
    ]

    assert text_changes(spans, lines_a, lines_b) == []


def test_the_same_words_moved_elsewhere_on_the_picture_are_not_a_text_change() -> None:
    """A lower third moved to the top is a change of the picture, not of what the text says."""
    lines_a = [line("NEWS 24", 2.0, 8.0)]
    lines_b = [line("NEWS 24", 2.0, 8.0, TITLE_BOX)]

    assert text_changes(WHOLE, lines_a, lines_b) == []
    # ...but other words at the new place, with the old place left empty, are.
    assert texts(text_changes(WHOLE, lines_a, [line("NEWS 42", 2.0, 8.0, TITLE_BOX)])) == [
        ("NEWS 24", ""),
        ("", "NEWS 42"),
    ]
