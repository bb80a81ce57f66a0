"""The matched span: a stretch shown in both videos, as the alignment (videos.compare.refine) finds
it and every engine reads it, and what keeps a list of them in order.
"""

from __future__ import annotations

from dataclasses import dataclass

# Spans shorter than this on both videos are dropped (their time goes to the neighbours' edges).
MIN_SPAN_SECONDS = 0.5


@dataclass(frozen=True)
class MatchedSpan:
    """A stretch shown in both videos: A from a_start to a_end is B from b_start to b_end (at
    `rate`, B seconds per A second, when the two lengths differ: a speed change).

    Engine 3: B's sound is `sound_lag` seconds later against B's picture than A's is against A's,
    at a_start, and that lag grows by `sound_drift` seconds per second of A (0, 0: in sync)."""

    a_start: float
    a_end: float
    b_start: float
    b_end: float
    sound_lag: float = 0.0
    sound_drift: float = 0.0

    @property
    def offset(self) -> float:
        return self.b_start - self.a_start

    @property
    def rate(self) -> float:
        length = self.a_end - self.a_start
        return (self.b_end - self.b_start) / length if length > 0 else 1.0

    def as_list(self) -> list[float]:
        """[a_start, a_end, b_start, b_end], with [sound_lag, sound_drift] after them when not in sync."""
        times = [round(self.a_start, 3), round(self.a_end, 3), round(self.b_start, 3), round(self.b_end, 3)]
        if self.sound_lag or self.sound_drift:
            times += [round(self.sound_lag, 4), round(self.sound_drift, 6)]
        return times


def monotone(spans: list[MatchedSpan]) -> list[MatchedSpan]:
    """Spans in order along both videos, none overlapping the one before on either video."""
    ordered: list[MatchedSpan] = []
    for span in spans:
        if ordered:
            previous = ordered[-1]
            a_start = max(span.a_start, previous.a_end)
            b_start = max(span.b_start, previous.b_end)
            # Moved along its own line: B moves `rate` seconds per second of A.
            rate = span.rate
            shift = max(a_start - span.a_start, (b_start - span.b_start) / rate)
            span = MatchedSpan(span.a_start + shift, span.a_end, span.b_start + shift * rate, span.b_end)
            if span.a_end - span.a_start < MIN_SPAN_SECONDS:
                continue
        ordered.append(span)
    return ordered
