"""A refined comparison's stored result (engine 2), made without the engine: the rows tests build
through `tests.factories.ComparisonFactory(refined=True)` and the review bench builds for its shared
page. Times are as the engine stores them (to the millisecond), so the API's rounding shows."""

from __future__ import annotations

from typing import Any

MEASURE_STEP = 0.1  # videos.engine.verify.STEP (not imported: it brings scipy into every test)


def measured_stretch(
    a_start: float,
    a_end: float,
    offset: float,
    *,
    changed: tuple[float, float],
    picture: float,
    sound: float | None,
    quiet: float = 0.02,
) -> dict[str, Any]:
    """One verified stretch as engine 2 stores it (`Comparison.measured`): a score per 0.1 s step of
    A from `a_start` to `a_end`, B = A + `offset`; `picture` and `sound` over `changed` (on A),
    `quiet` elsewhere. What re-judging at another threshold reads."""
    steps = round((a_end - a_start) / MEASURE_STEP)
    inside = [changed[0] <= a_start + (k + 0.5) * MEASURE_STEP < changed[1] for k in range(steps)]
    return {
        "a_start": a_start,
        "offset": offset,
        "picture": [picture if hit else quiet for hit in inside],
        "sound": None if sound is None else [sound if hit else quiet / 2 for hit in inside],
    }


# A refined comparison (engine 2) of A (20 s) and B (23.4 s): B has 1.4 s more lead-in, then A's
# 0–9.6 s, then 2 s inserted, then A's 9.6–20 s; a low picture change and a high one in picture and
# sound. Times as the engine stores them (to the millisecond), so the API's rounding shows; the
# measured stretches give the same segments at the stored threshold (0.15).
REFINED_SPANS = [[0.0, 9.6, 1.4, 11.0], [9.6, 20.0, 13.0, 23.4]]
REFINED_MEASURED = [
    measured_stretch(3.837, 7.337, 1.4, changed=(4.237, 6.937), picture=0.183, sound=0.012),
    measured_stretch(14.64, 17.94, 3.4, changed=(15.04, 17.54), picture=0.874, sound=0.655),
]
REFINED_SEGMENTS = [
    {"kind": "only_b", "a_start": 0.0, "a_end": 0.0, "b_start": 0.0, "b_end": 1.4, "peak": None, "mean": None,
     "severity": None, "picture": None, "sound": None},
    {"kind": "visual", "a_start": 4.237, "a_end": 6.937, "b_start": 5.637, "b_end": 8.337, "peak": 0.183,
     "mean": 0.183, "severity": "low", "picture": 0.183, "sound": 0.012},
    {"kind": "only_b", "a_start": 9.6, "a_end": 9.6, "b_start": 11.0, "b_end": 13.0, "peak": None, "mean": None,
     "severity": None, "picture": None, "sound": None},
    {"kind": "both", "a_start": 15.04, "a_end": 17.54, "b_start": 18.44, "b_end": 20.94, "peak": 0.874,
     "mean": 0.874, "severity": "high", "picture": 0.874, "sound": 0.655},
]  # fmt: skip
REFINED_COUNTS = {"only_b": 2, "visual": 1, "both": 1, "low": 1, "high": 1}
REFINED_SIMILARITY = 63.25
REFINED_SUMMARY = "4 differences (2 only in B, 1 picture, 1 picture and sound)."
