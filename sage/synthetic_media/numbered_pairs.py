"""Pairs of numbered videos (:mod:`.numbered_videos`): A, and B made from it by one edit given in
frames, with the truth of where the edit is on both sides, to the frame::

    a = NumberedVideo(rate=Fraction(30000, 1001), runs=(NumberRun(0, 90),))
    pair = make_numbered_pair(a, InsertFrames(at=45, count=30), folder / "a.mp4", folder / "b.mp4")
    pair.truth  # FrameEditTruth("only_b", a_first=45, a_end=45, b_first=45, b_end=75)
    pair.b_numbers[45]  # 500000: inserted material is numbered from INSERTED_FIRST_NUMBER

As in :mod:`.edits`, a version is a list of pieces of source (here runs of frame numbers) and the
truth follows from the edit list; its kinds and conventions are the comparison engine's
(`videos.engine.model.Difference`): "only_b" with `a_first == a_end` at the point of A where B's
extra frames sit, "only_a" the other way round, "moved" for a block A shows at `a_first`–`a_end`
and B at `b_first`–`b_end`, "visual" for frames both show in the same place, B's picture changed.
Ranges are frames [first, end) on each file's own timeline.

B is drawn afresh from its numbers rather than decoded from A and encoded again, so neither side
carries an extra generation of coding loss and both are written the same way.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .numbered_videos import NumberedVideo, NumberRun, write_numbered_video

# Inserted material is numbered from here: far above any original's numbers, so a test tells at a
# glance (and a reader at once) a frame of A from a frame B alone has.
INSERTED_FIRST_NUMBER = 500_000

FrameEditKind = Literal["only_a", "only_b", "moved", "visual"]


@dataclass(frozen=True)
class InsertFrames:
    """`count` frames of new material, numbered from `first_number`, put before A's frame `at`
    (`at` = A's frame count: after its end)."""

    at: int
    count: int
    first_number: int = INSERTED_FIRST_NUMBER


@dataclass(frozen=True)
class RemoveFrames:
    """A's frames `first` to `end - 1` cut out."""

    first: int
    end: int


@dataclass(frozen=True)
class MoveFrames:
    """A's frames `first` to `end - 1` taken out and put back before A's frame `to` (outside the block)."""

    first: int
    end: int
    to: int


@dataclass(frozen=True)
class BannerFrames:
    """A's frames `first` to `end - 1` kept, with a banner over their picture (a "visual" change)."""

    first: int
    end: int


FrameEdit = InsertFrames | RemoveFrames | MoveFrames | BannerFrames


@dataclass(frozen=True)
class FrameEditTruth:
    """Where the edit is: frames [a_first, a_end) of A and [b_first, b_end) of B."""

    kind: FrameEditKind
    a_first: int
    a_end: int
    b_first: int
    b_end: int


@dataclass(frozen=True)
class NumberedPair:
    a: Path
    b: Path
    a_video: NumberedVideo
    b_video: NumberedVideo
    truth: FrameEditTruth

    @property
    def a_numbers(self) -> list[int]:
        return self.a_video.numbers

    @property
    def b_numbers(self) -> list[int]:
        return self.b_video.numbers


def runs_of(numbers: list[int]) -> tuple[NumberRun, ...]:
    """`numbers` as runs of consecutive numbers."""
    runs = []
    for _, group in itertools.groupby(enumerate(numbers), key=lambda pair: pair[1] - pair[0]):
        run = [number for _, number in group]
        runs.append(NumberRun(run[0], run[-1] + 1))
    return tuple(runs)


def edited_version(a: NumberedVideo, edit: FrameEdit) -> tuple[NumberedVideo, FrameEditTruth]:
    """B: `a` with `edit` made (frames counted on `a`'s own timeline), written the same way; and
    where the edit is on both."""
    numbers, count = a.numbers, a.frame_count
    if isinstance(edit, InsertFrames):
        if not 0 <= edit.at <= count or edit.count <= 0:
            raise ValueError(f"cannot insert {edit.count} frames at frame {edit.at} of {count}")
        new = list(range(edit.first_number, edit.first_number + edit.count))
        if set(new) & set(numbers):
            raise ValueError("inserted frames must carry numbers A does not show")
        edited = [*numbers[: edit.at], *new, *numbers[edit.at :]]
        truth = FrameEditTruth("only_b", edit.at, edit.at, edit.at, edit.at + edit.count)
    elif isinstance(edit, RemoveFrames):
        if not 0 <= edit.first < edit.end <= count:
            raise ValueError(f"cannot remove frames {edit.first}–{edit.end} of {count}")
        edited = [*numbers[: edit.first], *numbers[edit.end :]]
        truth = FrameEditTruth("only_a", edit.first, edit.end, edit.first, edit.first)
    elif isinstance(edit, BannerFrames):
        if not 0 <= edit.first < edit.end <= count:
            raise ValueError(f"cannot put a banner on frames {edit.first}–{edit.end} of {count}")
        truth = FrameEditTruth("visual", edit.first, edit.end, edit.first, edit.end)
        return dataclasses.replace(a, bannered=(edit.first, edit.end)), truth
    else:
        if not 0 <= edit.first < edit.end <= count or edit.first <= edit.to <= edit.end or not 0 <= edit.to <= count:
            raise ValueError(f"cannot move frames {edit.first}–{edit.end} of {count} to {edit.to}")
        block, rest = numbers[edit.first : edit.end], [*numbers[: edit.first], *numbers[edit.end :]]
        # `to` counted on A; with the block taken out, frames after it come earlier by its length.
        at = edit.to if edit.to < edit.first else edit.to - len(block)
        edited = [*rest[:at], *block, *rest[at:]]
        truth = FrameEditTruth("moved", edit.first, edit.end, at, at + len(block))
    return dataclasses.replace(a, runs=runs_of(edited)), truth


def make_numbered_pair(a: NumberedVideo, edit: FrameEdit, a_path: Path, b_path: Path) -> NumberedPair:
    """Write `a` to `a_path` and `a` with `edit` made to `b_path`; return both and the truth."""
    b, truth = edited_version(a, edit)
    write_numbered_video(a, a_path)
    write_numbered_video(b, b_path)
    return NumberedPair(a_path, b_path, a, b, truth)
