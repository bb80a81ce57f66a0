"""Keeping the garbage collector's full passes short in long-lived processes."""

from __future__ import annotations

import gc


def freeze_long_lived_objects() -> None:
    """Move every object alive now into the collector's permanent generation, which it never scans.

    For what a process keeps for life: Django's apps and URL maps (about 226,000 objects in a web
    process), torch and the MiniLM model where they are loaded (600,000 with them). A full collection
    walks them all: 117 ms and 300 ms (bench/gc_pause.py); with the model in the web process,
    bench/chat.py saw 150–400 ms passes with the event loop stopped, several times a run, which every
    answer in flight waited out. Frozen, a full pass walks only what was made since. Garbage is
    collected first, so nothing that is already unreachable is kept for ever."""
    gc.collect()
    gc.freeze()
