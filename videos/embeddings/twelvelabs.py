"""The `twelvelabs` clip-embedding backend: Marengo through the official `twelvelabs` SDK.

One embed task per file (Embed API v1.3: `POST /embed/tasks` with the file as multipart upload, clip
scope, 2-second clips), polled until it is ready, then its segments are mapped onto our clip grid
(`clip_spans`) so the output has the same shape as the `local` backend's: one `ClipEmbedding` per
clip, `visual` from the "visual-text" (Marengo 2.7) or "visual" (3.0) option, `audio` from "audio".

Marengo's vectors (1024 values) live in another space than `local`'s; the backend name is stored
with every row, so the two are never compared.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import av
import av.stream
import httpx
import numpy as np
from django.conf import settings
from twelvelabs import TwelveLabs
from twelvelabs.core.api_error import ApiError
from twelvelabs.types.video_segment import VideoSegment

from sage.retrying import TRANSIENT_HTTP_STATUSES, RetryListener, call_with_retries
from videos.embeddings.base import CLIP_SECONDS, ClipEmbedding, EmbeddingError, ProgressCallback, clip_spans

logger = logging.getLogger(__name__)
_Result = TypeVar("_Result")

# Marengo cuts clips of 2–10 s (the API refuses other lengths).
MIN_CLIP_SECONDS = 2.0
MAX_CLIP_SECONDS = 10.0
# A bounded wait: a task still not ready after this long is given up on (the step fails with a clear
# message rather than holding a worker for ever).
MAX_WAIT_SECONDS = 30 * 60
POLL_SECONDS = 5.0
# Per HTTP operation (connect, each read or write), not per request: a long upload stays within it.
REQUEST_TIMEOUT_SECONDS = 120.0
# The SDK's own retries stay off (it would re-send a create without its form fields): every call,
# the upload included, is tried again whole by sage.retrying when Twelve Labs is busy or out of reach.

VISUAL_OPTIONS = ("visual-text", "visual")
AUDIO_OPTION = "audio"

# How the progress bar is shared out. Twelve Labs reports no progress while it works, so the wait
# moves the bar by the share of MAX_WAIT_SECONDS used: a whole percent at least every
# MAX_WAIT_SECONDS / 45 (40 s), well within the time the stall reaper allows without news.
UPLOAD_SHARE = 0.5
WAIT_SHARE = 0.45
_PROGRESS_STEP = 0.01


class TwelveLabsUnavailable(EmbeddingError):
    """Twelve Labs could not be reached or answered "try later" (429, 5xx) even after the SDK's
    retries: worth trying the whole step again later, unlike a refused file or a failed task."""


@dataclass(frozen=True)
class _Segment:
    start: float
    end: float
    vector: np.ndarray  # L2-normalised float32


class TwelveLabsClipEmbedder:
    """Implements `ClipEmbeddingBackend` (see videos.embeddings.base). Needs TWELVELABS_API_KEY;
    TWELVELABS_BASE_URL points it elsewhere than Twelve Labs (tests point it at a local stub)."""

    name = "twelvelabs"

    def __init__(self, *, poll_seconds: float = POLL_SECONDS, max_wait_seconds: float = MAX_WAIT_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self.max_wait_seconds = max_wait_seconds

    def embed_clips(
        self,
        path: Path,
        *,
        clip_seconds: float = CLIP_SECONDS,
        on_progress: ProgressCallback | None = None,
        on_retry: RetryListener | None = None,
    ) -> list[ClipEmbedding]:
        if not MIN_CLIP_SECONDS <= clip_seconds <= MAX_CLIP_SECONDS:
            raise ValueError(f"Marengo clips last {MIN_CLIP_SECONDS:g}–{MAX_CLIP_SECONDS:g} s, not {clip_seconds:g}")
        if not settings.TWELVELABS_API_KEY:
            raise EmbeddingError("the twelvelabs backend needs TWELVELABS_API_KEY")
        path = Path(path)
        # Checked before uploading: a file without pictures is refused here, not paid for there.
        duration, has_audio = _probe(path)
        progress = _Progress(on_progress)
        with httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=True) as http:
            client = _client(http)
            # A failed upload is sent again whole (the file read from its start).
            task_id = _with_retries(lambda: self._create_task(client, path, clip_seconds, progress), on_retry)
            self._wait_until_ready(client, task_id, path.name, progress, on_retry)
            retrieved = _with_retries(lambda: _call(path.name, lambda: client.embed.tasks.retrieve(task_id)), on_retry)
        video_embedding = retrieved.video_embedding
        found = list(video_embedding.segments or []) if video_embedding else []
        if duration <= 0 and video_embedding and video_embedding.metadata and video_embedding.metadata.duration:
            duration = float(video_embedding.metadata.duration)
        embeddings = _clip_embeddings(found, duration=duration, clip_seconds=clip_seconds, has_audio=has_audio)
        progress.report(1.0)
        return embeddings

    def _create_task(self, client: TwelveLabs, path: Path, clip_seconds: float, progress: _Progress) -> str:
        size = max(1, path.stat().st_size)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with _ReadCounter(path, lambda done: progress.report(UPLOAD_SHARE * done / size)) as upload:
            created = _call(
                path.name,
                lambda: client.embed.tasks.create(
                    model_name=settings.TWELVELABS_MODEL,
                    video_file=(path.name, upload, content_type),
                    video_clip_length=clip_seconds,
                    video_embedding_scope=["clip"],
                ),
            )
        if not created.id:
            raise EmbeddingError(f"Twelve Labs accepted {path.name} but returned no task id")
        logger.info("twelvelabs embed task %s created for %s", created.id, path.name)
        progress.report(UPLOAD_SHARE)
        return created.id

    def _wait_until_ready(
        self, client: TwelveLabs, task_id: str, filename: str, progress: _Progress, on_retry: RetryListener | None
    ) -> None:
        """Polls the task's status (each call tried again when Twelve Labs is busy) until it is ready,
        failed, or `max_wait_seconds` have passed. Not the SDK's `wait_for_done`: that one never gives up, and
        swallows (prints) a failing status call and polls again, for ever."""
        started = time.monotonic()
        while True:
            task = _with_retries(lambda: _call(filename, lambda: client.embed.tasks.status(task_id)), on_retry)
            if task.status == "ready":
                return
            if task.status == "failed":
                raise EmbeddingError(f"Twelve Labs could not embed {filename}: task {task_id} failed")
            waited = time.monotonic() - started
            if waited >= self.max_wait_seconds:
                raise EmbeddingError(
                    f"Twelve Labs task {task_id} for {filename} was still {task.status or 'unfinished'} "
                    f"after {waited:.0f} s; gave up waiting"
                )
            progress.report(UPLOAD_SHARE + WAIT_SHARE * waited / self.max_wait_seconds)
            time.sleep(min(self.poll_seconds, max(0.0, self.max_wait_seconds - waited)))


def _client(http: httpx.Client) -> TwelveLabs:
    options: dict[str, Any] = {}
    if settings.TWELVELABS_BASE_URL:
        # The SDK's own TwelveLabs() also reads the TWELVELABS_BASE_URL environment variable and
        # prefers it; our setting comes from that same variable, so the two cannot disagree.
        options["base_url"] = settings.TWELVELABS_BASE_URL.rstrip("/")
    return TwelveLabs(
        api_key=settings.TWELVELABS_API_KEY, timeout=REQUEST_TIMEOUT_SECONDS, httpx_client=http, **options
    )


def _with_retries(call: Callable[[], _Result], on_retry: RetryListener | None) -> _Result:
    return call_with_retries(
        call,
        service="Twelve Labs",
        transient=lambda error: isinstance(error, TwelveLabsUnavailable),
        on_retry=on_retry,
    )


def _call(filename: str, request: Callable[[], _Result]) -> _Result:
    """Runs one SDK call, turning its errors into EmbeddingError (TwelveLabsUnavailable when trying
    again later may help)."""
    try:
        return request()
    except ApiError as error:
        _raise_api_error(filename, error)
    except httpx.HTTPError as error:
        raise TwelveLabsUnavailable(f"Twelve Labs could not be reached for {filename}: {error}") from error


def _raise_api_error(filename: str, error: ApiError) -> NoReturn:
    detail = error.body.get("message") if isinstance(error.body, dict) else error.body
    message = f"Twelve Labs refused {filename} (HTTP {error.status_code}): {detail or 'no details'}"
    if error.status_code in TRANSIENT_HTTP_STATUSES:
        raise TwelveLabsUnavailable(message) from error
    raise EmbeddingError(message) from error


def _probe(path: Path) -> tuple[float, bool]:
    """(duration in seconds — of the picture, as the `local` backend counts it — or 0 when the file
    does not say, whether it has a sound stream)."""
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError) as error:
        raise EmbeddingError(f"cannot open {path.name}: {error}") from error
    with container:
        videos = [
            stream
            for stream in container.streams.video
            if not stream.disposition & av.stream.Disposition.attached_pic  # cover art is not the video
        ]
        if not videos:
            raise EmbeddingError("the file has no video stream")
        video = videos[0]
        if video.duration and video.time_base:
            duration = float(video.duration * video.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        return duration, bool(container.streams.audio)


def _clip_embeddings(
    found: Sequence[VideoSegment], *, duration: float, clip_seconds: float, has_audio: bool
) -> list[ClipEmbedding]:
    by_option: dict[str, list[_Segment]] = {}
    for segment in found:
        if segment.embedding_scope not in (None, "clip") or not segment.float_ or segment.start_offset_sec is None:
            continue  # a whole-video vector, or an empty one
        vector = _unit(np.asarray(segment.float_, np.float32), "a segment")
        end = segment.end_offset_sec if segment.end_offset_sec is not None else segment.start_offset_sec + clip_seconds
        by_option.setdefault(segment.embedding_option or "", []).append(
            _Segment(start=float(segment.start_offset_sec), end=float(end), vector=vector)
        )
    visual = next((by_option[option] for option in VISUAL_OPTIONS if option in by_option), None)
    if not visual:
        raise EmbeddingError(f"Twelve Labs returned no visual clip embeddings (options: {sorted(by_option) or 'none'})")
    audio = by_option.get(AUDIO_OPTION) if has_audio else None
    if duration <= 0:
        duration = max(segment.end for segment in visual)
    return [
        ClipEmbedding(
            index=index,
            start=start,
            end=end,
            visual=_span_vector(visual, start, end),
            audio=_span_vector(audio, start, end) if audio else None,
        )
        for index, (start, end) in enumerate(clip_spans(duration, clip_seconds))
    ]


def _span_vector(segments: list[_Segment], start: float, end: float) -> np.ndarray:
    """The vector of our clip [start, end): Marengo's segments that overlap it, weighted by the
    overlap (usually exactly one segment, the same span). A clip no segment overlaps — Marengo drops a
    last piece shorter than 2 s, which our grid keeps from 0.5 s — takes the nearest segment's."""
    weights = np.array([min(end, segment.end) - max(start, segment.start) for segment in segments])
    if (weights > 1e-6).any():
        weights = np.clip(weights, 0.0, None)
        return _unit(np.stack([segment.vector for segment in segments]).T @ weights, "a clip")
    middle = (start + end) / 2
    nearest = min(segments, key=lambda segment: abs((segment.start + segment.end) / 2 - middle))
    return nearest.vector


def _unit(vector: np.ndarray, what: str) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0.0:
        raise EmbeddingError(f"Twelve Labs returned an unusable vector for {what}")
    unit: np.ndarray = (vector / norm).astype(np.float32)
    return unit


class _Progress:
    """Forwards rising fractions in steps of at least a percent, and 1.0 once at the end."""

    def __init__(self, on_progress: ProgressCallback | None) -> None:
        self.on_progress = on_progress
        self.reported = 0.0

    def report(self, fraction: float) -> None:
        fraction = min(1.0, fraction)
        if self.on_progress is None or fraction <= self.reported:
            return
        if fraction >= 1.0 or fraction >= self.reported + _PROGRESS_STEP:
            self.reported = fraction
            self.on_progress(fraction)


class _ReadCounter(io.FileIO):
    """The file opened for upload, telling `on_read` how many bytes the HTTP client has read so far
    (httpx streams the multipart body from it, so that is how much has been sent)."""

    def __init__(self, path: Path, on_read: Callable[[int], None]) -> None:
        super().__init__(path, "r")
        self.on_read = on_read

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.on_read(self.tell())
        return chunk or b""
