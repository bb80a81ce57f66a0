"""The one interface every pass has (as PySceneDetect's detectors each implement its
`SceneDetector`): a `name` and `run(signals, state) -> state`, which takes the pair's signals (built
once, videos.engine.signals) and what the passes before it found, and returns that with its own
part added or changed. A pass holds its settings (the alignment mode, the files to verify on, the
lines of on-screen text) and nothing between runs. videos.engine.pipeline lists them in order,
times each and carries the times on the result (`pass_seconds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from videos.engine.model import Difference, Line, MatchedSpan, Measured, Stretch, Vote
from videos.engine.signals import PairSignals


@dataclass(frozen=True)
class AlignmentSketch:
    """What the alignment's passes hand on before there are spans (videos.engine.passes.align):
    the coarse pairs of 2 s clips, the windows' votes for an offset, the runs of windows at one
    offset (`groups`, their offsets refined) and the sloped lines where B plays at another speed."""

    coarse: tuple[np.ndarray, np.ndarray]  # A clip start times, B − A lag in seconds
    votes: list[Vote] = field(default_factory=list)
    groups: list[Vote] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class PassState:
    """What the passes have found so far: the matched spans, the candidate stretches to measure,
    what was measured along them, and the findings that hold at any threshold (moved, av_sync,
    speed, text; judging at a threshold adds the rest)."""

    spans: list[MatchedSpan] = field(default_factory=list)
    # The alignment's work before the spans are made; None once there is nothing to align.
    sketch: AlignmentSketch | None = None
    candidates: list[Stretch] = field(default_factory=list)
    measured: list[Measured] = field(default_factory=list)
    findings: list[Difference] = field(default_factory=list)
    # False while the candidates' scores are the screening's (the files not decoded).
    verified: bool = True
    # Seconds each pass took, by name, in the order they ran (the pipeline's, not the passes').
    pass_seconds: dict[str, float] = field(default_factory=dict)


class Pass(Protocol):
    """A step of the engine: see the module docstring."""

    @property
    def name(self) -> str: ...

    def run(self, signals: PairSignals, state: PassState) -> PassState: ...
