"""The audio recut (issue 66): the null test's residual on real speech, and the recut's speed.

    .venv/bin/python bench/conform_recut.py [--case NAME ...] [--minutes 90] [--channels 8] [--runs 5]
                                            [--skip-speed] [--skip-null] [--keep DIR] [--record]

1. Residual. For pairs of the real-footage corpus (sage/synthetic_media/real_footage/, footage and
   speech from SAGE_BENCH_MEDIA) whose edits are cuts, moves, insertions and replacements: the
   events built from the pair's own cut (what each of B's shots plays of A), v1's sound decoded
   from A's file recut by them, against v2's sound decoded from B's file (`videos.conform.null_test`,
   as a recut job measures it). Printed per event; the goal, on kept and moved material: residual
   ≤ −40 dB (issue 66). The events come from the truth, not from the change list: this measures the
   recut, the change list has its own bench. Each pair twice: as the corpus renders it (AAC sound in
   MP4: the two encodes' coding noise differs wherever an edit shifted the sound against the
   encoder's frames, a floor the recut cannot go under) and with the same cut's sound kept as PCM
   (AVI), where the residual measures the recut alone. One pair has a speed change (1.5×, made
   like a tape, pitch with speed): its residual is printed apart, with no goal.
2. Speed. A made 24-bit WAV of `--channels` × `--minutes` of noise (written once, kept with
   `--keep`), recut by a change list of a tightened cut (a hundred removals and a move) through the
   job's own path (`SoundReader` → `recut_blocks` → `sound_writer`), `--runs` times; printed: each
   run's seconds and the median's multiple of real time (goal ≥ 50× on 2 cores).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

import soundfile

from bench.results import Row, add_record_option, record
from sage.synthetic_media.real_footage import DEFAULT_CACHE, RealCase, real_case_named, render_real_case
from sage.synthetic_media.real_footage.sources import missing_media
from videos.conform.events import ChangeEvent, EventKind
from videos.conform.null_test import EventResidual, decode_sound, null_test
from videos.conform.recut import recut_blocks, recut_plan
from videos.conform.wav import SAMPLE_RATE, SoundReader, sound_check, sound_writer

CASES = ("real_cut_and_insertion", "real_one_stretch_moved", "real_swap_two_5s", "real_replaced_in_place",
         "everyday_tightened_speech", "real_section_1_5x")  # fmt: skip
RESIDUAL_GOAL_DB = -40.0
SPEED_GOAL = 50.0


def case_events(case: RealCase) -> list[ChangeEvent]:
    """B's shots as change events against A (A plays the main reel whole, from its start), on B's
    frame grid."""
    fps = Fraction(case.b.encoding.fps)

    def on_grid(seconds: float) -> Fraction:
        return Fraction(round(seconds * fps)) / fps

    events: list[ChangeEvent] = []
    at, last_end = 0.0, 0.0
    for number, shot in enumerate(case.b.shots, start=1):
        v2_start, v2_end = on_grid(at), on_grid(at + shot.seconds)
        at += shot.seconds
        if shot.reel != case.main:
            events.append(ChangeEvent(number, "inserted", None, None, v2_start, v2_end))
            continue
        # Kept: v1's material in v1's order (after a removal too); moved: out of it.
        kind: EventKind = "speed" if shot.rate != 1 else ("kept" if shot.start >= last_end - 1e-6 else "moved")
        last_end = max(last_end, shot.end)
        events.append(ChangeEvent(number, kind, on_grid(shot.start), on_grid(shot.end), v2_start, v2_end))
    return events


def with_pcm_sound(case: RealCase) -> RealCase:
    """The pair with its sound kept as 16-bit PCM (an AVI: the corpus writes PCM there)."""
    a_encoding = dataclasses.replace(case.a.encoding, suffix=".avi")
    b_encoding = dataclasses.replace(case.b.encoding, suffix=".avi")
    return dataclasses.replace(
        case, a=dataclasses.replace(case.a, encoding=a_encoding), b=dataclasses.replace(case.b, encoding=b_encoding)
    )


def residuals(names: list[str], *, pcm: bool) -> tuple[list[float], list[float]]:
    """Print the null test of each pair; the residuals of its kept and moved events, and of its
    speed changes (varispeed against the corpus's tape-like resampling)."""
    kept: list[float] = []
    sped: list[float] = []
    for name in names:
        case = with_pcm_sound(real_case_named(name)) if pcm else real_case_named(name)
        path_a, path_b = render_real_case(case, DEFAULT_CACHE)
        results = printed_null_test(f"{name} ({'PCM' if pcm else 'AAC'} sound)", path_a, path_b, case_events(case))
        kept += kept_residuals(results)
        sped += [result.residual_db for result in results if result.kind == "speed" and result.residual_db is not None]
    return kept, sped


def printed_null_test(label: str, path_a: Path, path_b: Path, events: Sequence[ChangeEvent]) -> list[EventResidual]:
    """v1's sound (A's file) recut by `events` against v2's (B's file), as a recut job measures it;
    each event's residual printed."""
    plan = recut_plan(list(events))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sage-null-test-") as directory:
        sound_a, sound_b = Path(directory) / "a.wav", Path(directory) / "b.wav"
        info_a, info_b = decode_sound(path_a, sound_a), decode_sound(path_b, sound_b)
        with SoundReader(sound_a, info_a) as v1, SoundReader(sound_b, info_b) as v2:
            results = null_test(plan, v1, v2)
    print(f"{label}: {len(events)} events, null test in {time.perf_counter() - started:.2f} s")
    for result in results:
        shown = "—" if result.residual_db is None else f"{result.residual_db:6.1f} dB"
        print(f"  {result.number:3d} {result.kind:9s} {shown}  {result.note}")
    return results


def kept_residuals(results: Sequence[EventResidual]) -> list[float]:
    """The residuals of kept and moved material: where the recut's goal applies."""
    return [r.residual_db for r in results if r.kind in ("kept", "moved") and r.residual_db is not None]


def made_sound(path: Path, *, minutes: float, channels: int) -> None:
    """Noise at 24 bits, ten seconds repeated (the recut's speed does not depend on what it moves)."""
    frames = round(minutes * 60 * SAMPLE_RATE)
    block = (np.random.default_rng(0).integers(-(2**22), 2**22, (10 * SAMPLE_RATE, channels)) << 8).astype(np.int32)
    with soundfile.SoundFile(str(path), "w", SAMPLE_RATE, channels, "PCM_24", format="RF64") as sound:
        for start in range(0, frames, len(block)):
            sound.write(block[: min(len(block), frames - start)])


def tightened(seconds: Fraction, fps: Fraction = Fraction(25)) -> list[ChangeEvent]:
    """A hundred stretches, each losing its last 10 frames, the 50th moved to the front."""
    total = int(seconds * fps)
    step = total // 100
    stretches = [(k * step, k * step + step - 10) for k in range(100)]
    stretches.insert(0, stretches.pop(50))
    events, at = [], Fraction(0)
    for number, (first, last) in enumerate(stretches, start=1):
        length = Fraction(last - first) / fps
        events.append(ChangeEvent(number, "moved", first / fps, last / fps, at, at + length))
        at += length
    return events


def speed(*, minutes: float, channels: int, runs: int, keep: Path | None) -> list[float]:
    directory = keep or Path(tempfile.mkdtemp(prefix="sage-recut-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    source, output = directory / f"made_{channels}ch_{minutes:g}min.wav", directory / "recut.wav"
    if not source.exists():
        started = time.perf_counter()
        made_sound(source, minutes=minutes, channels=channels)
        print(f"made {source.stat().st_size / 1e9:.2f} GB of sound in {time.perf_counter() - started:.1f} s")
    seconds = Fraction(round(minutes * 60 * SAMPLE_RATE), SAMPLE_RATE)
    info = sound_check(source, longest=seconds)
    plan = recut_plan(tightened(seconds))
    took = []
    try:
        for run in range(runs):
            started = time.perf_counter()
            with (
                SoundReader(source, info) as reader,
                sound_writer(
                    output, channels=channels, sample_format=info.sample_format, time_reference=0, description="bench"
                ) as writer,
            ):
                for block in recut_blocks(plan, reader):
                    writer.write(block)
            took.append(time.perf_counter() - started)
            print(f"  run {run + 1}: {took[-1]:.1f} s, {float(seconds) / took[-1]:.0f}× real time")
    finally:
        output.unlink(missing_ok=True)
        if keep is None:
            source.unlink(missing_ok=True)
            directory.rmdir()
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", help=f"a real-footage pair (default: {', '.join(CASES)})")
    parser.add_argument("--minutes", type=float, default=90.0)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-null", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the made sound in this folder for the next run")
    add_record_option(parser)
    args = parser.parse_args()
    met = True
    rows: list[Row] = []
    if not args.skip_null:
        if missing := missing_media():
            print(f"the real footage is missing ({len(missing)} files): set SAGE_BENCH_MEDIA", file=sys.stderr)
            return 2
        for pcm in (False, True):
            kept, sped = residuals(args.case or list(CASES), pcm=pcm)
            worst = max(kept)
            print(
                f"residual on kept and moved material, {'PCM' if pcm else 'AAC'} sound: median "
                f"{statistics.median(kept):.1f} dB, worst {worst:.1f} dB over {len(kept)} events "
                f"(goal ≤ {RESIDUAL_GOAL_DB:.0f} dB)"
            )
            met &= not pcm or worst <= RESIDUAL_GOAL_DB
            sound = "PCM sound (the recut alone)" if pcm else "AAC sound as the corpus renders it (the codec's floor)"
            rows.append(
                Row(
                    f"null test residual on kept and moved material ≤ {RESIDUAL_GOAL_DB:.0f} dB: {sound}, "
                    f"{len(args.case or CASES)} real-speech pairs",
                    f"median {statistics.median(kept):.1f} dB, worst {worst:.1f} dB ({len(kept)} events)",
                    worst <= RESIDUAL_GOAL_DB if pcm else None,
                )
            )
            if sped:
                print(f"speed changes, {'PCM' if pcm else 'AAC'} sound: {', '.join(f'{db:.1f} dB' for db in sped)}")
                rows.append(
                    Row(
                        f"null test residual on speed changes (varispeed; no goal): {sound}",
                        ", ".join(f"{db:.1f} dB" for db in sped),
                        None,
                    )
                )
    if not args.skip_speed:
        print(f"recut of {args.channels} channels × {args.minutes:g} minutes, 24-bit:")
        took = speed(minutes=args.minutes, channels=args.channels, runs=args.runs, keep=args.keep)
        ratios = [args.minutes * 60 / seconds for seconds in took]
        print(
            f"recut speed: median {statistics.median(ratios):.0f}× real time "
            f"(runs {min(ratios):.0f}–{max(ratios):.0f}×, goal ≥ {SPEED_GOAL:.0f}×)"
        )
        met &= statistics.median(ratios) >= SPEED_GOAL
        rows.append(
            Row(
                f"recut of {args.channels} channels × {args.minutes:g} minutes (24-bit) ≥ {SPEED_GOAL:.0f}× real time",
                f"median {statistics.median(ratios):.0f}× ({min(ratios):.0f}–{max(ratios):.0f}× over "
                f"{len(ratios)} runs; median {statistics.median(took):.0f} s)",
                statistics.median(ratios) >= SPEED_GOAL,
            )
        )
    if args.record:
        record(bench="conform_recut", path=args.record, rows=rows, partial=args.skip_speed or args.skip_null)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
