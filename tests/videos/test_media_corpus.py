"""The accuracy corpus (sage/synthetic_media/corpus.py): its truth follows from its edit lists, its files are
what the truth says, and the scoring gives the truth a perfect score and a wrong answer less."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np
import pytest

from sage.synthetic_media import decode_video
from sage.synthetic_media.corpus import (
    CASES,
    CATEGORIES,
    QUICK_CASES,
    Case,
    case_named,
    check_case,
    render_case,
    version_key,
)
from sage.synthetic_media.edits import Change, Encoding, Piece, TruthSegment, Version, derive_truth
from sage.synthetic_media.natural import Programme
from sage.synthetic_media.overlays import Grade, Logo, SwapMusic
from sage.synthetic_media.scoring import Predicted, Prediction, prediction_from_truth, score_case, totals

GRID = 2.0


def distance_to_grid(seconds: float) -> float:
    return abs(seconds / GRID - round(seconds / GRID)) * GRID


# --- the corpus as defined ------------------------------------------------------------------------


def test_the_corpus_has_every_category_and_a_quarter_to_a_half_held_out() -> None:
    assert len(CASES) >= 22
    assert len({case.name for case in (*CASES, *QUICK_CASES)}) == len(CASES) + len(QUICK_CASES)
    assert {case.category for case in CASES} == set(CATEGORIES)
    held_out = [case for case in CASES if case.held_out]
    assert 0.25 <= len(held_out) / len(CASES) <= 0.5
    # Spread across categories, on programmes the tuning cases do not use.
    assert len({case.category for case in held_out}) >= 6
    tuning_sources = {case.main for case in CASES if not case.held_out}
    assert not tuning_sources & {case.main for case in held_out}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_every_case_is_well_formed(case: Case) -> None:
    assert check_case(case) == []
    assert 20 <= case.a.seconds <= 60 and 20 <= case.b.seconds <= 60
    for version in (case.a, case.b):
        assert 320 <= version.encoding.width <= 640 and 136 <= version.encoding.height <= 360
    if case.category == "reencode":
        assert case.truth.segments == () and case.truth.offset == 0
    else:
        assert case.truth.segments


def test_offsets_and_edges_are_off_the_2_second_clip_grid() -> None:
    for case in (*CASES, *QUICK_CASES):
        truth = case.truth
        if truth.offset:
            assert distance_to_grid(truth.offset) >= 0.29, case.name
        for segment in truth.segments:
            edges = [(segment.a_start, case.a.seconds), (segment.a_end, case.a.seconds)]
            edges += [(segment.b_start, case.b.seconds), (segment.b_end, case.b.seconds)]
            for edge, end in edges:
                if 0 < edge < end:
                    assert distance_to_grid(edge) >= 0.29, (case.name, segment)


def test_the_truth_tiles_both_timelines() -> None:
    """Matched spans and only_a (only_b) segments cover A (B) from start to end without overlap."""
    for case in (*CASES, *QUICK_CASES):
        truth = case.truth
        for side, seconds, only in (("a", case.a.seconds, "only_a"), ("b", case.b.seconds, "only_b")):
            pieces = [(span[0], span[1]) if side == "a" else (span[2], span[3]) for span in truth.matched_spans]
            pieces += [
                (segment.a_start, segment.a_end) if side == "a" else (segment.b_start, segment.b_end)
                for segment in truth.segments
                if segment.kind == only
            ]
            pieces.sort()
            assert pieces[0][0] == 0 and pieces[-1][1] == pytest.approx(seconds), case.name
            for (_, end), (start, _) in itertools.pairwise(pieces):
                assert start == pytest.approx(end), case.name


# --- the truth from edit lists ----------------------------------------------------------------------


def test_an_insertion_off_the_grid_gives_one_only_b_segment_and_two_matched_spans() -> None:
    main, other = Programme(1, 48), Programme(2, 10)
    a = Version((Piece(main, 0, 48),))
    b = Version((Piece(main, 0, 17.3), Piece(other, 2, 5.7), Piece(main, 17.3, 48)))
    truth = derive_truth(a, b, main)
    assert truth.offset == 0
    assert truth.matched_spans == ((0, 17.3, 0, 17.3), (17.3, 48, 21.0, 51.7))
    assert truth.segments == (TruthSegment("only_b", 17.3, 17.3, 17.3, 21.0),)


def test_a_lead_in_a_removal_and_changes_map_to_both_timelines() -> None:
    main, swapped = Programme(1, 48), Programme(2, 48)
    grade = Change(30.0, 36.0, (Grade("strong", "night"),), "medium")
    a = Version((Piece(main, 3.4, 48),), (Change(10.0, 14.0, (Logo(),)),))
    b = Version(
        (Piece(main, 0, 20.0), Piece(main, 24.5, 48)),
        (grade, Change(10.0, 14.0, (Logo(),)), Change(33.0, 40.0, (SwapMusic(swapped),))),
    )
    truth = derive_truth(a, b, main)
    assert truth.offset == pytest.approx(3.4)
    assert truth.segments == (
        TruthSegment("only_b", 0, 0, 0, 3.4),  # B's lead-in
        TruthSegment("only_a", 16.6, 21.1, 20.0, 20.0),  # what B cut out, at B's 20 s
        TruthSegment("visual", 26.6, 29.6, 25.5, 28.5, "medium"),  # the grade alone
        TruthSegment("both", 29.6, 32.6, 28.5, 31.5, "medium"),  # grade and new music
        TruthSegment("audio", 32.6, 36.6, 31.5, 35.5),  # the music alone
    )  # the logo is in both: no difference


# --- scoring --------------------------------------------------------------------------------------


def test_the_truth_scores_perfectly_on_every_case() -> None:
    scores = [score_case(case.truth, prediction_from_truth(case.truth)) for case in (*CASES, *QUICK_CASES)]
    total = totals(scores)
    assert (total.recall, total.precision, total.kind_accuracy) == (1.0, 1.0, 1.0)
    assert total.boundary(100) == pytest.approx(0) and total.offset(100) == pytest.approx(0)
    assert total.severity_ok == total.severity_checks > 0


def test_scoring_counts_misses_false_segments_kinds_and_boundaries() -> None:
    truth = derive_truth(
        Version((Piece(Programme(1, 40), 0, 40),)),
        Version(
            (Piece(Programme(1, 40), 0, 40),),
            (
                Change(10.3, 16.3, (Grade("strong", "night"),), "medium"),
                Change(25.0, 29.0, (SwapMusic(Programme(2, 40)),)),
            ),
        ),
        Programme(1, 40),
    )
    prediction = Prediction(
        offset=0.04,
        segments=(
            Predicted("both", 10.0, 14.0, 10.0, 14.0, "low"),  # covers 3.7 of 6 s: found, wrong kind, too low
            Predicted("visual", 26.0, 28.0, 26.0, 28.0, "high"),  # the audio change, as pictures: false
            Predicted("audio", 33.0, 35.0, 33.0, 35.0, "low"),  # nothing there: false
        ),
    )
    score = score_case(truth, prediction)
    assert [span.found for span in score.spans] == [True, False]
    assert score.kind_ok == 0
    assert score.boundary_errors == [pytest.approx(0.3), pytest.approx(2.3)]
    assert score.severity_checks == [False]
    assert len(score.false_positives) == 2
    assert score.offset_error == pytest.approx(0.04)
    assert totals([score]).precision == pytest.approx(1 / 3)


# --- rendered files ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    directory = tmp_path_factory.mktemp("corpus")
    names = ("quick_insertion", "quick_reencode", "quick_reencode_padded_44k_stereo", "quick_grade", "quick_music_swap")
    return {name: render_case(case_named(name), directory) for name in names}


def probe(path: Path) -> dict[str, object]:
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        frames = sum(1 for _ in container.decode(video))
        return {
            "frames": frames,
            "fps": float(video.average_rate or 0),
            "size": (video.codec_context.width, video.codec_context.height),
            "codec": video.codec_context.name,
            "audio": (audio.codec_context.name, audio.rate, audio.layout.name),
        }


def test_rendered_files_last_as_long_as_their_edit_lists(rendered) -> None:
    for name, paths in rendered.items():
        case = case_named(name)
        for version, path in zip((case.a, case.b), paths, strict=True):
            found = probe(path)
            encoding = version.encoding
            assert found["frames"] == round(version.seconds * encoding.fps), (name, path)
            assert found["fps"] == encoding.fps
            assert found["size"] == (encoding.width, encoding.height)
            sound = decode_video(path).samples
            assert sound is not None and len(sound) / 48_000 == pytest.approx(version.seconds, abs=0.05)
        # The truth ends where the files do.
        ends_a = [span[1] for span in case.truth.matched_spans] + [s.a_end for s in case.truth.segments]
        ends_b = [span[3] for span in case.truth.matched_spans] + [s.b_end for s in case.truth.segments]
        assert max(ends_a) == pytest.approx(case.a.seconds) and max(ends_b) == pytest.approx(case.b.seconds)


def test_encodings_are_what_the_re_encode_cases_say(rendered) -> None:
    plain = probe(rendered["quick_reencode"][0])
    assert plain["codec"] == "h264" and plain["audio"] == ("aac", 48_000, "mono")
    webm = probe(rendered["quick_reencode"][1])
    assert webm["codec"] == "vp9" and webm["audio"] == ("opus", 48_000, "mono")
    assert webm["fps"] == 25 and webm["size"] == (256, 144)
    padded_path = rendered["quick_reencode_padded_44k_stereo"][1]
    assert probe(padded_path)["audio"] == ("aac", 44_100, "stereo")
    # Letterboxed: black bars above and below the picture, the picture between them.
    frame = decode_video(padded_path).frames[30]
    assert frame[:25].max() < 40 and frame[-25:].max() < 40
    assert frame[60:180].mean() > 40


def frame_differences(first: Path, second: Path, shift_seconds: float = 0.0) -> np.ndarray:
    """Per frame of `second`: mean absolute difference from `first` at the same moment − shift."""
    a, b = decode_video(first), decode_video(second)
    fps = float(b.fps)
    differences = np.full(len(b.frames), np.nan)
    for index, frame in enumerate(b.frames):
        other = round((index / fps - shift_seconds) * float(a.fps))
        if 0 <= other < len(a.frames):
            differences[index] = np.abs(frame.astype(np.int16) - a.frames[other]).mean()
    return differences


def test_a_rendered_change_is_where_the_truth_says_and_nowhere_else(rendered) -> None:
    [segment] = case_named("quick_grade").truth.segments
    differences = frame_differences(*rendered["quick_grade"])
    times = np.arange(len(differences)) / 30
    inside = (times > segment.b_start + 0.05) & (times < segment.b_end - 0.05)
    before, after = times < segment.b_start - 0.05, times > segment.b_end + 0.05
    # Before the change both files are the same bytes; after it, the encoder's references differ
    # until the next keyframe (every 2 s): encoding noise, far below the grade.
    assert differences[before].max() == 0
    assert differences[inside].min() > 2 * differences[after].max()
    assert np.median(differences[inside]) > 4 * np.median(differences[after])


def test_after_an_insertion_b_shows_a_later_by_its_length(rendered) -> None:
    [segment] = case_named("quick_insertion").truth.segments
    path_a, path_b = rendered["quick_insertion"]
    differences = frame_differences(path_a, path_b, shift_seconds=segment.b_end - segment.b_start)
    times = np.arange(len(differences)) / 30
    after = times > segment.b_end + 0.05
    unshifted = frame_differences(path_a, path_b)
    before = unshifted[times < segment.b_start - 0.05]
    inserted = unshifted[(times > segment.b_start + 0.05) & (times < segment.b_end - 0.05)]
    # Encoding noise only where both show the same moment; different pictures in the insertion.
    assert differences[after].max() < 6 and before.max() < 6
    assert np.nanmin(inserted) > 15


def test_a_swapped_music_bed_changes_the_sound_only_over_its_stretch(rendered) -> None:
    [segment] = case_named("quick_music_swap").truth.segments
    a, b = (decode_video(path).samples for path in rendered["quick_music_swap"])
    assert a is not None and b is not None
    window = 4_800  # 0.1 s
    count = min(len(a), len(b)) // window
    level = np.sqrt(np.mean((a[: count * window] - b[: count * window]).reshape(count, window) ** 2, axis=1))
    times = (np.arange(count) + 0.5) * 0.1
    inside = (times > segment.a_start + 0.1) & (times < segment.a_end - 0.1)
    before, after = times < segment.a_start - 0.1, times > segment.a_end + 0.1
    # As with pictures: the same bytes before the change, the encoder's state differs after it.
    assert level[before].max() < 1e-3
    assert np.median(level[inside]) > 4 * np.median(level[after])


def test_files_are_cached_under_a_hash_of_their_definition(rendered, tmp_path: Path) -> None:
    case = case_named("quick_grade")
    path_a, _ = rendered["quick_grade"]
    modified = path_a.stat().st_mtime_ns
    assert render_case(case, path_a.parent)[0] == path_a and path_a.stat().st_mtime_ns == modified
    other = Version(case.a.pieces, case.a.changes, Encoding(fps=25))
    assert version_key(case, other) != version_key(case, case.a)
