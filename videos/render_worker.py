"""The child side of `videos.render`: makes the browser-playable renditions of ONE untrusted file.

Run as a script (`python -I videos/render_worker.py SOURCE OUTDIR --playback encode|remux|none [--small] ...`),
never imported by the web or worker processes except for its constants. Like the probe
(videos/probe_worker.py, whose checks and restricted opening it reuses) it imports only the
standard library and `av`, and limits itself (memory, CPU, bytes written) before FFmpeg is loaded.

One pass through the file: each decoded picture goes to every rendition's encoder, so the small
one costs little more than its own encode. Frames map one to one: the n-th decoded frame of the
original is the n-th frame of each rendition, shown at n / rate, so a rendition has the original's
frame count and a frame number means the same picture in both. A variable-rate original becomes
constant at its average rate (its frame count over its length): each frame moves by at most the
original's own jitter, and its length stays within a frame. Prints JSON lines on stdout: progress
(`{"progress": 0.42}`) and a last verdict (`{"ok": true, "frames": N, ...}` or a refusal).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

PLAYABLE_NAME = "playable.mp4"
SMALL_NAME = "small.mp4"
AUDIO_RATE = 48_000
# A keyframe at least every 2 s: a seek decodes at most 2 s of frames before it shows the picture.
KEYFRAME_SECONDS = 2
# Browsers and phones decode H.264 up to level 5.1/5.2 (4K at 30-60 fps); larger pictures are scaled down.
MAIN_MAX_HEIGHT = 2160
MAIN_MAX_WIDTH = 4096
# x264's "superfast" keeps CABAC and 8x8 transforms (High profile) at several times the speed of
# "medium"; a constant quality (CRF) suits a review copy better than a fixed bitrate. Its adaptive
# B-frame choice and weighted prediction cost about a fifth of the encode for little on a review
# copy (weights help fades only, a fixed B pattern loses a few percent of bits): both off, as in
# "ultrafast", the rest of "superfast" kept (bench/RESULTS.md).
FAST_X264 = "b-adapt=0:weightp=0"
# The main rendition is on the way to "ready", and a master's decode alone takes half of two cores:
# its quarter-pixel refinement of motion (subme 1) is off too, a fifth of the encode for 0-2 % of
# bits at the same quality on camera footage. "ultrafast"'s other cuts (no intra partitions, no
# adaptive quantisation) lost quality that shows (bench/RESULTS.md).
MAIN_OPTIONS = {"preset": "superfast", "crf": "21", "profile": "high", "x264-params": f"{FAST_X264}:subme=0"}
MAIN_AUDIO_BITRATE = 160_000
# The phone / slow-link copy: 360 lines, capped at ~0.8 Mbit/s so it streams on a weak 3G/4G link.
SMALL_HEIGHT = 360
SMALL_OPTIONS = {
    "preset": "superfast",
    "crf": "26",
    "profile": "high",
    "maxrate": "800k",
    "bufsize": "1600k",
    "x264-params": FAST_X264,
}
# The small copy is scaled from the main one's 8-bit 4:2:0 picture, a third of its size or less:
# area averaging is as cheap as a fast bilinear there and does not alias fine detail.
SMALL_INTERPOLATION = "AREA"
SMALL_AUDIO_BITRATE = 96_000
# FFmpeg's colour ranges (AVColorRange): "MPEG" limited (16-235), "JPEG" full (0-255).
LIMITED_RANGE = 1
FULL_RANGE = 2
# Silence put before sound that starts after the picture goes to the resampler this many samples at a time.
SILENCE_CHUNK_SAMPLES = 4096


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def limit_self(*, memory_bytes: int, cpu_seconds: int, output_bytes: int) -> None:
    """As the probe's limits (videos/probe_worker.limit_self), but the renditions must be written:
    each file may grow to `output_bytes`."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (output_bytes, output_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _pyav() -> Any:
    """PyAV, as in the probe's child (`probe_worker._pyav`): never loaded before `limit_self`."""
    import av  # never before the limits are set

    return av


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def fit(width: int, height: int, *, max_width: int, max_height: int) -> tuple[int, int]:
    """The largest even size within the bounds with the picture's shape (H.264 in 4:2:0 needs even sides)."""
    scale = min(1.0, max_width / width, max_height / height)
    return _even(width * scale), _even(height * scale)


def sound_lead_seconds(video: Any, audio: Any, *, most: float) -> float:
    """How much later the original's sound starts than its picture (negative: earlier), from the
    streams' start times, within `most` either way (the picture's length: a hostile start time costs
    nothing). A camera's or an editor's file often starts its sound a little after its first picture;
    a rendition whose sound began with the picture played that far out of sync."""
    if video.start_time is None or audio.start_time is None or not video.time_base or not audio.time_base:
        return 0.0
    lead = float(audio.start_time * audio.time_base - video.start_time * video.time_base)
    return max(-most, min(most, lead))


def silent_frames(like: Any, seconds: float) -> Iterator[Any]:
    """`seconds` of silence as frames in the format, layout and rate of the decoded frame `like`
    (so that one resampler takes both)."""
    av = _pyav()

    # Unsigned 8-bit samples are silent at their midpoint; every other format at zero.
    fill = b"\x80" if like.format.name.startswith("u8") else b"\x00"
    left = round(seconds * like.sample_rate)
    while left > 0:
        count = min(left, SILENCE_CHUNK_SAMPLES)
        frame = av.AudioFrame(format=like.format.name, layout=like.layout.name, samples=count)
        frame.sample_rate = like.sample_rate
        for plane in frame.planes:
            plane.update(fill * plane.buffer_size)
        left -= count
        yield frame


def source_color_range(frame: Any) -> int:
    """The range `frame`'s samples use: as tagged, else full for FFmpeg's JPEG ("yuvj") formats, which
    are full range by definition, else limited (what untagged video is everywhere)."""
    if frame.color_range in (LIMITED_RANGE, FULL_RANGE):
        return int(frame.color_range)
    return FULL_RANGE if frame.format.name.startswith("yuvj") else LIMITED_RANGE


@dataclass
class Rendition:
    """One output file: an H.264 encoder at its size, an AAC encoder, the MP4 muxer (index first)."""

    container: Any
    video: Any
    audio: Any | None
    width: int
    height: int
    frame_time: Fraction  # one frame's duration: the encoder's time base (add_stream sets 1 / rate)
    # One scaler for the whole file: `frame.reformat` would build a new swscale context (and its
    # threads) for every picture, a third of the conversion's cost.
    scaler: Any
    interpolation: str | None

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        size: tuple[int, int],
        rate: Fraction,
        options: dict[str, str],
        audio_bitrate: int,
        with_audio: bool,
        rotation: int,
        interpolation: str | None = None,
    ) -> Rendition:
        av = _pyav()

        container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        video = container.add_stream("libx264", rate=rate, options=options)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.codec_context.gop_size = max(1, round(rate * KEYFRAME_SECONDS))
        if rotation:
            video.set_display_rotation(rotation)  # shown turned as the original is, not re-encoded turned
        audio = None
        if with_audio:
            audio = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            audio.bit_rate = audio_bitrate
        return cls(
            container=container,
            video=video,
            audio=audio,
            width=size[0],
            height=size[1],
            frame_time=1 / rate,
            scaler=av.video.reformatter.VideoReformatter(),
            interpolation=interpolation,
        )

    def add_picture(self, frame: Any, index: int) -> Any:
        """Encode `frame` as picture `index`; returns the picture encoded (8-bit 4:2:0 at this
        rendition's size), from which a smaller rendition scales more cheaply than from the original."""
        # Into the limited range (16-235) every player assumes of untagged H.264, from the range the
        # source's samples use: a full-range picture (a camera's MJPEG, some phones) passed on as it
        # was played with its shadows crushed to black and its highlights blown to white.
        picture = self.scaler.reformat(
            frame,
            width=self.width,
            height=self.height,
            format="yuv420p",
            interpolation=self.interpolation,
            src_color_range=source_color_range(frame),
            dst_color_range=LIMITED_RANGE,
        )
        picture.pts, picture.time_base = index, self.frame_time
        picture.pict_type = 0  # let x264 place keyframes (a source's I-frame flags are not ours)
        self.container.mux(self.video.encode(picture))
        return picture

    def add_sound(self, frame: Any) -> None:
        if self.audio is not None:
            self.container.mux(self.audio.encode(frame))

    def close(self) -> None:
        self.container.mux(self.video.encode(None))
        if self.audio is not None:
            self.container.mux(self.audio.encode(None))
        self.container.close()


class Remux:
    """The original's own video and sound packets, copied into an MP4 with its index first."""

    def __init__(self, path: Path, video: Any, audio: Any | None) -> None:
        av = _pyav()

        self.container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self.streams = {video.index: self.container.add_stream_from_template(video)}
        if audio is not None:
            self.streams[audio.index] = self.container.add_stream_from_template(audio)

    def add(self, packet: Any) -> None:
        target = self.streams.get(packet.stream.index)
        if target is not None and packet.dts is not None:
            packet.stream = target
            self.container.mux(packet)

    def close(self) -> None:
        self.container.close()


class Deinterlacer:
    """yadif, one frame out for each frame in (its "send_frame" mode), so the count is kept."""

    def __init__(self, stream: Any) -> None:
        av = _pyav()

        self.graph = av.filter.Graph()
        source = self.graph.add_buffer(template=stream)
        yadif = self.graph.add("yadif", "mode=send_frame:parity=auto:deint=all")
        sink = self.graph.add("buffersink")
        source.link_to(yadif)
        yadif.link_to(sink)
        self.graph.configure()

    def frames(self, frame: Any | None) -> list[Any]:
        av = _pyav()

        self.graph.push(frame)
        out = []
        while True:
            try:
                out.append(self.graph.pull())
            except (av.BlockingIOError, av.EOFError):
                return out


def render(
    container: Any,
    out_dir: Path,
    *,
    playback: str,
    small: bool,
    rate: Fraction,
    frames: int,
    rotation: int,
    deinterlace: bool,
) -> dict[str, Any]:
    """`playback`: "encode" (a new main rendition), "remux" (the original's packets, index first) or
    "none"; `small`: the small copy too. A remux alone decodes nothing: it costs what copying costs."""
    av = _pyav()

    video = next(
        stream for stream in container.streams.video if not stream.disposition & av.stream.Disposition.attached_pic
    )
    audio = container.streams.audio[0] if container.streams.audio else None
    # Frame and slice threads, as many as FFmpeg picks for the cores (PyAV's default is slice
    # threads only, which ProRes and most intra codecs cannot use: one core decoded while x264 waited).
    video.thread_type = "AUTO"
    video.codec_context.thread_count = 0
    width, height = video.codec_context.width, video.codec_context.height
    small_size = fit(width, height, max_width=width, max_height=SMALL_HEIGHT)
    renditions: list[Rendition] = []
    remux: Remux | None = None
    outputs: dict[str, str] = {}
    if playback == "encode":
        renditions.append(
            Rendition.open(
                out_dir / PLAYABLE_NAME,
                size=fit(width, height, max_width=MAIN_MAX_WIDTH, max_height=MAIN_MAX_HEIGHT),
                rate=rate,
                options=MAIN_OPTIONS,
                audio_bitrate=MAIN_AUDIO_BITRATE,
                with_audio=audio is not None,
                rotation=rotation,
            )
        )
        outputs["playable"] = PLAYABLE_NAME
    elif playback == "remux":
        remux = Remux(out_dir / PLAYABLE_NAME, video, audio)
        outputs["playable"] = PLAYABLE_NAME
    if small:
        renditions.append(
            Rendition.open(
                out_dir / SMALL_NAME,
                size=small_size,
                rate=rate,
                options=SMALL_OPTIONS,
                audio_bitrate=SMALL_AUDIO_BITRATE,
                with_audio=audio is not None,
                rotation=rotation,
                interpolation=SMALL_INTERPOLATION,
            )
        )
        outputs["small"] = SMALL_NAME
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE, frame_size=1024)
    deinterlacer = Deinterlacer(video) if deinterlace else None
    count = 0
    samples = 0
    shown = -1
    # Sound that starts after the picture gets silence before it; sound that starts before loses
    # its first samples, whole resampled frames to the nearest (within 11 ms at 48 kHz).
    lead = sound_lead_seconds(video, audio, most=float(frames / rate)) if audio is not None and renditions else 0.0
    cut = round(-lead * AUDIO_RATE) if lead < 0 else 0

    def add_picture(picture: Any) -> None:
        nonlocal count
        # Largest first: each rendition scales from the picture the one before it encoded.
        for rendition in renditions:
            picture = rendition.add_picture(picture, count)
        count += 1

    def add_pictures(decoded: list[Any]) -> None:
        for frame in decoded:
            for picture in deinterlacer.frames(frame) if deinterlacer is not None else [frame]:
                add_picture(picture)
        report()

    def report() -> None:
        nonlocal shown
        percent = int(100 * count / max(1, frames))
        if percent != shown and percent <= 100:
            shown = percent
            emit({"progress": percent / 100})

    def add_sound(decoded: list[Any]) -> None:
        nonlocal lead
        for frame in decoded:
            if lead > 0:
                for silence in silent_frames(frame, lead):
                    add_resampled(resampler.resample(silence))
                lead = 0.0
            frame.pts = None  # the resampler counts samples from the first: placed by the lead above
            add_resampled(resampler.resample(frame))

    def add_resampled(resampled_frames: list[Any]) -> None:
        nonlocal samples, cut
        for resampled in resampled_frames:
            if cut > 0:
                dropped = cut * 2 >= resampled.samples  # nearer the original's start without it
                cut = cut - resampled.samples if dropped else 0
                if dropped:
                    continue
            resampled.pts, resampled.time_base = samples, Fraction(1, AUDIO_RATE)
            samples += resampled.samples
            for rendition in renditions:
                rendition.add_sound(resampled)

    streams = [video] if audio is None else [video, audio]
    for packet in container.demux(*streams):
        if not renditions:  # a remux alone: the packets are copied, never decoded
            if packet.stream.index == video.index and packet.size:
                count += 1
                report()
            assert remux is not None
            remux.add(packet)
            continue
        try:
            decoded = packet.decode()
        except av.InvalidDataError:
            decoded = []  # a damaged packet: the decoder picks up at the next one it can read
        if packet.stream.index == video.index:
            add_pictures(decoded)
        else:
            add_sound(decoded)
        if remux is not None:
            remux.add(packet)
    if deinterlacer is not None:
        for rendition_frame in deinterlacer.frames(None):
            add_picture(rendition_frame)
    if audio is not None and renditions:
        add_resampled(resampler.resample(None))
    for rendition in renditions:
        rendition.close()
    if remux is not None:
        remux.close()
    return {"frames": count, "outputs": outputs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source")
    parser.add_argument("out_dir")
    parser.add_argument("--playback", choices=("encode", "remux", "none"), required=True)
    parser.add_argument("--small", action="store_true", help="make the small copy too")
    parser.add_argument("--rate", required=True, help="frames per second as a rational, 30000/1001")
    parser.add_argument("--frames", type=int, required=True, help="the probe's frame count, for progress")
    parser.add_argument("--rotation", type=int, default=0)
    parser.add_argument("--deinterlace", action="store_true")
    parser.add_argument("--memory-bytes", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--output-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    limit_self(memory_bytes=args.memory_bytes, cpu_seconds=args.cpu_seconds, output_bytes=args.output_bytes)
    # `-I` leaves the script's own directory off sys.path: the probe's checks are imported from beside it.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import probe_worker  # type: ignore[import-not-found]  # beside this script, not a package path

    started = time.monotonic()
    try:
        verdict = {"ok": True, **_render_file(args, probe_worker)}
        verdict["seconds"] = round(time.monotonic() - started, 3)
    except probe_worker.Refusal as refusal:
        verdict = {"ok": False, "code": refusal.code, "message": refusal.message}
    except MemoryError:
        verdict = {"ok": False, "code": "out_of_memory", "message": probe_worker.MESSAGES["out_of_memory"]}
    emit(verdict)
    return 0


def _render_file(args: argparse.Namespace, probe_worker: Any) -> dict[str, Any]:
    av = _pyav()

    av.logging.set_level(av.logging.ERROR)
    fd = os.open(args.source, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as upload:
        head = upload.read(probe_worker.HEAD_BYTES)
        probe_worker.sniff(head)
        with probe_worker.open_untrusted(upload, args.source, head=head) as container:
            try:
                return render(
                    container,
                    Path(args.out_dir),
                    playback=args.playback,
                    small=args.small,
                    rate=Fraction(args.rate),
                    frames=args.frames,
                    rotation=args.rotation,
                    deinterlace=args.deinterlace,
                )
            except (av.FFmpegError, ValueError, StopIteration) as error:
                sys.stderr.write(f"{type(error).__name__}: {error}\n")
                raise probe_worker.Refusal("undecodable") from None


if __name__ == "__main__":
    sys.exit(main())
