"""The clip-embedding stage against a full decode, on one picture encoded with three frame structures.

    .venv/bin/python bench/frame_structures.py [--seconds 120] [--rounds 2] [--cache DIR] [--record]

Issue 4 asked for the clip-embedding stage to take ≤ 0.6 of a full decode. Since issue 13 the stage
also makes the comparison fingerprint, which needs the picture on screen ten times a second, and an
H.264 picture cannot be made without every reference frame before it. So the least a pass that shows
those pictures must decode depends on how many frames are references, which is the encoder's choice,
not ours. This bench shows by how much: the picture of bench/pipeline.py's video (its first
`--seconds`, made with the same generator) is encoded three times with x264 "veryfast", CRF 23:

- x264's defaults: B-frames in a pyramid (the middle B-frame of each group is a reference);
- no B-frames (`bframes=0`): every frame is a reference, as many phone cameras, hardware encoders,
  screen recorders and WebRTC streams are;
- B-frames, no pyramid (`b-pyramid=none`): no B-frame is a reference.

The files have no sound (the structures are the picture's; the sound's decode would only add the
same to each). Each is made once into `--cache` (default .sage/bench/) under a name that hashes the
generator's code and the structure. For each, bench/pipeline.py's part 1 is run as it is (a full
decode, the decode the samples need, the stage itself; best of `--rounds`), after the share of frames
that are references is printed. Nothing is judged here beyond what part 1 judges; read the floor
("the decode the samples need / full decode") across the three: the 0.6 goal is under the floor of a
stream with no B-frames before any of the stage's own work.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from fractions import Fraction
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.pipeline import DEFAULT_CACHE, FPS, GOAL_NEEDED_DECODE_RATIO, bench_embedding, cached_video, video_key
from bench.results import Row, add_record_option, record

STRUCTURES = {  # what the run prints: (the row's name in bench/RESULTS.md, x264's parameters)
    "x264 defaults (B-pyramid)": ("x264 defaults", ""),
    "no B-frames (every frame a reference)": ("no B-frames", "bframes=0"),
    "B-frames, no pyramid (no B-frame a reference)": ("B-frames without a pyramid", "b-pyramid=none"),
}


def encoded(source: Path, params: str, cache: Path, seconds: float) -> Path:
    """`source`'s picture encoded again with x264 `params` (made once, cached)."""
    digest = hashlib.sha256(f"{video_key(seconds)}|{params}".encode()).hexdigest()[:16]
    path = cache / f"structure-{seconds:g}s-{digest}.mp4"
    if path.exists():
        return path
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.mp4")
    try:
        with av.open(str(source)) as reading, av.open(str(partial), mode="w") as writing:
            picture = reading.streams.video[0]
            stream = writing.add_stream("libx264", rate=FPS)
            stream.width, stream.height, stream.pix_fmt = picture.width, picture.height, "yuv420p"
            stream.options = {"preset": "veryfast", "crf": "23", **({"x264-params": params} if params else {})}
            for index, frame in enumerate(reading.decode(picture)):
                frame.pts, frame.time_base = index, Fraction(1, FPS)  # numbered again, as the generator does
                writing.mux(stream.encode(frame))
            writing.mux(stream.encode(None))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def reference_share(path: Path) -> tuple[int, int]:
    """(frames, reference frames): the decoder told to skip every frame nothing refers to."""
    with av.open(str(path)) as container:
        frames = sum(1 for packet in container.demux(container.streams.video[0]) if packet.size)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONREF"
        references = sum(1 for _ in container.decode(stream))
    return frames, references


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    add_record_option(parser)
    arguments = parser.parse_args()

    source, _ = cached_video(arguments.cache, arguments.seconds)
    met = True
    rows: list[Row] = []
    for label, (name, params) in STRUCTURES.items():
        path = encoded(source, params, arguments.cache, arguments.seconds)
        frames, references = reference_share(path)
        print(f"\n{label}: {path.name}, {references} of {frames} frames are references ({references / frames:.2f})")
        figures = bench_embedding(path, arguments.seconds, arguments.rounds)
        met = met and figures.met
        goal = (
            f"stage ≤ {GOAL_NEEDED_DECODE_RATIO:g}× the decode the samples need, {name}"
            if not rows
            else f"the same, {name}"
        )
        floor = f"floor {figures.floor:.2f}" + (" of a full decode" if not rows else "")
        rows.append(
            Row(goal, f"{figures.needed_ratio:.2f} ({floor})", figures.needed_ratio <= GOAL_NEEDED_DECODE_RATIO)
        )
    if arguments.record:
        record(bench="frame_structures", rows=rows, path=arguments.record)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
