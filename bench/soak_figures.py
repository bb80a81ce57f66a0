"""The figures of a soak run (bench/soak.py), made from the log its people write (bench/soak_people.py):
per-route percentiles and counts, server errors and requests never answered, the longest wait, and for
each burst of questions how long page loads took to come back under the goal."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

GOAL_LONGEST_WAIT_MS = 10_000.0
GOAL_PAGE_P95_MS = 300.0
GOAL_RECOVERY_SECONDS = 5.0
# Page loads after a burst are judged in windows of this many seconds (by when each load began),
# stepped by RECOVERY_STEP; a window needs a few loads for a p95 to mean anything.
RECOVERY_WINDOW = 2.0
RECOVERY_STEP = 0.5
RECOVERY_MIN_LOADS = 3
RECOVERY_HORIZON = 45.0  # seconds after a burst's start within which it must have recovered


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class Route:
    name: str
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    server_errors: int  # 5xx
    no_answer: int  # no HTTP status: timed out, reset, or a socket that closed
    refused: int  # 4xx (rate limits, busy conversations…): answered, not lost

    @property
    def line(self) -> str:
        return (
            f"{self.name:<46} {self.count:>6} {self.p50_ms:>8.0f} {self.p95_ms:>8.0f} {self.max_ms:>8.0f}"
            f" {self.server_errors:>5} {self.no_answer:>6} {self.refused:>5}"
        )


@dataclass(frozen=True)
class BurstFigure:
    start: float  # seconds since the run began
    size: int
    recovery_seconds: float | None  # None: page loads were not back under the goal within the horizon
    worst_page_p95_ms: float  # the slowest window of page loads after the burst


@dataclass(frozen=True)
class Figures:
    routes: list[Route]
    requests: int
    server_errors: int
    no_answer: int
    longest_wait_ms: float
    longest_wait_route: str
    bursts: list[BurstFigure]

    @property
    def worst_recovery(self) -> float | None:
        """The slowest burst's recovery; None when one never recovered (and 0.0 without bursts)."""
        recoveries = [burst.recovery_seconds for burst in self.bursts]
        return None if None in recoveries else max((r for r in recoveries if r is not None), default=0.0)


def figures(log: Iterable[dict[str, Any]]) -> Figures:
    entries = list(log)
    requests = [entry for entry in entries if entry["type"] == "request"]
    by_route: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for request in requests:
        by_route[request["name"]].append(request)
    routes = [_route(name, rows) for name, rows in sorted(by_route.items())]
    # A slow viewer's whole read lasts as long as his link makes it: not a wait (its first bytes are).
    waits = [request for request in requests if request["kind"] != "media-read"]
    longest = max(waits, key=lambda request: request["ms"], default=None)
    begun = min((request["start"] for request in requests), default=0.0)
    # Every page load counts, those that failed or never answered too (at the time they took to fail).
    pages = sorted((request["start"], request["ms"]) for request in requests if request["kind"] == "page")
    bursts = [entry for entry in entries if entry["type"] == "burst"]
    return Figures(
        routes=routes,
        requests=len(requests),
        server_errors=sum(route.server_errors for route in routes),
        no_answer=sum(route.no_answer for route in routes),
        longest_wait_ms=longest["ms"] if longest else 0.0,
        longest_wait_route=longest["name"] if longest else "",
        bursts=[_burst(burst, pages, begun) for burst in bursts],
    )


def _route(name: str, rows: list[dict[str, Any]]) -> Route:
    times = np.array([row["ms"] for row in rows])
    return Route(
        name=name,
        count=len(rows),
        p50_ms=float(np.percentile(times, 50)),
        p95_ms=float(np.percentile(times, 95)),
        max_ms=float(times.max()),
        server_errors=sum(1 for row in rows if (row["status"] or 0) >= 500),
        no_answer=sum(1 for row in rows if row["status"] is None),
        refused=sum(1 for row in rows if 400 <= (row["status"] or 0) < 500),
    )


def _burst(burst: dict[str, Any], pages: list[tuple[float, float]], begun: float) -> BurstFigure:
    """When page loads were back under the goal after `burst`: the start of the first window after
    which every window up to the horizon has its p95 at or under GOAL_PAGE_P95_MS."""
    start = burst["start"]
    windows: list[tuple[float, float]] = []  # (offset from the burst, p95 of the loads begun in it)
    offset = 0.0
    while offset + RECOVERY_WINDOW <= RECOVERY_HORIZON:
        loads = [ms for at, ms in pages if start + offset <= at < start + offset + RECOVERY_WINDOW]
        if len(loads) >= RECOVERY_MIN_LOADS:
            windows.append((offset, float(np.percentile(loads, 95))))
        offset += RECOVERY_STEP
    recovery: float | None = 0.0
    for offset, p95 in windows:
        if p95 > GOAL_PAGE_P95_MS:
            recovery = None  # until a later window is under, and every one after it
        elif recovery is None:
            recovery = offset
    worst = max((p95 for _, p95 in windows), default=float("nan"))
    return BurstFigure(start=start - begun, size=burst["size"], recovery_seconds=recovery, worst_page_p95_ms=worst)


def print_figures(found: Figures) -> None:
    print(f"{'route':<46} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'5xx':>5} {'no ans':>6} {'4xx':>5}")
    for route in found.routes:
        print(route.line)
    print(
        f"requests: {found.requests}; 5xx: {found.server_errors}; never answered: {found.no_answer}; "
        f"longest wait: {found.longest_wait_ms / 1000:.2f} s ({found.longest_wait_route})"
    )
    for number, burst in enumerate(found.bursts, 1):
        recovered = (
            "never (within the horizon)" if burst.recovery_seconds is None else f"{burst.recovery_seconds:.1f} s"
        )
        print(
            f"burst {number}: {burst.size} questions at {burst.start:.0f} s; page p95 back under "
            f"{GOAL_PAGE_P95_MS:.0f} ms after {recovered} (slowest window p95 {burst.worst_page_p95_ms:.0f} ms)"
        )


# --- the web processes' memory -------------------------------------------------------------------

GOAL_RSS_SLOPE_MB_PER_MIN = 0.25  # "flat": at most 15 MB an hour once warmed up
RSS_WARM_UP_SECONDS = 120.0  # imports, the model's child, first pools and caches: not growth
RSS_SAMPLE_SECONDS = 5.0


@dataclass(frozen=True)
class MemoryFigure:
    """One web process's resident memory over the run: (seconds since the start, MB) samples, and the
    slope of a least-squares line through those after the warm-up."""

    pid: int
    samples: list[tuple[float, float]]

    @property
    def start_mb(self) -> float:
        return self.samples[0][1] if self.samples else float("nan")

    @property
    def end_mb(self) -> float:
        return self.samples[-1][1] if self.samples else float("nan")

    @property
    def peak_mb(self) -> float:
        return max((mb for _, mb in self.samples), default=float("nan"))

    @property
    def slope_mb_per_min(self) -> float:
        """NaN when the run is too short to have samples after the warm-up (a few minutes are needed)."""
        warm = [(at, mb) for at, mb in self.samples if at >= RSS_WARM_UP_SECONDS]
        if len(warm) < 3:
            return float("nan")
        at, mb = np.array(warm).T
        return float(np.polyfit(at / 60.0, mb, 1)[0])

    @property
    def line(self) -> str:
        return (
            f"web process {self.pid}: RSS {self.start_mb:.0f} MB at start, {self.end_mb:.0f} MB at the end "
            f"(peak {self.peak_mb:.0f}); after {RSS_WARM_UP_SECONDS:.0f} s of warm-up "
            f"{self.slope_mb_per_min:+.2f} MB/min over {len(self.samples)} samples"
        )


def print_memory(memory: list[MemoryFigure]) -> None:
    for figure in memory:
        print(figure.line)
