"""The change list's event: one stretch of v2, in v2's order, and the v1 stretch it came from.

Times are exact seconds (`Fraction`) on each video's own frame grid: an edit lands between two
frames, so an event's edges are frame edges (`frame / fps`), and a recut turns them into samples
without rounding twice. A stretch only one side has leaves the other side's times `None`: removed
material has no v2 range (it sits at the v2 point `v2_start == v2_end` where it was taken out), an
insertion no v1 range.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

EventKind = Literal["kept", "removed", "inserted", "moved", "replaced", "trimmed_head", "trimmed_tail", "speed"]
# Events whose v2 stretch plays v1's material (so a recut carries v1's sound there); the others
# leave silence in v2 (inserted, replaced) or nothing (removed, trimmed).
CARRIES_V1: frozenset[EventKind] = frozenset({"kept", "moved", "speed"})


@dataclass(frozen=True)
class ChangeEvent:
    number: int
    kind: EventKind
    v1_start: Fraction | None
    v1_end: Fraction | None
    v2_start: Fraction
    v2_end: Fraction

    @property
    def carries_v1(self) -> bool:
        return self.kind in CARRIES_V1 and self.v1_start is not None and self.v1_end is not None

    @property
    def speed(self) -> Fraction:
        """How much faster v2 plays the v1 stretch: 1 but for a speed change. Kept and moved material
        plays at its own speed though its two ranges differ by a fraction of a frame when v1 and v2
        count frames at different rates (25 and 29.97): resampling by that ratio would drift it."""
        if self.kind != "speed" or not self.carries_v1 or self.v2_end == self.v2_start:
            return Fraction(1)
        assert self.v1_start is not None and self.v1_end is not None
        return (self.v1_end - self.v1_start) / (self.v2_end - self.v2_start)
