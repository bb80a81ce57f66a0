"""Keeping the garbage collector's full passes short in long-lived processes."""

from __future__ import annotations

import gc


def freeze_long_lived_objects() -> None:
    """Move every object alive now into the collector's permanent generation, which it never scans.

    For what a process keeps for life: Django's apps and URL maps, and the text model
    where it is loaded. A full collection walks them all with the event loop stopped, long enough
    for every answer in flight to wait it out; frozen, a full pass walks only what was made since
    (bench/gc_pause.py measures it; figures in bench/RESULTS.md). Garbage is collected first, so
    nothing that is already unreachable is kept for ever."""
    gc.collect()
    gc.freeze()
