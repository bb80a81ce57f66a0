"""A tightened cut against an untouched pair, in the same run (issue 64): the engine's time on the
corpus' tightened cut (ten removals of 0.4–1.2 s over 55.6 s of real footage and speech,
`everyday_tightened_speech`) and on the same programme against itself, each with its findings.

    .venv/bin/python bench/cuts.py [--rounds 5] [--case everyday_tightened_speech]

Both files are fingerprinted once (the `local` backend's decode pass, not timed); then, alternated
round by round so a burst of load from another process hurts both alike, the engine runs end to end
on the fingerprints and the files (`videos.engine.pipeline.run` with `sources`: alignment,
screening, the frame-exact edges and verifying on the decoded frames). Prints the median and the
spread of each, their ratio, and each pass's share of the tightened cut's median round. Needs the
public media (SAGE_BENCH_MEDIA); renders into the real corpus' cache as bench/accuracy.py does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

import bench.offline_django  # noqa: F401  # Django's apps loaded before videos.* is imported
from sage.synthetic_media.real_footage import real_case_named, render_real_case
from sage.synthetic_media.real_footage.sources import missing_media
from videos.compare.files import fingerprint_file
from videos.engine.pipeline import run
from videos.engine.result import EngineResult


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--case", default="everyday_tightened_speech")
    arguments = parser.parse_args()
    if problems := missing_media():
        print("the real footage is not in the public media folder:", problems[0])
        return 2
    case = real_case_named(arguments.case)
    path_a, path_b = render_real_case(case)
    fingerprint_a, fingerprint_b = fingerprint_file(path_a), fingerprint_file(path_b)
    pairs = {
        "tightened": (fingerprint_a, fingerprint_b, (path_a, path_b)),
        "untouched": (fingerprint_a, fingerprint_a, (path_a, path_a)),
    }
    seconds: dict[str, list[float]] = {name: [] for name in pairs}
    results: dict[str, list[EngineResult]] = {name: [] for name in pairs}
    run(fingerprint_a, fingerprint_a)  # compiled code and caches warmed before timing
    for _ in range(arguments.rounds):
        for name, (first, second, sources) in pairs.items():
            started = time.perf_counter()
            results[name].append(run(first, second, sources=sources))
            seconds[name].append(time.perf_counter() - started)
    for name in pairs:
        times = seconds[name]
        result = results[name][0]
        kinds = [segment.kind for segment in result.segments]
        print(
            f"{name:10} median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}, "
            f"{len(times)} rounds): {len(kinds)} findings {sorted(set(kinds))}"
        )
    ratio = statistics.median(seconds["tightened"]) / statistics.median(seconds["untouched"])
    print(f"tightened / untouched: {ratio:.2f}×")
    middle = sorted(range(len(seconds["tightened"])), key=lambda number: seconds["tightened"][number])
    shares = results["tightened"][middle[len(middle) // 2]].pass_seconds
    total = sum(shares.values())
    print("tightened, each pass's share of its median round:")
    for name, spent in shares.items():
        print(f"  {name:28} {spent * 1000:8.1f} ms {100 * spent / total:5.1f} %")
    truth = len(case.truth.segments)
    found = sum(kind == "only_a" for kind in (segment.kind for segment in results["tightened"][0].segments))
    print(f"tightened: {found} only_a of {truth} removals; untouched: {len(results['untouched'][0].segments)} findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
