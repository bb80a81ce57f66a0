"""Memory of long-lived processes: the garbage collector's full passes kept short, and a switch that
says what a process keeps when its memory grows."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import linecache
import os
import threading
import time
import tracemalloc
from pathlib import Path

# glibc's mallopt parameter for the number of malloc arenas (malloc.h: M_ARENA_MAX).
_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int) -> bool:
    """Have glibc's malloc share `arenas` arenas between this process's threads (as MALLOC_ARENA_MAX
    does, from inside, so however the process is started). By default each thread that allocates may
    get an arena of its own (up to 8 per core), each holding on to freed memory: a web process whose
    threads pass many response chunks grew by about 0.35 MB a viewer, 72 MB for 200 (bench/media.py),
    and by 55 MB with two arenas. False where the C library is not glibc (nothing to set)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc: musl has no mallopt
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def freeze_long_lived_objects() -> None:
    """Move every object alive now into the collector's permanent generation, which it never scans.

    For what a process keeps for life: Django's apps and URL maps, and the text model
    where it is loaded. A full collection walks them all with the event loop stopped, long enough
    for every answer in flight to wait it out; frozen, a full pass walks only what was made since
    (bench/gc_pause.py measures it; figures in bench/RESULTS.md). Garbage is collected first, so
    nothing that is already unreachable is kept for ever."""
    gc.collect()
    gc.freeze()


def start_allocation_tracing(*, every_seconds: int, directory: Path) -> None:
    """Trace allocations (`tracemalloc`) and, every `every_seconds`, write the lines whose memory grew
    most since the last report to `directory`/memory-<pid>.txt: what a soak's growing process keeps.
    An operator's switch (MEMORY_TRACE_SECONDS), off by default: tracing costs CPU and memory."""
    tracemalloc.start(TRACE_FRAMES)
    report = directory / f"memory-{os.getpid()}.txt"

    def trace() -> None:
        previous = tracemalloc.take_snapshot().filter_traces(_NOT_TRACEMALLOC)
        started = time.monotonic()
        while True:
            time.sleep(every_seconds)
            snapshot = tracemalloc.take_snapshot().filter_traces(_NOT_TRACEMALLOC)
            # Since the last report, not since the start: what is made once (a lazy import, the URL
            # resolver's tables) shows once, what a process keeps for every request shows every time.
            grown = snapshot.compare_to(previous, "traceback")[:TRACE_TOP]
            previous = snapshot
            lines = [
                f"--- {time.monotonic() - started:.0f} s, traced {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MB"
            ]
            for stat in grown:
                lines.append(f"{stat.size_diff / 2**10:+.0f} KiB in {stat.count_diff:+d} blocks")
                lines.extend(f"    {frame}" for frame in stat.traceback.format()[-TRACE_FRAMES * 2 :])
            with report.open("a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")

    threading.Thread(target=trace, name="memory-trace", daemon=True).start()


TRACE_FRAMES = 6  # frames kept per allocation: enough to see which caller keeps it
TRACE_TOP = 15
# Not what the site keeps: the tracer's own snapshots and source lines, and modules imported late.
_NOT_TRACEMALLOC = (
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, linecache.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
)
