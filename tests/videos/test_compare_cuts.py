"""Cuts are cuts (issue 64): a tightened cut — many small removals, from two frames to 1.2 s, a few
seconds apart — is the list of its removals, each an `only_a` at its frames, and the same pair the
other way round the list of its insertions (`only_b`); nothing is called a speed change, and every
matched span is as long on B as on A. A stretch B really plays faster stays a `speed` finding.
(Not yet all of them at their frames: see MOST_MISSED.)

Each pair is compared as a client asks for it (`POST /api/v1/comparisons/`, the verifying queued
by the request run as a worker would) and its findings read back from the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from sage.synthetic_media import SAMPLE_RATE
from sage.synthetic_media.corpus import case_named, render_case
from sage.synthetic_media.edits import Piece, Version, version_sound
from sage.synthetic_media.natural import Programme, ProgrammePainter
from sage.synthetic_media.real_footage import real_case_named, render_real_case
from sage.synthetic_media.real_footage.sources import missing_media
from sage.synthetic_media.writing import write_streams
from tests.factories import UserFactory
from tests.videos.test_comparison_snapshot import uploaded
from videos.compare.files import compare_files
from videos.engine.model import MatchedSpan, Measured
from videos.engine.result import DEFAULT_CHANGE_THRESHOLD, judge

pytestmark = pytest.mark.django_db

FPS = 30
FRAME = 1 / FPS
SECONDS = 60.0
MASTER = (320, 180)
PROGRAMME = Programme(seed=64, seconds=SECONDS)
# 22 removals of 2 frames up to 1.2 s (36 frames), in a shuffled order, one every 2.6 s or so.
_LENGTHS = np.random.default_rng(5).permutation(np.round(np.linspace(2, 36, 22)).astype(int))
_STARTS = [round((1.5 + 2.6 * number) * FPS) + int(shift) for number, shift in enumerate(np.arange(22) * 7 % 20)]
REMOVALS = tuple(
    (start * FRAME, (start + int(length)) * FRAME) for start, length in zip(_STARTS, _LENGTHS, strict=True)
)
# Edges within a frame of the truth (each a boundary of the files' frames), and a little more for
# the few the frames leave to the sound's fiftieths of a second.
EDGE_SLACK = 0.05


def rendered(path: Path, removals: tuple[tuple[float, float], ...]) -> Path:
    """The programme with `removals` (A's times) taken out, picture and sound, at A's frame rate."""
    if path.exists():
        return path
    kept = removed = 0.0
    pieces = []
    for start, end in (*removals, (SECONDS, SECONDS)):
        pieces.append((kept, start))
        removed += end - start
        kept = end
    frames = round((SECONDS - removed) * FPS)
    sources = np.concatenate([np.arange(round(start * FPS), round(end * FPS)) for start, end in pieces])[:frames]
    painter = ProgrammePainter(PROGRAMME, *MASTER)
    sound = version_sound(Version((Piece(PROGRAMME, 0.0, SECONDS),)), PROGRAMME)
    samples = np.concatenate([sound[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)] for start, end in pieces])
    return write_streams(
        path, frames=(painter.frame(float(index) / FPS + 1e-6) for index in sources.tolist()),
        width=MASTER[0], height=MASTER[1], fps=FPS, container="mp4", codec=None, crf=None, bitrate=None,
        samples=samples.astype(np.float32), preset="ultrafast",
    )  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cuts")
    return rendered(folder / "whole.mp4", ()), rendered(folder / "tightened.mp4", REMOVALS)


def compared(path_a: Path, path_b: Path, capture: Any) -> dict[str, Any]:
    """The comparison of the two files as the API gives it, asked for as a client asks."""
    owner = UserFactory()
    video_a, video_b = uploaded(owner, path_a, "A", []), uploaded(owner, path_b, "B", [])
    client = Client()
    client.force_login(owner)
    with capture(execute=True):
        created = client.post(
            reverse("api-comparisons"),
            {"video_a": video_a.pk, "video_b": video_b.pk, "alignment": "cuts"},
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    detail: dict[str, Any] = client.get(f"/api/v1/comparisons/{created.json()['id']}").json()
    assert detail["verified"]
    return detail


def truth_points() -> list[tuple[float, float, float]]:
    """Each removal as (start, end on the whole programme, the point on the tightened one)."""
    points, removed = [], 0.0
    for start, end in REMOVALS:
        points.append((start, end, start - removed))
        removed += end - start
    return points


def assert_spans_keep_their_lengths(detail: dict[str, Any]) -> None:
    for span in detail["matched_spans"]:
        assert span["b_end"] - span["b_start"] == pytest.approx(span["a_end"] - span["a_start"], abs=0.002)


def found_at_their_frames(segments: list[dict[str, Any]], kind: str) -> int:
    """How many of the removals (or, the other way round, insertions) one segment of `kind` gives
    at their frames: its range on the side that has it and its point on the other."""
    found = 0
    for start, end, point in truth_points():
        for segment in segments:
            side, other = ("a", "b") if kind == "only_a" else ("b", "a")
            if (
                segment["kind"] == kind
                and abs(segment[f"{side}_start"] - start) <= EDGE_SLACK
                and abs(segment[f"{side}_end"] - end) <= EDGE_SLACK
                and abs(segment[f"{other}_start"] - point) <= EDGE_SLACK
            ):
                found += 1
                break
    return found


# What the engine does today (issue 64): 19 and 18 of the 22 at their frames; the rest are a
# removal found a few frames short beside a stretch matched to the wrong moment of B (a `both`),
# or edges a tenth of a second off. Never a speed change.
MOST_MISSED = 4
MOST_OTHERS = 2


def test_a_tightened_cut_is_the_list_of_its_removals(
    files: tuple[Path, Path], django_capture_on_commit_callbacks
) -> None:
    whole, tightened = files
    detail = compared(whole, tightened, django_capture_on_commit_callbacks)
    segments = detail["segments"]
    assert found_at_their_frames(segments, "only_a") >= len(REMOVALS) - MOST_MISSED, segments
    assert len([segment for segment in segments if segment["kind"] != "only_a"]) <= MOST_OTHERS, segments
    assert not [segment for segment in segments if segment["kind"] in ("speed", "only_b", "moved")]
    assert_spans_keep_their_lengths(detail)


def test_the_same_pair_the_other_way_round_is_the_list_of_its_insertions(
    files: tuple[Path, Path], django_capture_on_commit_callbacks
) -> None:
    whole, tightened = files
    detail = compared(tightened, whole, django_capture_on_commit_callbacks)
    segments = detail["segments"]
    assert found_at_their_frames(segments, "only_b") >= len(REMOVALS) - MOST_MISSED, segments
    assert len([segment for segment in segments if segment["kind"] != "only_b"]) <= MOST_OTHERS, segments
    assert not [segment for segment in segments if segment["kind"] in ("speed", "moved")]
    assert_spans_keep_their_lengths(detail)


def test_a_section_of_real_footage_played_faster_stays_a_speed_change(django_capture_on_commit_callbacks) -> None:
    if missing := missing_media():
        pytest.skip("the real footage and speech are not in the public media folder: " + missing[0])
    case = real_case_named("real_section_1_5x")
    detail = compared(*render_real_case(case), django_capture_on_commit_callbacks)
    (speed,) = [segment for segment in detail["segments"] if segment["kind"] == "speed"]
    assert speed["ratio"] == pytest.approx(1.5, rel=0.005)
    assert not [segment for segment in detail["segments"] if segment["kind"] in ("only_a", "only_b")]
    # The span B plays faster maps A's length onto B's shorter one, as its `speed` finding says.
    (fast,) = [
        span
        for span in detail["matched_spans"]
        if span["b_end"] - span["b_start"] < span["a_end"] - span["a_start"] - 1
    ]
    assert (fast["a_end"] - fast["a_start"]) / (fast["b_end"] - fast["b_start"]) == pytest.approx(1.5, rel=0.005)


def test_a_changed_stretch_is_called_by_the_scores_it_carries() -> None:
    # Two seconds of changed sound, and a picture change over 0.3 s of it: a change of both,
    # carrying both scores (issue 64 saw `audio` with a picture score of 0.595).
    picture = np.zeros(30)
    picture[10:13] = 0.6
    sound = np.zeros(30)
    sound[5:25] = 0.5
    result = judge(
        duration_a=3.0,
        duration_b=3.0,
        alignment="cuts",
        spans=[MatchedSpan(0.0, 3.0, 0.0, 3.0)],
        measured=[Measured(0.0, 0.0, picture, sound)],
        threshold=DEFAULT_CHANGE_THRESHOLD,
    )
    (segment,) = result.segments
    assert segment.kind == "both"
    assert segment.picture == pytest.approx(0.6) and segment.sound == pytest.approx(0.5)
    for segment in result.with_threshold(0.55).segments:  # only the picture passes there
        assert segment.kind == "visual" and segment.picture is not None and segment.picture > 0.55


def test_a_changed_soundtrack_is_a_sound_difference_and_no_cuts(tmp_path: Path) -> None:
    # 11.7 s of music swapped under a moving picture: the search by cuts followed the new music
    # from offset to offset (a removal and an insertion in the middle of it). The picture keeps
    # its offset there, so it is one span and a sound difference over the stretch.
    case = case_named("music_swap")
    result = compare_files(*render_case(case, tmp_path))
    assert not [segment for segment in result.segments if segment.kind in ("only_a", "only_b", "both", "speed")]
    (span,) = result.spans
    assert (span.a_start, span.a_end, span.offset) == pytest.approx((0.0, 36.0, 0.0), abs=0.01)
    (truth,) = case.truth.segments
    sound = [segment for segment in result.segments if segment.kind == "audio"]
    assert sound and sound[0].a_start == pytest.approx(truth.a_start, abs=0.3)
    longest = max((segment.a_end or 0.0) - (segment.a_start or 0.0) for segment in sound)
    assert longest >= (truth.a_end - truth.a_start) / 2
