"""The `local` clip-embedding backend: no model weights, one straight pass through the file.

Per clip (2 s by default) it samples SAMPLES_PER_CLIP frames at fixed times — the first frame
shown at or after (j + ½)·clip/4 seconds from the start of the file, whatever the frame rate or GOP
structure, so two encodings of the same video look at the same moments — and feeds every audio
sample to a log-mel accumulator (videos.embeddings.audio). The sound is decoded from a second handle
on the file in a thread of its own, beside the video.

Speed:
- the video decoder discards non-reference frames (`skip_frame = NONREF`) except the packet that
  will be shown at a sampling time, which it decodes fully. Nothing is lost by that: no other frame
  needs a non-reference frame, and the frames we look at are decoded as a full decode would;
- it also skips the in-loop deblocking filter (`skip_loop_filter`), about a fifth of H.264's
  decoding time. That one is not free: reference frames then differ slightly from the encoder's,
  and the difference drifts until the next keyframe. At the 32×32 scale the features see it moves a
  clip's visual vector far less than changed content does (bench/RESULTS.md has the figures) —
  `skip_loop_filter=False` turns it off;
- each sampled frame is scaled straight to a 32×32 RGB thumbnail rather than converted at full size;
- the decoder uses slice threads only (a frame-threaded decoder left early can hang for ever in
  avcodec_free_context), and the decoded frames are measured in a thread of their own while the
  next packets decode: decoding and scaling release the GIL, so the two share the cores;
- what holds the GIL there is kept short: the fingerprint's picture samples are measured
  _MEASURED_TOGETHER at a time and the clips' visual vectors _EMBEDDED_TOGETHER at a time (a few
  dozen NumPy calls per batch rather than per sample or clip), and the scaler runs on one thread
  (videos.embeddings.visual.SCALER_THREADS);
- the picture thread runs at a lower priority than the decoder, so that it fills the gaps the
  decoder's slice threads leave instead of stalling them (see _PictureThread).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import av
import av.container
import av.stream
import numpy as np
from av.audio.stream import AudioStream
from av.video.codeccontext import VideoCodecContext
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream

from sage.priority import lower_this_threads_priority
from sage.retrying import RetryListener
from videos.embeddings.audio import SoundTrack
from videos.embeddings.base import (
    CLIP_SECONDS,
    ClipEmbedding,
    EmbeddingError,
    ProgressCallback,
    clip_spans,
)
from videos.embeddings.fingerprint import (
    SAMPLE_SIZE,
    Fingerprint,
    PictureSampler,
    SoundSampler,
    visual_features,
)
from videos.embeddings.visual import SCALER_THREADS, Thumbnail, thumbnail, visual_vector, visual_vectors

logger = logging.getLogger(__name__)

SAMPLES_PER_CLIP = 4
_FALLBACK_FPS = 30.0
# Timestamps are rationals turned into floats: a frame exactly at a sampling time may land a hair
# either side of it. Both the decode decision and the pick use the same tolerance.
_TIME_TOLERANCE = 1e-4
_PROGRESS_STEP = 0.01
_QUEUED_PACKETS = 8
# Picture samples measured together: 3.2 s of video at the fingerprint's ten a second.
_MEASURED_TOGETHER = 32
# Clips whose visual vectors are worked out together (videos.embeddings.visual.visual_vectors).
_EMBEDDED_TOGETHER = 16
# How much lower the picture thread's priority is than the decoder's (nice steps, see _PictureThread).
_PICTURE_THREAD_NICENESS = 10


class FrameTap(Protocol):
    """Something else that needs some of the file's frames (the thumbnails: videos.pipeline.thumbnails)
    and takes them from the embedding's decode pass instead of decoding the file again."""

    def wants(self, time: float, length: float) -> bool:
        """Whether the frame shown from `time` for `length` seconds must be decoded."""
        ...

    def add(self, time: float, frame: av.VideoFrame) -> None:
        """Every decoded frame, in presentation order (`time`: seconds from the first picture)."""
        ...


class LocalClipEmbedder:
    """Implements `ClipEmbeddingBackend` (see videos.embeddings.base)."""

    name = "local"

    def __init__(self, *, skip_loop_filter: bool = True) -> None:
        self.skip_loop_filter = skip_loop_filter

    def embed_clips(
        self,
        path: Path,
        *,
        clip_seconds: float = CLIP_SECONDS,
        on_progress: ProgressCallback | None = None,
        on_retry: RetryListener | None = None,  # no outside service here: never called
    ) -> list[ClipEmbedding]:
        clips, _ = self.embed_clips_and_fingerprint(path, clip_seconds=clip_seconds, on_progress=on_progress)
        return clips

    def embed_clips_and_fingerprint(
        self,
        path: Path,
        *,
        clip_seconds: float = CLIP_SECONDS,
        on_progress: ProgressCallback | None = None,
        frames: FrameTap | None = None,
    ) -> tuple[list[ClipEmbedding], Fingerprint]:
        """The clips and the file's fingerprint (videos.embeddings.fingerprint), from one decode
        pass; `frames` gets the frames it asks for out of the same pass."""
        try:
            container = av.open(str(path), mode="r")
        except (av.error.FFmpegError, OSError) as error:
            raise EmbeddingError(f"cannot open {Path(path).name}: {error}") from error
        with container:
            embedding = _FileEmbedding(container, Path(path), clip_seconds, on_progress, frames)
            clips = embedding.run(skip_loop_filter=self.skip_loop_filter)
            return clips, embedding.fingerprint()


def decode_needed_frames(path: Path, *, skip_loop_filter: bool = True) -> int:
    """The decode `embed_clips_and_fingerprint` cannot do without — the same packets decoded with
    the same decoder settings — with the frames dropped unmeasured and no sound: the least a pass
    that shows the fingerprint's pictures must spend (bench/pipeline.py measures the stage against
    it). Returns the number of frames decoded."""
    with av.open(str(path), mode="r") as container:
        embedding = _FileEmbedding(container, Path(path), CLIP_SECONDS, None)
        embedding.sound = None
        embedding.run(skip_loop_filter=skip_loop_filter, embed=False)
        return embedding.frames_decoded


class _FrameSampler:
    """For each sampling time, the first decoded frame shown at or after it, as a thumbnail filed
    under its clip-grid cell. Frames must arrive in presentation order (decoders output them so)."""

    def __init__(self, *, clip_seconds: float, fps: float) -> None:
        self.spacing = clip_seconds / SAMPLES_PER_CLIP
        self.frame_seconds = 1.0 / fps
        self.by_cell: dict[int, list[Thumbnail]] = {}
        self.last_frame: Thumbnail | None = None  # for a clip too short to contain a sampling time
        self._next_target = 0
        self._previous: tuple[float, av.VideoFrame] | None = None
        self._cached: tuple[av.VideoFrame, Thumbnail] | None = None
        self._reformatter = VideoReformatter()

    def target_time(self, index: int) -> float:
        return (index + 0.5) * self.spacing

    def wants(self, time: float) -> bool:
        """Whether a frame shown at `time` is (in a constant-rate video) the first at or after a
        sampling time: the one frame per sampling time worth decoding even if nothing refers to it."""
        latest = math.floor((time + _TIME_TOLERANCE) / self.spacing - 0.5)
        return latest >= 0 and time - self.target_time(latest) < self.frame_seconds - _TIME_TOLERANCE

    def add(self, time: float, frame: av.VideoFrame) -> None:
        while self.target_time(self._next_target) <= time + _TIME_TOLERANCE:
            self._take(time, frame)
        self._previous = (time, frame)

    def finish(self, end: float) -> None:
        """Sampling times after the last frame but before `end` get the last frame."""
        if self._previous is None:
            return
        while self.target_time(self._next_target) < end:
            self._take(*self._previous)
        self.last_frame = self._thumbnail(*self._previous)

    def _take(self, time: float, frame: av.VideoFrame) -> None:
        target = self.target_time(self._next_target)
        sample = self._thumbnail(time, frame)
        # Filed at the sampling time, not the frame's: two encodings then agree on which half of a
        # clip a sample belongs to.
        cell = self._next_target // SAMPLES_PER_CLIP
        self.by_cell.setdefault(cell, []).append(Thumbnail(time=target, rgb=sample.rgb))
        self._next_target += 1

    def _thumbnail(self, time: float, frame: av.VideoFrame) -> Thumbnail:
        # A gap in a variable-rate video can make one frame the pick for several sampling times.
        if self._cached is None or self._cached[0] is not frame:
            self._cached = (frame, thumbnail(frame, time, self._reformatter))
        return self._cached[1]


class _FileEmbedding:
    def __init__(
        self,
        container: av.container.InputContainer,
        path: Path,
        clip_seconds: float,
        on_progress: ProgressCallback | None,
        frames: FrameTap | None = None,
    ) -> None:
        self.container = container
        self.frames = frames
        # Timestamps of frames decoded for `frames` alone: the embedding skips them, so its clips
        # and fingerprint are exactly what they are without a tap.
        self.tap_only: set[int | None] = set()
        self.path = path
        self.clip_seconds = clip_seconds
        self.on_progress = on_progress
        self.file_size = max(1, path.stat().st_size)
        self.reported = 0.0
        videos = [stream for stream in container.streams.video if not _is_cover_art(stream)]
        if not videos:
            raise EmbeddingError("the file has no video stream")
        self.video: VideoStream = videos[0]
        self.audio: AudioStream | None = container.streams.audio[0] if container.streams.audio else None
        self.time_base = float(self.video.time_base or 0)
        # Times are counted from the first picture, sound included (so the two stay in step), when
        # a file's timestamps do not begin at 0. Not from the container's start: that is the
        # earliest stream's, and an audio stream often starts a codec frame or so early (AAC
        # priming), which would shift every sampling time against a copy that does not.
        if self.video.start_time is not None and self.time_base:
            self.origin = self.video.start_time * self.time_base
        elif container.start_time is not None:
            self.origin = container.start_time / av.time_base
        else:
            self.origin = 0.0
        rate = self.video.average_rate or self.video.guessed_rate
        self.fps = float(rate) if rate else _FALLBACK_FPS
        self.sampler = _FrameSampler(clip_seconds=clip_seconds, fps=self.fps)
        self.pictures = PictureSampler(fps=self.fps)
        self.sound_frames = SoundSampler()
        self.sound = (
            SoundTrack(clip_seconds=clip_seconds, origin=self.origin, fine=self.sound_frames)
            if self.audio is not None
            else None
        )
        self._fingerprint_reformatter = VideoReformatter()
        # Picture samples waiting to be measured, a batch at a time (see `visual_features`).
        self._unmeasured = np.empty((_MEASURED_TOGETHER, SAMPLE_SIZE, SAMPLE_SIZE, 3), np.uint8)
        self._unmeasured_times: list[float] = []
        self.visual_by_cell: dict[int, np.ndarray] = {}
        self.video_end = 0.0
        self.frames_decoded = 0

    def run(self, *, skip_loop_filter: bool, embed: bool = True) -> list[ClipEmbedding]:
        """The clips; with `embed=False` the frames are only decoded and counted (no clips)."""
        video, sampler = self.video, self.sampler
        # Slice threads, never frame threads: a frame-threaded decoder left early (an error, a
        # cancelled task) can hang for ever in avcodec_free_context. The overlap frame threads gave
        # comes from the picture thread instead, and slice threads cost less CPU.
        video.thread_type = "SLICE"
        codec = video.codec_context
        if skip_loop_filter:
            codec.options = {**codec.options, "skip_loop_filter": "all"}  # read when the decoder opens
        frame_seconds = 1.0 / self.fps
        packets_end = 0.0
        sound_pass = None
        if self.sound is not None and self.audio is not None:
            sound_pass = _SoundPass(self.path, self.audio.index, self.sound)
            sound_pass.start()
        pictures = _PictureThread(self._add_frame if embed else self._count_frame)
        pictures.start()
        try:
            for packet in self.container.demux(video):
                time = self._time(packet.pts)
                length = frame_seconds
                if time is not None:
                    length = packet.duration * self.time_base if packet.duration else frame_seconds
                    packets_end = max(packets_end, time + length)
                wanted = time is None or sampler.wants(time) or self.pictures.wants(time, length)
                if not wanted and time is not None and self.frames is not None and self.frames.wants(time, length):
                    wanted = True
                    self.tap_only.add(packet.pts)
                codec.skip_frame = "DEFAULT" if wanted else "NONREF"
                decoded = _decode_video(codec, packet)
                if decoded:
                    pictures.frames.put(decoded)
                if pictures.error is not None:
                    break
                if self.on_progress is not None:
                    self._report(packet.pos)
        finally:
            pictures.frames.put(None)
            pictures.join()
            if sound_pass is not None:
                sound_pass.join()
        self.video_end = max(self.video_end, packets_end)
        for thread in (pictures, sound_pass):
            if thread is not None and thread.error is not None:
                raise thread.error
        if sound_pass is not None and sound_pass.unusable:
            self.sound = None
        if self.frames_decoded == 0:
            raise EmbeddingError("no video frame could be decoded")
        if not embed:
            return []
        self._measure_pictures()  # the last, partial batches
        self._embed_final_cells()
        embeddings = self._embeddings()
        if self.on_progress is not None:
            self.on_progress(1.0)
        return embeddings

    def _time(self, pts: int | None) -> float | None:
        """Seconds from the start of the file of a video timestamp (one formula for packets and
        frames, so both agree on which side of a sampling time a frame falls)."""
        if pts is None or not self.time_base:
            return None
        return pts * self.time_base - self.origin

    def _count_frame(self, frame: av.VideoFrame) -> None:
        self.frames_decoded += 1

    def _add_frame(self, frame: av.VideoFrame) -> None:
        time = self._time(frame.pts)
        if time is None:
            return
        if self.frames is not None:
            self.frames.add(time, frame)
            if frame.pts in self.tap_only:
                self.tap_only.discard(frame.pts)
                return
        self.frames_decoded += 1
        self.video_end = max(self.video_end, time + 1.0 / self.fps)
        self.sampler.add(time, frame)
        if self.pictures.wants(time):
            small = self._fingerprint_reformatter.reformat(
                frame,
                width=SAMPLE_SIZE,
                height=SAMPLE_SIZE,
                format="rgb24",
                interpolation="AREA",
                threads=SCALER_THREADS,
            )
            self._unmeasured[len(self._unmeasured_times)] = small.to_ndarray()
            self._unmeasured_times.append(time)
            if len(self._unmeasured_times) == len(self._unmeasured):
                self._measure_pictures()
        # The last two cells may still merge into one clip; older ones are final: embedded a batch
        # at a time, their thumbnails then dropped, so memory does not grow with the video's length.
        by_cell = self.sampler.by_cell
        if len(by_cell) > 2 + _EMBEDDED_TOGETHER:
            self._embed_final_cells()

    def _embed_final_cells(self) -> None:
        """The visual vectors of every cell but the last two (which may still merge into one clip)."""
        by_cell = self.sampler.by_cell
        if len(by_cell) <= 2:
            return
        newest = max(by_cell)
        starts = {cell: cell * self.clip_seconds for cell in by_cell if cell <= newest - 2}
        vectors = visual_vectors(
            [(by_cell.pop(cell), start, start + self.clip_seconds) for cell, start in starts.items()]
        )
        self.visual_by_cell.update(zip(starts, vectors, strict=True))

    def _measure_pictures(self) -> None:
        """The waiting picture samples measured, and handed to the fingerprint in order."""
        count = len(self._unmeasured_times)
        if not count:
            return
        for time, features in zip(self._unmeasured_times, visual_features(self._unmeasured[:count]), strict=True):
            self.pictures.add(time, features)
        self._unmeasured_times.clear()

    def _embeddings(self) -> list[ClipEmbedding]:
        duration = self.video_end
        if duration <= 0 and self.container.duration:
            duration = self.container.duration / av.time_base
        self.sampler.finish(duration)
        embeddings = []
        for index, (start, end) in enumerate(clip_spans(duration, self.clip_seconds)):
            first_cell = math.floor(start / self.clip_seconds + 1e-6)
            cells = range(first_cell, max(first_cell + 1, math.ceil(end / self.clip_seconds - 1e-6)))
            if len(cells) == 1 and first_cell in self.visual_by_cell:
                visual = self.visual_by_cell[first_cell]
            else:
                samples = [sample for cell in cells for sample in self.sampler.by_cell.get(cell, [])]
                if not samples and self.sampler.last_frame is not None:
                    samples = [self.sampler.last_frame]
                visual = visual_vector(samples, start=start, end=end)
            audio = self.sound.levels.vector(cells) if self.sound is not None else None
            embeddings.append(ClipEmbedding(index=index, start=start, end=end, visual=visual, audio=audio))
        return embeddings

    def fingerprint(self) -> Fingerprint:
        """The fine picture and sound samples gathered while the clips were embedded."""
        duration = self.video_end
        audio = self.sound_frames.finish(duration) if self.sound is not None else None
        return Fingerprint(visual=self.pictures.finish(duration), audio=audio, duration=duration)

    def _report(self, position: int | None) -> None:
        if self.on_progress is None or position is None or position < 0:
            return
        # Bytes read is the honest measure of decoding work done; 1.0 is reported once, at the end.
        fraction = min(0.99, position / self.file_size)
        if fraction >= self.reported + _PROGRESS_STEP:
            self.reported = fraction
            self.on_progress(fraction)


class _PictureThread(threading.Thread):
    """Measures the decoded frames (thumbnails, fingerprint samples, clip vectors) in a thread of
    its own, in decoding order, while the caller's thread demuxes and decodes the next ones: the
    decoder and the scaler release the GIL, so decoding and measuring share the cores.

    It runs at a lower priority than the decoder (_PICTURE_THREAD_NICENESS). The decoder works on
    two slice threads that meet at every frame: when the scheduler gives this thread the core of
    one of them, the other waits at the meeting point and its core idles. At the lower priority
    this thread takes the gaps the decoder leaves instead, and when it falls behind the bounded
    queue stops the decoder until it catches up. bench/pipeline.py judges the stage against the
    decode the samples need; the figures for each priority tried are in bench/RESULTS.md."""

    def __init__(self, add: Callable[[av.VideoFrame], None]) -> None:
        super().__init__(name="clip-embedding-pictures", daemon=True)
        # The decoded frames of a packet, or None at the end. Bounded: a few full-size frames.
        self.frames: queue.Queue[list[av.VideoFrame] | None] = queue.Queue(maxsize=_QUEUED_PACKETS)
        self.add = add
        self.error: BaseException | None = None

    def run(self) -> None:
        lower_this_threads_priority(_PICTURE_THREAD_NICENESS)
        while (frames := self.frames.get()) is not None:
            if self.error is not None:
                continue  # after a failure only drained, so the decoding thread never waits on a full queue
            try:
                for frame in frames:
                    self.add(frame)
            except BaseException as error:  # handed to the decoding thread, which raises it
                self.error = error


class _SoundPass(threading.Thread):
    """The audio stream, decoded from a second handle on the file in a thread of its own: decoding
    and the FFTs release the GIL, so on a machine with a spare core the sound costs no wall time."""

    def __init__(self, path: Path, stream_index: int, sound: SoundTrack) -> None:
        super().__init__(name="clip-embedding-sound", daemon=True)
        self.path = path
        self.stream_index = stream_index
        self.sound = sound
        self.error: BaseException | None = None

        self.unusable = False  # the sound could not be decoded at all: no audio vectors

    def run(self) -> None:
        try:
            with av.open(str(self.path), mode="r") as container:
                for packet in container.demux(container.streams[self.stream_index]):
                    self.sound.decode(packet)
            self.sound.finish()
        except av.error.FFmpegError as error:
            # A broken sound track should not cost the pictures their embedding.
            logger.warning("the sound of %s cannot be decoded: %s", self.path.name, error)
            self.unusable = True
        except BaseException as error:  # a bug: handed to the caller's thread, which raises it
            self.error = error


def _decode_video(codec: VideoCodecContext, packet: av.Packet[VideoStream]) -> list[av.VideoFrame]:
    """Frames from one packet; a corrupt packet is skipped (the frames around it still count)."""
    try:
        return codec.decode(packet)
    except av.error.InvalidDataError as error:
        logger.info("skipping an undecodable video packet: %s", error)
        return []


def _is_cover_art(stream: av.stream.Stream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)
