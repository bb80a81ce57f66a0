"""Accuracy of the comparison engine on the edit corpus (sage/synthetic_media/corpus.py), against the clip-grid
engine it replaces, scored in the same run.

    .venv/bin/python bench/accuracy.py [--real] [--case NAME ...] [--held-out-only | --tuning-only]
                                       [--json PATH] [--cache DIR] [--jobs N] [--no-baseline] [--record]

Renders the corpus (or reuses the files already in `--cache`, default .sage/corpus/: names hash
each version and the generator's code), then for every case:

- the refined engine: `videos.compare.files.compare_files(a, b, alignment="cuts")` — the real
  `local` backend's decode pass (clips and fingerprints), alignment, screening and verification on
  the files;
- the baseline, the engine before issue 13: `videos.compare.compare` on the clip vectors of
  `LocalClipEmbedder().embed_clips`, `alignment="cuts"`, default threshold; its offset is that of
  the first aligned pair of clips.

Both are scored by the rules in sage/synthetic_media/scoring.py: a truth span is found when one predicted
segment of a compatible kind covers ≥ 50 % of it (on A's axis, B's for only_b); a predicted segment
is false when less than half of it lies in truth spans of a compatible kind; kind accuracy, boundary
error (|start| and |end| of found spans, median and p90), offset error, re-encodes with no segment,
severity floors met. Before anything runs, every case's truth is scored as a prediction and must
come out perfect (the scoring's self-check).

Prints a per-case table for each engine (segments of the cases with a miss or a false one under
it), then totals over all selected cases, the tuning cases and the held-out cases, and per category.
Goals (issue 13), on the refined engine over the selected cases: recall ≥ 0.95, precision ≥ 0.95,
median boundary error ≤ 0.25 s, offset error ≤ 0.1 s (on ≥ 95 % of cases), re-encodes give no
segment, and severity floors met (a strong grade or a new soundtrack is never "low"). Exits with 1
when one is not met. `--json PATH` writes every case's truth, predictions and scores.

`--real` scores the pairs on real camera footage and real recorded speech instead
(sage/synthetic_media/real_footage/: 56 pairs, 29 held out; cache .sage/corpus-real/, the footage
fetched from public repositories into .sage/bench/ and checked by SHA-256), with the refined engine
reading the screens too (`screen_text=True`). Issue 37's goals are
added to the same ones: A/V lag within 20 ms at both ends, speed ratio within 0.5 %, moves reported
as moves (both ranges, median end error ≤ 0.25 s), a changed on-screen text named on both sides
(scored as scoring.py says). `--record` writes them as "real footage: …" rows beside the others.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

import bench.offline_django  # noqa: F401  # Django's apps loaded before videos.* is imported
from bench.results import Row, add_record_option, record
from sage.synthetic_media.corpus import CASES, CATEGORIES, DEFAULT_CACHE, Case, render_version_cached, version_path
from sage.synthetic_media.real_footage import (
    DEFAULT_CACHE as REAL_CACHE,
)
from sage.synthetic_media.real_footage import (
    REAL_CASES,
    REAL_CATEGORIES,
    RealCase,
    check_real_case,
    cut_path,
    render_real_case,
)
from sage.synthetic_media.real_footage.sources import missing_media
from sage.synthetic_media.scoring import (
    CaseScore,
    Predicted,
    Prediction,
    Totals,
    TruthFinding,
    goals,
    prediction_from,
    prediction_from_truth,
    score_case,
    totals,
)
from videos.compare.files import compare_files
from videos.embeddings.local import LocalClipEmbedder
from videos.engine.clip_grid import compare, series_from_rows

Predictor = Callable[[Path, Path], Prediction]
AnyCase = Case | RealCase


# --- the two engines ---------------------------------------------------------------------------------


def refined(path_a: Path, path_b: Path) -> Prediction:
    return prediction_from(compare_files(path_a, path_b, alignment="cuts"))


def refined_reading_screens(path_a: Path, path_b: Path) -> Prediction:
    """The refined engine with both screens read (issue 37's text findings)."""
    return prediction_from(compare_files(path_a, path_b, alignment="cuts", screen_text=True))


class Baseline:
    """The clip-grid engine: clip vectors of each file (kept for files shared by several cases)."""

    def __init__(self) -> None:
        self.embedder = LocalClipEmbedder()
        self.series: dict[Path, Any] = {}

    def _series(self, path: Path) -> Any:
        if path not in self.series:
            self.series[path] = series_from_rows(self.embedder.embed_clips(path))
        return self.series[path]

    def __call__(self, path_a: Path, path_b: Path) -> Prediction:
        a, b = self._series(path_a), self._series(path_b)
        result = compare(a, b, alignment="cuts")
        both = np.flatnonzero((result.a_indexes >= 0) & (result.b_indexes >= 0))
        offset = None
        if len(both):
            first = both[0]
            offset = float(b.starts[result.b_indexes[first]] - a.starts[result.a_indexes[first]])
        scored = prediction_from(result)
        return Prediction(offset=offset, segments=scored.segments)


# --- running ---------------------------------------------------------------------------------------------


def self_check(cases: Sequence[AnyCase]) -> None:
    for case in cases:
        score = score_case(case.truth, prediction_from_truth(case.truth), name=case.name)
        perfect = (
            score.missed == 0
            and not score.false_positives
            and score.kind_ok == len(score.spans)
            and all(error < 1e-6 for error in score.boundary_errors)
            and (score.offset_error or 0.0) < 1e-6
            and all(score.severity_checks)
            and all(span.detail_ok is not False for span in score.spans)
        )
        if not perfect:
            raise SystemExit(f"scoring self-check failed on {case.name}: the truth does not score perfectly")
        if isinstance(case, RealCase) and (problems := check_real_case(case)):
            raise SystemExit(f"{case.name} is ill-defined: {'; '.join(problems)}")


def case_paths(case: AnyCase, cache: Path) -> tuple[Path, Path]:
    if isinstance(case, RealCase):
        return cut_path(case, case.a, cache), cut_path(case, case.b, cache)
    return version_path(case, case.a, cache), version_path(case, case.b, cache)


def render_real(cases: Sequence[RealCase], cache: Path, jobs: int) -> tuple[int, float]:
    """Render the real-footage pairs not in the cache yet; how many pairs that was, and how long it took."""
    todo = [case for case in cases if not all(path.exists() for path in case_paths(case, cache))]
    started = time.perf_counter()
    if jobs > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for future in [pool.submit(render_real_case, case, cache) for case in todo]:
                future.result()
    else:
        for case in todo:
            render_real_case(case, cache)
    return len(todo), time.perf_counter() - started


def render(cases: Sequence[Case], cache: Path, jobs: int) -> tuple[int, float]:
    """Render what is not in the cache yet; how many files that was, and how long it took."""
    todo: dict[Path, tuple[Case, Any]] = {}
    for case in cases:
        for version in (case.a, case.b):
            path = version_path(case, version, cache)
            if not path.exists():
                todo.setdefault(path, (case, version))
    started = time.perf_counter()
    if jobs > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for future in [pool.submit(render_version_cached, case, version, cache) for case, version in todo.values()]:
                future.result()
    else:
        for case, version in todo.values():
            render_version_cached(case, version, cache)
    return len(todo), time.perf_counter() - started


def run(cases: Sequence[AnyCase], cache: Path, predictor: Predictor) -> list[CaseScore]:
    scores = []
    for case in cases:
        path_a, path_b = case_paths(case, cache)
        started = time.perf_counter()
        prediction = predictor(path_a, path_b)
        seconds = time.perf_counter() - started
        scores.append(
            score_case(
                case.truth, prediction, name=case.name, category=case.category, held_out=case.held_out, seconds=seconds
            )
        )
    return scores


# --- printing ----------------------------------------------------------------------------------------------


def _segment_text(segment: Predicted | Any) -> str:
    def time_range(start: float | None, end: float | None) -> str:
        if start is None or end is None:
            return "—"
        return f"{start:.2f}" if abs(end - start) < 1e-6 else f"{start:.2f}–{end:.2f}"

    severity = getattr(segment, "severity", None) or getattr(segment, "floor", None)
    text = (
        f"{segment.kind} A {time_range(segment.a_start, segment.a_end)} B {time_range(segment.b_start, segment.b_end)}"
    )
    said = [
        f"lag {lag:+.3f} s" if (lag := getattr(segment, "lag", None)) is not None else "",
        f"drift {drift:+.0f} ms/min" if (drift := getattr(segment, "drift", None)) is not None else "",
        f"ratio {ratio:.4f}" if (ratio := getattr(segment, "ratio", None)) is not None else "",
        f"{getattr(segment, 'text_a', None)!r} → {getattr(segment, 'text_b', None)!r}"
        if segment.kind == "text"
        else "",
    ]
    return " ".join([text, *filter(None, said)]) + (f" {severity}" if severity else "")


def print_cases(title: str, scores: Sequence[CaseScore]) -> None:
    print(f"\n{title}")
    header = (
        f"{'case':32} {'category':13} {'H':1} {'truth/pred':>10} {'found':>5} {'miss':>4} {'false':>5} "
        f"{'kind ok':>7} {'bound. max':>10} {'offset err':>10} {'severity':>8} {'seconds':>7}"
    )
    print(header)
    print("-" * len(header))
    for score in scores:
        boundary = max(score.boundary_errors, default=None)
        offset = score.offset_error
        severity_checks = score.severity_checks
        print(
            f"{score.name:32} {score.category:13} {'H' if score.held_out else ' '} "
            f"{len(score.spans):>4}/{len(score.prediction.segments):<5} {score.found:>5} {score.missed:>4} "
            f"{len(score.false_positives):>5} {score.kind_ok:>4}/{score.found:<2} "
            f"{'—' if boundary is None else f'{boundary:.2f} s':>10} "
            f"{'—' if offset is None else f'{offset:.3f} s':>10} "
            f"{f'{sum(severity_checks)}/{len(severity_checks)}' if severity_checks else '—':>8} "
            f"{score.seconds:>7.2f}"
            + (f"  said right {sum(details)}/{len(details)}" if (details := _details(score)) else "")
        )
        if score.missed or score.false_positives or (offset is not None and offset > 0.1) or not all(details):
            print(f"    truth     offset {score.truth.offset}: " + "; ".join(map(_segment_text, score.truth.segments)))
            predicted = score.prediction
            print(f"    predicted offset {predicted.offset}: " + "; ".join(map(_segment_text, predicted.segments)))


def print_speed_errors(scores: Sequence[CaseScore]) -> None:
    """Each speed truth's ratio error and its ends' largest error as found (issue 51 asks for the
    ratio within 0.2 % and the span within 0.5 s; the goal scored above is 0.5 %)."""
    rows = []
    for score in scores:
        for span in score.spans:
            truth, best = span.truth, span.best
            if not isinstance(truth, TruthFinding) or truth.kind != "speed" or truth.ratio is None:
                continue
            if best is None or best.kind != "speed" or best.ratio is None:
                rows.append(f"  {score.name:34} {'H' if score.held_out else ' '} not found as a speed")
                continue
            ratio_error = abs(best.ratio / truth.ratio - 1)
            ends = max(span.boundary_errors or (), default=math.inf)
            met = ratio_error <= 0.002 and ends <= 0.5
            rows.append(
                f"  {score.name:34} {'H' if score.held_out else ' '} ratio {best.ratio:.4f} (true {truth.ratio:.4f}, "
                f"{ratio_error:.2%} off), ends {ends:.2f} s off {'ok' if met else 'NOT within 0.2 % / 0.5 s'}"
            )
    if rows:
        print("\nspeed findings (ratio within 0.2 %, ends within 0.5 s):")
        print("\n".join(rows))


def _details(score: CaseScore) -> list[bool]:
    """Whether each of engine 3's truth findings was found saying the right thing (lag, ratio, texts…)."""
    return [ok for span in score.spans if (ok := span.detail_ok) is not None]


def _totals_line(label: str, total: Totals) -> str:
    return (
        f"{label:22} {total.cases:>5} {total.truth_spans:>5} {total.recall:>7.3f} {total.precision:>9.3f} "
        f"{total.kind_accuracy:>6.3f} {total.boundary(50):>8.3f} {total.boundary(90):>8.3f} "
        f"{total.offset(50):>8.3f} {total.offset(90):>8.3f} {total.offsets_within_goal:>7.0%} "
        f"{total.reencodes_clean:>3}/{total.reencodes:<3} {total.severity_ok:>3}/{total.severity_checks:<3}"
    )


def print_totals(title: str, scores: Sequence[CaseScore], categories: Sequence[str] = CATEGORIES) -> None:
    print(f"\n{title}")
    header = (
        f"{'':22} {'cases':>5} {'spans':>5} {'recall':>7} {'precision':>9} {'kind':>6} "
        f"{'bnd p50':>8} {'bnd p90':>8} {'off p50':>8} {'off p90':>8} {'off≤0.1':>7} {'re-enc':>7} {'severity':>7}"
    )
    print(header)
    print("-" * len(header))
    groups: list[tuple[str, list[CaseScore]]] = [
        ("all", list(scores)),
        ("tuning", [s for s in scores if not s.held_out]),
        ("held out", [s for s in scores if s.held_out]),
    ]
    groups += [(f"  {category}", [s for s in scores if s.category == category]) for category in categories]
    for label, group in groups:
        if group:
            print(_totals_line(label, totals(group)))


def as_json(score: CaseScore) -> dict[str, Any]:
    return {
        "seconds": round(score.seconds, 3),
        "offset": score.prediction.offset,
        "offset_error": score.offset_error,
        "matched_spans": [list(span) for span in score.prediction.matched_spans],
        "segments": [asdict(segment) for segment in score.prediction.segments],
        "spans": [
            {
                "truth": asdict(span.truth),
                "found": span.found,
                "coverage": round(span.coverage, 3),
                "best": None if span.best is None else asdict(span.best),
                "kind_ok": span.kind_ok,
                "boundary_errors": span.boundary_errors,
                "severity_ok": span.severity_ok,
            }
            for span in score.spans
        ],
        "false_positives": [asdict(segment) for segment in score.false_positives],
    }


# --- main ----------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", action="store_true", help="the pairs on real footage (synthetic_media/real_footage/)")
    parser.add_argument("--case", action="append", default=[], help="only this case (repeatable)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--held-out-only", action="store_true")
    group.add_argument("--tuning-only", action="store_true")
    parser.add_argument("--json", type=Path, help="write the per-case results here")
    parser.add_argument("--cache", type=Path, help=f"rendered corpus files (kept; {DEFAULT_CACHE}, or {REAL_CACHE})")
    parser.add_argument("--jobs", type=int, default=1, help="processes rendering the corpus")
    parser.add_argument("--no-baseline", action="store_true", help="skip the clip-grid engine")
    add_record_option(parser)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows in a log file too

    cases: list[AnyCase] = list(REAL_CASES if args.real else CASES)
    categories: Sequence[str] = REAL_CATEGORIES if args.real else CATEGORIES
    cache: Path = args.cache or (REAL_CACHE if args.real else DEFAULT_CACHE)
    predictor: Predictor = refined_reading_screens if args.real else refined
    if args.case:
        unknown = set(args.case) - {case.name for case in cases}
        if unknown:
            parser.error(f"no such case: {', '.join(sorted(unknown))}")
        cases = [case for case in cases if case.name in args.case]
    if args.held_out_only:
        cases = [case for case in cases if case.held_out]
    if args.tuning_only:
        cases = [case for case in cases if not case.held_out]

    self_check(cases)
    held_out = sum(case.held_out for case in cases)
    print(f"{len(cases)} cases ({held_out} held out); scoring self-check: the truth scores 1.0")
    if args.real:
        if problems := missing_media():
            print("the real footage or speech cannot be had here:\n  " + "\n  ".join(problems))
            return 1
        real_cases = [case for case in cases if isinstance(case, RealCase)]
        rendered, render_seconds = render_real(real_cases, cache, args.jobs)
        print(f"pairs in {cache}: {rendered} pairs rendered in {render_seconds:.1f} s, the rest reused")
    else:
        synthetic = [case for case in cases if isinstance(case, Case)]
        rendered, render_seconds = render(synthetic, cache, args.jobs)
        print(f"corpus in {cache}: {rendered} files rendered in {render_seconds:.1f} s, the rest reused")

    engine_scores = run(cases, cache, predictor)
    reading = " + screens read" if args.real else ""
    print_cases(f"refined engine (compare_files, cuts{reading})", engine_scores)
    print_speed_errors(engine_scores)
    baseline_scores: list[CaseScore] = []
    if not args.no_baseline:
        baseline_scores = run(cases, cache, Baseline())
        print_cases("baseline: clip-grid engine (compare on clip vectors, cuts, default threshold)", baseline_scores)
        print_totals("baseline totals", baseline_scores, categories)
    print_totals("refined engine totals", engine_scores, categories)

    print("\ngoals (refined engine, selected cases):")
    results = goals(totals(engine_scores))
    if baseline_scores:
        baseline_results = {goal: measured for goal, measured, _ in goals(totals(baseline_scores))}
    for goal, measured, met in results:
        before = f"   (baseline {baseline_results[goal]})" if baseline_scores else ""
        print(f"  {'ok  ' if met else 'FAIL'} {goal}: {measured}{before}")

    if args.json:
        by_name = {score.name: score for score in baseline_scores}
        payload = {
            "cases": [
                {
                    "name": case.name,
                    "category": case.category,
                    "held_out": case.held_out,
                    "files": [str(path) for path in case_paths(case, cache)],
                    "truth": {
                        "offset": case.truth.offset,
                        "matched_spans": [list(span) for span in case.truth.matched_spans],
                        "segments": [asdict(segment) for segment in case.truth.segments],
                    },
                    "engine": as_json(score),
                    "baseline": as_json(by_name[case.name]) if case.name in by_name else None,
                }
                for case, score in zip(cases, engine_scores, strict=True)
            ],
            "goals": [{"goal": goal, "measured": measured, "met": met} for goal, measured, met in results],
        }
        args.json.write_text(json.dumps(payload, indent=1, default=_json_default))
        print(f"\nper-case results: {args.json}")
    if args.record:
        rows = result_rows(results, pairs=len(cases))
        if args.real:  # beside the synthetic corpus's rows, not instead of them
            rows = [Row(f"real footage: {row.goal}", row.figure, row.met) for row in rows]
        # Each set rewrites its own rows only: the synthetic corpus's and the real footage's (their
        # goals are named apart) stay side by side.
        record(bench="accuracy", path=args.record, rows=rows, partial=True)
    return 0 if all(met for _, _, met in results) else 1


def result_rows(results: list[tuple[str, str, bool]], *, pairs: int) -> list[Row]:
    """The goals two to a row, as bench/RESULTS.md groups them: found (recall, precision), placed
    (boundaries, offsets), and nothing made up (re-encodes, severity floors)."""
    rows = []
    for number in range(0, len(results), 2):
        paired = results[number : number + 2]
        goal = "; ".join(goal for goal, _, _ in paired) + (f" ({pairs} pairs)" if number == 0 else "")
        figure = "; ".join(measured for _, measured, _ in paired)
        rows.append(Row(goal, figure, all(met for _, _, met in paired)))
    return rows


def _json_default(value: object) -> object:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    raise TypeError(type(value))


if __name__ == "__main__":
    sys.exit(main())
