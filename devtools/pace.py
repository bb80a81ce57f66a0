"""How slow this machine is right now, so a test's wall-time bounds stretch with it (issue 65).

A test that says "a request with no byte for 20 s is a hang" means 20 s on a machine that gives
its processes the CPU they ask for. On a shared machine (load 15 on 2 cores) every process gets a
slice of that, the servers under test included, and a fixed bound turns slowness into a red run.
`slowness()` measures the slice: a short CPU-bound step's wall time over the CPU time this thread
got for it (1.0 when the CPU is free, about 7 when seven runnable processes share each core). It
needs no reference figure for the machine, so it says the same on a fast and a slow one when idle.
A bound times `slowness()` is still a bound: a request that truly hangs fails, only later.
"""

from __future__ import annotations

import threading
import time
from collections import deque

STEP_CPU_SECONDS = 0.02  # long enough to span several scheduler slices, short enough to sample often
SLOWNESS_CAP = 20.0  # past this, a bound is so long that a run would rather fail than wait it out


def slowness(*, step_cpu_seconds: float = STEP_CPU_SECONDS) -> float:
    """Wall time over this thread's CPU time for `step_cpu_seconds` of busy work; ≥ 1, ≤ the cap."""
    wall_started, cpu_started = time.monotonic(), time.thread_time()
    while time.thread_time() - cpu_started < step_cpu_seconds:
        sum(range(1000))  # work, not a sleep: a sleep would not be slowed by a busy CPU
    ratio = (time.monotonic() - wall_started) / (time.thread_time() - cpu_started)
    return min(max(ratio, 1.0), SLOWNESS_CAP)


class PaceMeter:
    """`slowness()` sampled every `every` s in a thread; `factor` is the highest of the last `window`
    s, so a bound set now covers a load that came and went a moment ago. Use as a context manager."""

    def __init__(self, *, every: float = 1.0, window: float = 30.0) -> None:
        self.every = every
        self._samples: deque[tuple[float, float]] = deque()
        self._window = window
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._record(slowness())

    def __enter__(self) -> PaceMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._thread.join(self.every + 5)

    @property
    def factor(self) -> float:
        with self._lock:
            return max(ratio for _, ratio in self._samples)

    def scaled(self, seconds: float) -> float:
        """`seconds` as they would pass on a free machine, stretched by how slow this one is now."""
        return seconds * self.factor

    def _record(self, ratio: float) -> None:
        now = time.monotonic()
        with self._lock:
            self._samples.append((now, ratio))
            while len(self._samples) > 1 and self._samples[0][0] < now - self._window:
                self._samples.popleft()

    def _sample(self) -> None:
        while not self._stopping.wait(self.every):
            self._record(slowness())
