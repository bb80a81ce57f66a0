"""Memory of long-lived processes: the garbage collector's full passes kept short, and a switch that
says what a process keeps when its memory grows."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import linecache
import os
import re
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
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


def start_allocation_tracing(*, every_seconds: int, directory: Path, allocations: bool) -> None:
    """Every `every_seconds`, write to `directory`/memory-<pid>.txt what this process holds: its
    resident memory, what glibc's malloc holds and has free, its threads, and the kinds of object
    whose number grew most since the last report (the collector's census: a leaked task, future or
    socket shows here); with `allocations`, also the lines whose traced allocations grew most
    (`tracemalloc`: several times slower, and its own records count in the resident memory, so a
    slope is judged without it). An operator's switch (MEMORY_TRACE_SECONDS), off by default."""
    if allocations:
        tracemalloc.start(TRACE_FRAMES)
    report = directory / f"memory-{os.getpid()}.txt"

    def trace() -> None:
        previous = tracemalloc.take_snapshot().filter_traces(_NOT_TRACEMALLOC) if allocations else None
        counted = _objects_by_type()
        started = time.monotonic()
        while True:
            time.sleep(every_seconds)
            lines = [f"--- {time.monotonic() - started:.0f} s, {_process_figures()}"]
            counts = _objects_by_type()
            grown = sorted(((counts[name] - counted.get(name, 0), name) for name in counts), reverse=True)
            counted = counts
            lines.append(
                "objects grown: "
                + ", ".join(f"{name} {change:+d} ({counts[name]})" for change, name in grown[:TRACE_TOP])
            )
            if previous is not None:
                snapshot = tracemalloc.take_snapshot().filter_traces(_NOT_TRACEMALLOC)
                # Since the last report, not since the start: what is made once (a lazy import, the URL
                # resolver's tables) shows once, what a process keeps for every request shows every time.
                stats = snapshot.compare_to(previous, "traceback")[:TRACE_TOP]
                previous = snapshot
                lines.append(f"traced {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MB")
                for stat in stats:
                    lines.append(f"{stat.size_diff / 2**10:+.0f} KiB in {stat.count_diff:+d} blocks")
                    lines.extend(f"    {frame}" for frame in stat.traceback.format()[-TRACE_FRAMES * 2 :])
            with report.open("a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")

    threading.Thread(target=trace, name="memory-trace", daemon=True).start()


def _objects_by_type() -> Counter[str]:
    return Counter(type(thing).__qualname__ for thing in gc.get_objects())


class _MallInfo2(ctypes.Structure):
    # glibc's struct mallinfo2 (malloc.h, glibc >= 2.33): sizes in bytes.
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _resident_by_mapping() -> str:
    """Resident MB in all and by kind of mapping (Linux's smaps): files (code, the model's), malloc's
    heap, thread stacks (8 MiB maps), and other anonymous maps (Python's 1 MiB object arenas, which
    the kernel merges when adjacent, and malloc's large blocks)."""
    kinds: Counter[str] = Counter()
    kind = "other"
    try:
        lines = Path(f"/proc/{os.getpid()}/smaps").read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:  # not Linux
        return "unknown"
    for line in lines:
        mapping = _MAPPING.match(line)
        if mapping is not None:
            size_kib = (int(mapping["end"], 16) - int(mapping["start"], 16)) // 1024
            name = mapping["name"].strip()
            if name.startswith("/"):
                kind = "files"
            elif name == "[heap]":
                kind = "heap"
            elif name:
                kind = "other"
            else:
                kind = "stacks" if size_kib == _THREAD_STACK_KIB else "anonymous"
        elif line.startswith("Rss:"):
            kinds[kind] += int(line.split()[1])
    return (
        f"{sum(kinds.values()) / 1024:.1f} MB ("
        + ", ".join(f"{name} {kib / 1024:.1f}" for name, kib in sorted(kinds.items()))
        + ")"
    )


_MAPPING = re.compile(r"(?P<start>[0-9a-f]+)-(?P<end>[0-9a-f]+) \S+ \S+ \S+ \d+(?P<name>.*)$")
_THREAD_STACK_KIB = 8192


def _python_arenas() -> str:
    """Python's small-object allocator: its 1 MiB arenas, and the bytes of live objects in them. Arenas
    that grow while the bytes do not are arenas kept by a few objects each (fragmentation). CPython
    prints these figures only to the C stderr (`sys._debugmallocstats`): it is pointed at a file for
    the call, so a line another thread writes to stderr in that instant goes there too (and is lost:
    the price of a diagnostic switch)."""
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        try:
            os.dup2(captured.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        stats = captured.read().decode(errors="replace")
    figures = {name: int(value.replace(",", "")) for name, value in _MALLOC_STAT.findall(stats)}
    arenas = figures.get("arenas allocated current", 0)
    used = figures.get("bytes in allocated blocks", 0)
    return f"Python arenas {arenas} ({arenas} MB), objects in them {used / 2**20:.1f} MB"


_MALLOC_STAT = re.compile(r"# (arenas allocated current|bytes in allocated blocks)\s*=\s*([\d,]+)")


def _process_figures() -> str:
    """Resident memory, threads, and (on glibc) malloc's heap: in use, free but kept, and mapped apart."""
    said = f"RSS {_resident_by_mapping()}, {threading.active_count()} threads; {_python_arenas()}"
    name = ctypes.util.find_library("c")
    try:
        mallinfo2 = ctypes.CDLL(name).mallinfo2 if name else None
    except (OSError, AttributeError):  # not glibc, or older than 2.33
        mallinfo2 = None
    if mallinfo2 is not None:
        mallinfo2.restype = _MallInfo2
        info = mallinfo2()
        said += (
            f"; malloc in use {info.uordblks / 2**20:.1f} MB, free in its heap {info.fordblks / 2**20:.1f} MB,"
            f" mapped apart {info.hblkhd / 2**20:.1f} MB"
        )
    return said


TRACE_FRAMES = 6  # frames kept per allocation: enough to see which caller keeps it
TRACE_TOP = 15
# Not what the site keeps: the tracer's own snapshots and source lines, and modules imported late.
_NOT_TRACEMALLOC = (
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, linecache.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
)
