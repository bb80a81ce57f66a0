"""Keeping the garbage collector's full passes short in long-lived processes."""

from __future__ import annotations

import gc


def freeze_long_lived_objects() -> None:
    """Move every object alive now into the collector's permanent generation, which it never scans.

    For what a process keeps for life: Django's apps and URL maps, torch and the MiniLM model (about
    600,000 objects in a web process). A full collection walks them all: measured in the web process
    under bench/chat.py, 150–400 ms with the event loop stopped, several times a run, which every
    answer in flight waited out. Frozen, a full pass walks only what was made since. Garbage is
    collected first, so nothing that is already unreachable is kept for ever."""
    gc.collect()
    gc.freeze()
