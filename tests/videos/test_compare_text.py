"""Text on screen changed: where the on-screen text differs between aligned moments, one "text"
finding says what it read on each side ("NEWS 24" → "NEWS 42"), even when the picture barely changed;
OCR noise is not a change, and text shown only in a stretch one video has is not one either. On the
matcher alone, then on rendered files (compare_files(screen_text=True)) and through a stored
comparison whose screen is read after it was made."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from sage.synthetic_media.screen_text import Shot, ShownText, make_screen_video
from tests.factories import UserFactory, VideoFactory
from videos.api.comparisons import comparison_payload
from videos.compare.files import compare_files
from videos.compare.services import comparison_create, comparison_set_threshold
from videos.engine.model import Difference, MatchedSpan
from videos.engine.passes.text import same_words, text_changes
from videos.models import Comparison, Video
from videos.pipeline.steps import embed_and_store_clips
from videos.screen_text.stage import screen_text_read
from videos.screen_text.tracking import ShownLine
from videos.tasks import refresh_comparison_text

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
    assert same_words("Room 10, second floor", "Room 1O, second floor")  # a letter read for a digit
    assert not same_words("Room 10, second floor", "Room 16, second floor")


def test_a_line_that_appears_or_disappears_is_a_change_against_nothing() -> None:
    lines_a = [line("Breaking: harbour closed", 3.0, 7.0)]
    lines_b = [line("Live from the studio", 10.0, 14.0, TITLE_BOX)]

    findings = text_changes(WHOLE, lines_a, lines_b)

    assert texts(findings) == [("Breaking: harbour closed", ""), ("", "Live from the studio")]
    gone, came = findings
    assert (gone.a_start, gone.a_end) == pytest.approx((3.0, 7.0), abs=0.06)
    assert (came.b_start, came.b_end) == pytest.approx((10.0, 14.0), abs=0.06)


def test_a_reading_of_one_or_two_characters_coming_and_going_is_not_a_change() -> None:
    # Letter blocks on a table read "AM" in some frames of one copy and nothing in the other's.
    lines_a = [line("AM", 3.0, 4.0), line("Harbour closed", 6.0, 9.0)]
    lines_b = [line("7", 10.0, 11.0, TITLE_BOX)]

    assert texts(text_changes(WHOLE, lines_a, lines_b)) == [("Harbour closed", "")]


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


# --- on rendered files ---------------------------------------------------------------------------

LEAD_IN = 1.5  # seconds of other footage B opens with: B's moments are A's + 1.5 s


def render(path: Path, *, lower_third: str, lead_in: float) -> Path:
    """12 s of moving footage (two shots) under a title and, from 3 s to 9 s, a lower third; `lead_in`
    seconds of other footage before it all."""
    shots = [Shot(0, lead_in, seed=40, pan=(0.03, 0.0))] if lead_in else []
    shots += [
        Shot(lead_in, lead_in + 5, seed=41, pan=(0.04, 0.01)),
        Shot(lead_in + 5, lead_in + 12, seed=42, pan=(-0.03, 0.02), zoom=0.02),
    ]
    texts = [
        ShownText("Morning briefing", lead_in + 0.5, lead_in + 11.5, x=0.08, y=0.08, size=30, backing=(20, 20, 60)),
        ShownText(lower_third, lead_in + 3.0, lead_in + 9.0, x=0.06, y=0.78, size=30, backing=(160, 20, 20)),
    ]
    make_screen_video(path, shots=shots, texts=texts, seconds=lead_in + 12, width=640, height=360, fps=10)
    return path


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    """A and B: the same footage and title, B 1.5 s later, its lower third reading NEWS 42 for NEWS 24."""
    folder = tmp_path_factory.mktemp("text_changes")
    return (
        render(folder / "a.mp4", lower_third="NEWS 24", lead_in=0.0),
        render(folder / "b.mp4", lower_third="NEWS 42", lead_in=LEAD_IN),
    )


def text_findings(segments: list[Difference]) -> list[Difference]:
    return [segment for segment in segments if segment.kind == "text"]


def test_two_files_whose_lower_third_changed_give_one_text_finding_at_any_threshold(pair) -> None:
    path_a, path_b = pair

    result = compare_files(path_a, path_b, screen_text=True)

    [finding] = text_findings(result.segments)
    assert (finding.text_a, finding.text_b) == ("NEWS 24", "NEWS 42")
    # Timed on A at 3–9 s and on B 1.5 s later, to the reader's half second.
    assert (finding.a_start, finding.a_end) == pytest.approx((3.0, 9.0), abs=0.5)
    assert (finding.b_start, finding.b_end) == pytest.approx((3.0 + LEAD_IN, 9.0 + LEAD_IN), abs=0.5)
    # The unchanged title is not a finding, and the change holds whatever the picture threshold.
    assert text_findings(result.with_threshold(1.0).segments) == [finding]
    assert finding in result.findings
    # Without reading the screens, there is nothing to say about the text.
    assert text_findings(compare_files(path_a, path_b).segments) == []


def processed(owner, path: Path, title: str) -> Video:
    """A ready upload of `path` with clips and fingerprint, as the pipeline leaves it (its screen not read yet)."""
    key = default_storage.save(f"videos/{title}/original{path.suffix}", path.open("rb"))
    video = VideoFactory(owner=owner, title=title, status=Video.Status.READY, storage_key=key, duration=12.0)
    embed_and_store_clips(video, Path(default_storage.path(key)))
    video.refresh_from_db()
    return video


@pytest.mark.django_db
def test_a_comparison_made_before_the_screens_were_read_shows_the_changed_text_once_they_are(
    pair, django_capture_on_commit_callbacks, client
) -> None:
    owner = UserFactory()
    video_a, video_b = processed(owner, pair[0], "a"), processed(owner, pair[1], "b")
    comparison, created = comparison_create(user=owner, video_a=video_a, video_b=video_b)
    assert created and comparison.engine == 3
    assert [segment["kind"] for segment in comparison.segments if segment["kind"] == "text"] == []

    # A's screen is read first: against B's unread one, nothing is said about the text yet.
    with django_capture_on_commit_callbacks(execute=True):
        screen_text_read(video_a.pk)
    comparison.refresh_from_db()
    assert [row for row in comparison.findings if row["kind"] == "text"] == []

    # Then B's: the comparison's text findings are refreshed by a task (Celery runs eagerly in tests).
    with django_capture_on_commit_callbacks(execute=True):
        screen_text_read(video_b.pk)

    comparison.refresh_from_db()
    [row] = [row for row in comparison.findings if row["kind"] == "text"]
    assert (row["text_a"], row["text_b"]) == ("NEWS 24", "NEWS 42")
    assert row in comparison.segments
    # The API and the page read the stored row.
    [shown] = [segment for segment in comparison_payload(comparison)["segments"] if segment["kind"] == "text"]
    assert (shown["text_a"], shown["text_b"]) == ("NEWS 24", "NEWS 42")
    client.force_login(owner)
    page = unescape(client.get(f"/compare/{comparison.pk}/").content.decode())
    assert "Text on screen: A 'NEWS 24' → B 'NEWS 42'" in page
    # Judged at another threshold, it stays; refreshed again, nothing changes.
    changed = comparison_set_threshold(comparison=comparison, threshold=0.9)
    assert [row] == [segment for segment in changed.segments if segment["kind"] == "text"]
    updated_at = Comparison.objects.get(pk=comparison.pk).updated_at
    assert refresh_comparison_text(comparison.pk) is False
    assert Comparison.objects.get(pk=comparison.pk).updated_at == updated_at
