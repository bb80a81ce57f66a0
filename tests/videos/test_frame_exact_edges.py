"""Findings' edges land on the exact frame (issue 62, item 5): pairs of frame-numbered videos at
every rate an editor meets, B made from A by one edit given in frames, compared end to end as a
comparison is (both files fingerprinted, the engine verifying on the files), and every edge of the
finding read back as a frame of its own video (`sage.timebase`) is the edit's first or end frame.

An insertion and a changed picture (a banner from 3.43 s to 6.71 s: a "visual" finding, whose
edges are its first and last changed frame) at every rate; a removal and a move at 29.97
(drop-frame timecode, the rate that was a frame off) and at 25. Edits sit off the engine's 0.1 s
grid, inside a scene and at a cut. What is
inserted or removed is a scene's length: on these 10 s pictures of 2 s scenes, other lengths leave
the alignment unsure past the edit (a finding of the wrong kind), which is not what this tests."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from sage.synthetic_media.copies import reencode
from sage.synthetic_media.numbered_pairs import (
    BannerFrames,
    FrameEdit,
    FrameEditTruth,
    InsertFrames,
    MoveFrames,
    RemoveFrames,
    edited_version,
)
from sage.synthetic_media.numbered_videos import EDITORS_RATES, NumberedVideo, NumberRun, write_numbered_video
from sage.timebase import Timebase
from videos.compare.files import compare_files
from videos.engine.model import Difference

SECONDS = 10  # five 2 s scenes: enough for the alignment to see shots, short enough to be quick
WIDTH, HEIGHT = 192, 108


@dataclass(frozen=True)
class Case:
    rate: Fraction
    name: str
    edit: FrameEdit
    # B re-encoded at another size and a lower quality, as a delivery is: no frame of B is then
    # the same bytes as A's, on either side of the edit.
    reencoded: bool = False


def at(seconds: float, rate: Fraction) -> int:
    """The frame that begins nearest `seconds` at `rate`."""
    return round(Fraction(seconds) * rate)


def insertion(rate: Fraction) -> FrameEdit:
    """2 s of new material 4.37 s in, inside a scene."""
    return InsertFrames(at=at(4.37, rate), count=at(2.0, rate))


def removal(rate: Fraction) -> FrameEdit:
    """2 s from 3.61 s cut out, across the cut at 4 s."""
    return RemoveFrames(at(3.61, rate), at(3.61, rate) + at(2.0, rate))


def move(rate: Fraction) -> FrameEdit:
    """The scene from 2 s to 4 s put after the one ending at 8 s (a whole scene, cut to cut)."""
    return MoveFrames(at(2.0, rate), at(4.0, rate), to=at(8.0, rate))


def banner(rate: Fraction) -> FrameEdit:
    """B's picture changed (a banner over it) from 3.43 s to 6.71 s, both inside a scene."""
    return BannerFrames(at(3.43, rate), at(6.71, rate))


RATES = EDITORS_RATES
CASES = [Case(rate, f"insertion at {name}", insertion(rate)) for name, rate in RATES.items()]
CASES += [Case(rate, f"banner at {name}", banner(rate)) for name, rate in RATES.items()]
CASES += [
    Case(RATES[name], f"{kind.__name__} at {name}", kind(RATES[name]))
    for name in ("29.97", "25")
    for kind in (removal, move)
]
CASES.append(Case(RATES["29.97"], "insertion at 29.97, B re-encoded", insertion(RATES["29.97"]), reencoded=True))
CASES.append(Case(RATES["29.97"], "banner at 29.97, B re-encoded", banner(RATES["29.97"]), reencoded=True))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("frame_edges")


def original(rate: Fraction) -> NumberedVideo:
    return NumberedVideo(rate, (NumberRun(0, at(SECONDS, rate)),), width=WIDTH, height=HEIGHT)


def written(folder: Path, video: NumberedVideo, name: str) -> Path:
    """`video` written once for the module under `name`."""
    path = folder / f"{name}.mp4"
    if not path.exists():
        write_numbered_video(video, path)
    return path


def edges(finding: Difference) -> tuple[float, float, float, float]:
    """The finding's edges in seconds: A's start and end, B's start and end."""
    a_start, a_end, b_start, b_end = finding.a_start, finding.a_end, finding.b_start, finding.b_end
    assert a_start is not None and a_end is not None and b_start is not None and b_end is not None
    return a_start, a_end, b_start, b_end


def edges_in_frames(finding: Difference, rate: Fraction) -> tuple[int, ...]:
    """The finding's edges as the frames that begin there, on A and on B (both at `rate`)."""
    return tuple(Timebase(rate).boundary_near(time) for time in edges(finding))


def truth_frames(truth: FrameEditTruth) -> tuple[int, ...]:
    return (truth.a_first, truth.a_end, truth.b_first, truth.b_end)


def described(finding: Difference, rate: Fraction) -> str:
    times = ", ".join(f"{time:.4f}" for time in edges(finding)) if finding.a_start is not None else ""
    return f"{finding.kind} ({times}) = frames {edges_in_frames(finding, rate) if times else ()}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_edge_of_the_finding_is_the_edits_exact_frame(folder: Path, case: Case) -> None:
    a = original(case.rate)
    b, truth = edited_version(a, case.edit)
    label = case.name.replace(" ", "_")
    path_b = written(folder, b, label)
    if case.reencoded:
        path_b = reencode(path_b, folder / f"{label}_delivered.mp4", width=288, height=162, crf=30)
    result = compare_files(written(folder, a, f"a_{float(case.rate):.3f}"), path_b)

    findings = [segment for segment in result.segments if segment.kind in ("only_a", "only_b", "moved", "visual")]
    print(f"\n{case.name}: truth {truth_frames(truth)}; found {[described(f, case.rate) for f in result.segments]}")
    assert [finding.kind for finding in findings] == [truth.kind]
    assert edges_in_frames(findings[0], case.rate) == truth_frames(truth)
    # Stored to the frame: each edge is a boundary k/rate (to a microsecond; the API keeps milliseconds).
    timebase = Timebase(case.rate)
    for time in edges(findings[0]):
        assert abs(time - timebase.start(timebase.boundary_near(time))) < 1e-6
