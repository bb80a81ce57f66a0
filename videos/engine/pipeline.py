"""The engine: two fingerprints in, one result out, through a list of passes run in order.

    result = run(fingerprint_a, fingerprint_b, alignment="cuts", sources=(path_a, path_b),
                 screen_lines=(lines_a, lines_b))
    result.offset, result.spans, result.segments, result.similarity, result.pass_seconds
    result.with_threshold(0.3)      # re-judged from what was measured, nothing decoded again

The pair's signals are built once (videos.engine.signals.PairSignals) and every pass reads them
(videos.engine.passes.base.Pass: a name, and `run(signals, state) -> state`):

1. On the fingerprints alone (`fingerprint_passes`): the matched spans (passes.align's six passes:
   coarse alignment, local offsets, offsets and speed lines, edges, whole-programme speed, sound in
   step), the stretches along them that move more than re-encoding does (passes.screen), and the
   spans cut where they run through unrelated footage (passes.unrelated). A comparison made on the
   site stops here to decide whether to verify at once or let a worker do it
   (videos.compare.services).
2. The findings (`finding_passes`): moves and swaps (passes.moves), the edges of the spans and the
   moves put on the exact frame when the files are given (passes.frame_edges), A/V sync
   (passes.sync), speed (passes.speed), the candidates' scores, verified on the files when given
   (passes.measure), and the text on screen when its lines are given (passes.text).
3. Judging at a threshold (videos.engine.result.judge) makes the segments and the similarity.

Each pass is timed here and the result carries the times (`pass_seconds`, "judging" last).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

from videos.embeddings.fingerprint import Fingerprint
from videos.engine.model import Alignment, Difference
from videos.engine.passes.align import alignment_passes
from videos.engine.passes.base import Pass, PassState
from videos.engine.passes.frame_edges import FrameEdges
from videos.engine.passes.measure import Measure
from videos.engine.passes.moves import Moves
from videos.engine.passes.screen import Screen
from videos.engine.passes.speed import Speed
from videos.engine.passes.sync import Sync
from videos.engine.passes.text import ScreenLine, Text, text_changes
from videos.engine.passes.unrelated import Unrelated
from videos.engine.result import DEFAULT_CHANGE_THRESHOLD, EngineResult, judge
from videos.engine.signals import PairSignals
from videos.engine.sources import MediaSource

__all__ = [
    "Screened",
    "candidates",
    "finish",
    "run",
    "text_changes",
    "with_text_findings",
]

# The findings listed in this order whichever pass found them first (a comparison's stored
# findings, and the order of those at the same place on the page).
_FINDING_ORDER = {"av_sync": 0, "speed": 1, "moved": 2, "text": 3}


def fingerprint_passes(alignment: Alignment) -> list[Pass]:
    return [*alignment_passes(alignment), Screen(), Unrelated()]


def finding_passes(
    sources: tuple[MediaSource, MediaSource] | None,
    screen_lines: tuple[Sequence[ScreenLine], Sequence[ScreenLine]] | None,
) -> list[Pass]:
    passes: list[Pass] = [Moves(), FrameEdges(sources), Sync(), Speed(), Measure(sources)]
    if screen_lines is not None:
        passes.append(Text(*screen_lines))
    return passes


def run(
    a: Fingerprint,
    b: Fingerprint,
    *,
    alignment: Alignment = "cuts",
    threshold: float | None = None,
    sources: tuple[MediaSource, MediaSource] | None = None,
    screen_lines: tuple[Sequence[ScreenLine], Sequence[ScreenLine]] | None = None,
) -> EngineResult:
    """Every pass in order, then judged at `threshold` (see the module docstring)."""
    screened = candidates(a, b, alignment)
    return finish(screened, alignment=alignment, threshold=threshold, sources=sources, screen_lines=screen_lines)


@dataclass(frozen=True, eq=False)
class Screened:
    """A comparison halfway, after the passes on the fingerprints: the pair's signals and what
    those passes found (the spans, and the candidate stretches to measure)."""

    signals: PairSignals
    state: PassState

    @property
    def candidate_seconds(self) -> float:
        return sum(stretch.a_end - stretch.a_start for stretch in self.state.candidates)


def candidates(a: Fingerprint, b: Fingerprint, alignment: Alignment) -> Screened:
    """The passes on the fingerprints alone: the spans and the candidate stretches along them."""
    signals = PairSignals.of(a, b)
    return Screened(signals, run_passes(signals, fingerprint_passes(alignment), PassState()))


def finish(
    screened: Screened,
    *,
    alignment: Alignment,
    threshold: float | None,
    sources: tuple[MediaSource, MediaSource] | None,
    screen_lines: tuple[Sequence[ScreenLine], Sequence[ScreenLine]] | None = None,
) -> EngineResult:
    """The finding passes after `candidates`, and the result judged at `threshold`."""
    signals = screened.signals
    state = run_passes(signals, finding_passes(sources, screen_lines), screened.state)
    started = time.perf_counter()
    result = judge(
        duration_a=signals.a.duration,
        duration_b=signals.b.duration,
        alignment=alignment,
        spans=state.spans,
        measured=state.measured,
        threshold=DEFAULT_CHANGE_THRESHOLD if threshold is None else threshold,
        verified=state.verified,
        findings=sorted(state.findings, key=_finding_rank),
    )
    seconds = {**state.pass_seconds, "judging": time.perf_counter() - started}
    return dataclasses.replace(result, pass_seconds=seconds)


def with_text_findings(
    result: EngineResult, lines_a: Sequence[ScreenLine], lines_b: Sequence[ScreenLine]
) -> EngineResult:
    """`result` with its text findings made from these lines (any earlier ones replaced), judged again."""
    findings = [finding for finding in result.findings if finding.kind != "text"]
    findings += text_changes(result.spans, lines_a, lines_b)
    return result.judged_again(findings=findings)


def run_passes(signals: PairSignals, passes: Sequence[Pass], state: PassState) -> PassState:
    """`passes` in order from `state`, each one's seconds added to the state's."""
    seconds = dict(state.pass_seconds)
    for step in passes:
        started = time.perf_counter()
        state = step.run(signals, state)
        seconds[step.name] = seconds.get(step.name, 0.0) + time.perf_counter() - started
    return dataclasses.replace(state, pass_seconds=seconds)


def _finding_rank(finding: Difference) -> int:
    return _FINDING_ORDER.get(finding.kind, len(_FINDING_ORDER))
