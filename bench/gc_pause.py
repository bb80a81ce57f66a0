"""How long the garbage collector stops a web process for a full pass, before and after freezing.

    .venv/bin/python bench/gc_pause.py [--rounds 5] [--record]

Loads what the web process holds for life, as daphne does: Django and every app through
`sage.asgi` (which freezes what it loaded), then embeds a question as the first chat question does
(the text model loads in the web process's embedding child, which freezes it there). Baseline, in
the same run: the same full pass with everything thawed (`gc.unfreeze()`), as it was before the app
froze anything. Each figure is the best of `--rounds` full collections (`gc.collect()`: what the
collector does by itself whenever enough objects have survived younger passes), with the objects
each walks.

A full pass stops every thread that needs the interpreter, so in the web process it is a pause of
the event loop: every socket, page and answer waits it out (bench/chat.py's tail latency). The
frozen figure is the floor, right after loading: a serving process's passes also walk whatever it
has made and kept since (sessions, connections, caches).
Goal: a full pass ≤ 10 ms once frozen.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.results import Row, add_record_option, record  # found through the path above

GOAL_FROZEN_MS = 10.0


def full_pass_ms(rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        gc.collect()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    add_record_option(parser)
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Nothing here connects to them: settings only need the addresses.
    os.environ.setdefault("DATABASE_URL", "postgres://bench@localhost/bench")
    os.environ.setdefault("REDIS_URL", "redis://localhost:1/0")
    import sage.asgi  # noqa: F401 - the web process's application, as daphne imports it
    from videos.text_embedding.model import embed_query

    embed_query("How hot should the oven be?")

    frozen_ms = full_pass_ms(arguments.rounds)
    walked_frozen = len(gc.get_objects())  # the permanent generation is not listed
    gc.unfreeze()
    thawed_ms = full_pass_ms(arguments.rounds)
    walked_thawed = len(gc.get_objects())

    print("a full garbage-collection pass in a web process with the app loaded and a question embedded")
    print(f"baseline (nothing frozen)   {thawed_ms:8.1f} ms   walks {walked_thawed:,} objects")
    print(f"frozen after loading        {frozen_ms:8.2f} ms   walks {walked_frozen:,} objects")
    print(f"frozen / baseline: {frozen_ms / thawed_ms:.4f}")
    met = frozen_ms <= GOAL_FROZEN_MS
    print(f"goal a full pass ≤ {GOAL_FROZEN_MS:.0f} ms once frozen: {'met' if met else 'NOT met'}")
    if arguments.record:
        record(
            bench="gc_pause",
            path=arguments.record,
            rows=[
                Row(
                    f"a full collection ≤ {GOAL_FROZEN_MS:.0f} ms once frozen",
                    f"{frozen_ms:.2f} ms (thawed, the baseline: {thawed_ms:.0f} ms)",
                    met,
                )
            ],
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
