"""The pipeline's steps. Each `ensure_*` returns at once when its output already exists."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Func, JSONField, Value

from billing.holds import hold_create
from billing.ledger import InsufficientTokens, TokensOwed
from billing.models import Hold
from billing.selectors import wallet_of_workspace
from sage.gemini import gemini_enabled
from videos.chunks import replace_chunks
from videos.embeddings import EmbeddingError, configured_backend_name, get_backend
from videos.embeddings.fingerprint import FINGERPRINT_VERSION, Fingerprint, pack
from videos.embeddings.local import FrameTap, LocalClipEmbedder
from videos.models import (
    TEXT_EMBEDDING_DIM,
    ClipEmbedding,
    Transcript,
    TranscriptChunk,
    TranscriptSegment,
    Video,
    VideoFingerprint,
)
from videos.pipeline.progress import report, retry_reporter
from videos.pipeline.thumbnails import TileGatherer, make_thumbnails
from videos.probe import ProbeError, probe_media
from videos.screen_text.lines import shown_line_of
from videos.screen_text.selectors import screen_lines_for_video
from videos.selectors import transcript_lines
from videos.summary import summarize_transcript
from videos.text_embedding.model import embed_texts
from videos.timed_text import windows_of, words_to_json
from videos.transcripts.base import TranscriptError, TranscriptResult, clean_segments
from videos.transcripts.gemini import transcribe_with_gemini
from videos.transcripts.speech import recognise_speech
from videos.transcripts.stream import subtitle_stream_segments
from videos.transcripts.subtitles import parse_subtitles
from videos.transcripts.whisper_model import WhisperModelError
from videos.transcripts.youtube_captions import fetch_youtube_transcript
from videos.window_sentences import embed_window_sentences, said_window_sentences
from workspaces.models import Workspace

logger = logging.getLogger(__name__)


class StepFailed(Exception):
    """The video cannot be processed; `message` is for the person who uploaded it."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


class Cancelled(Exception):
    """The video was cancelled while a step ran (the cancel already refunded its hold), or this run
    lost its lease to another (which now owns the video and its money)."""


def stop_if_cancelled(video: Video) -> None:
    # `video.lease_owner` is this run's token (loaded once the lease was taken).
    if not Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING, lease_owner=video.lease_owner).exists():
        raise Cancelled


def progress_reporter(video: Video, stage: str) -> Callable[[float], None]:
    """A step's progress callback: saves and pushes whole percents, and stops a long step as soon
    as the video is cancelled (checked at most once per percent, so at most 100 reads a step)."""

    def on_progress(fraction: float) -> None:
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        if percent == video.percent and stage == video.stage:
            return
        stop_if_cancelled(video)
        report(video, stage=stage, percent=percent)

    return on_progress


def _record_backend(video: Video, kind: str, name: str) -> None:
    video.backends = {**video.backends, kind: name}
    # Merged into the column in SQL (jsonb ||), not written whole: on a ready video a re-transcribe's
    # steps run beside the screen-reading stage, which records a kind of its own.
    merged = Func(
        F("backends"),
        Value({kind: name}, output_field=JSONField()),
        template="(%(expressions)s)",
        arg_joiner=" || ",
        output_field=JSONField(),
    )
    Video.objects.filter(pk=video.pk).update(backends=merged)


def tokens_for(video: Video) -> int:
    """1 token = 1 second of processed video, rounded up."""
    return max(1, math.ceil(video.duration or 0))


def ensure_probed(video: Video, path: Path) -> None:
    if video.duration is not None:
        return
    report(video, stage="probe", percent=0)
    plan = wallet_of_workspace(video.workspace_id).plan
    try:
        result = probe_media(path, max_seconds=plan.max_video_seconds)
    except ProbeError as exc:
        raise StepFailed(exc.code, exc.message) from None
    fields = {
        "duration": result.duration,
        "width": result.width,
        "height": result.height,
        "fps": result.fps,
        "start_timecode": result.start_timecode,
        "video_codec": result.video_codec,
        "audio_codec": result.audio_codec or "",
        "has_audio": result.has_audio,
    }
    Video.objects.filter(pk=video.pk).update(**fields)
    for name, value in fields.items():
        setattr(video, name, value)


def ensure_hold(video: Video) -> Hold:
    """Hold the processing cost before the expensive steps.

    An open hold is reused by a run that picks up after a crash, and a settled one means this
    video is paid for; only after a refund (failure, cancel) does a retry take a new hold. The key
    names the refunded hold, so a repeated run never holds twice for the same processing.
    """
    if video.hold is not None and video.hold.status != Hold.Status.RELEASED:
        return video.hold
    try:
        hold = hold_create(
            user=video.owner,
            amount=tokens_for(video),
            key=f"video:{video.pk}:after-hold:{video.hold_id or 0}",
            ref=video,
            memo=f"Processing “{video.title}”",
            # Processed in a task: the video's workspace pays, whoever of its members uploaded it.
            workspace_id=video.workspace_id,
        )
    except TokensOwed as exc:  # before its parent: it says what is owed, not what is short
        raise StepFailed(exc.code, exc.message) from None
    except InsufficientTokens as exc:
        # A team's video is paid by the team: the uploader is told whose balance is short.
        team = Workspace.objects.filter(pk=video.workspace_id, kind=Workspace.Kind.TEAM).first()
        who = f"the team workspace “{team.name}” has" if team is not None else "you have"
        raise StepFailed(
            "insufficient_tokens",
            f"Processing this video needs {exc.needed} tokens but {who} {exc.available}. "
            f"See {'its' if team is not None else 'your'} balance and plans on the billing page.",
        ) from None
    Video.objects.filter(pk=video.pk).update(hold=hold)
    video.hold = hold
    return hold


def ensure_thumbnails(video: Video, path: Path) -> None:
    """The poster and the sprite. With the `local` clip backend and no clips yet, the clips are
    embedded here, and the thumbnails' frames taken out of that decode pass (one pass through the
    file instead of two); the clips step then finds its work done."""
    if video.poster_key and video.sprite_key:
        return
    report(video, stage="thumbnails", percent=0)
    gathered = None
    if not video.backends.get("clips") and configured_backend_name() == "local":
        gathered = TileGatherer(duration=video.duration or 0)
        report(video, stage="clips", percent=0)
        embed_and_store_clips(video, path, on_progress=progress_reporter(video, "clips"), frames=gathered)
    try:
        thumbnails = make_thumbnails(path, duration=video.duration or 0, gathered=gathered)
    except (ValueError, OSError) as exc:
        raise StepFailed("undecodable", "The video's frames cannot be decoded.") from exc
    poster_key = default_storage.save(f"videos/{video.pk}/poster.jpg", ContentFile(thumbnails.poster_jpeg))
    sprite_key = default_storage.save(f"videos/{video.pk}/sprite.jpg", ContentFile(thumbnails.sprite_jpeg))
    Video.objects.filter(pk=video.pk).update(
        poster_key=poster_key, sprite_key=sprite_key, sprite_meta=thumbnails.sprite_meta
    )
    video.poster_key, video.sprite_key, video.sprite_meta = poster_key, sprite_key, thumbnails.sprite_meta
    report(video, stage="thumbnails", percent=100)


def ensure_clip_embeddings(video: Video, path: Path) -> None:
    """One row per 2-second clip with its visual and audio vectors, from one backend."""
    if video.backends.get("clips"):
        return
    report(video, stage="clips", percent=0)
    embed_and_store_clips(video, path, on_progress=progress_reporter(video, "clips"))


def embed_and_store_clips(
    video: Video,
    path: Path,
    *,
    on_progress: Callable[[float], None] | None = None,
    frames: FrameTap | None = None,
) -> None:
    """Embed and store the clips; `frames` (the `local` backend only) gets frames out of its pass."""
    backend = get_backend(configured_backend_name())
    fingerprint: Fingerprint | None = None
    try:
        if isinstance(backend, LocalClipEmbedder):
            # One decode pass gives the clips and the fingerprint the comparison aligns on.
            clips, fingerprint = backend.embed_clips_and_fingerprint(path, on_progress=on_progress, frames=frames)
        else:
            clips = backend.embed_clips(path, on_progress=on_progress, on_retry=retry_reporter(video))
    except EmbeddingError as exc:
        if backend.name == "local":
            raise StepFailed("undecodable", str(exc)) from exc
        # An outside service: down, refusing or failing the task. Retrying later may well work.
        raise StepFailed("embedding_failed", f"{exc} Retry the video later.") from exc
    with transaction.atomic():
        # A run that died after writing some rows (or a re-embed) replaces the set as a whole.
        ClipEmbedding.objects.filter(video=video).delete()
        ClipEmbedding.objects.bulk_create(
            ClipEmbedding(
                video=video,
                index=clip.index,
                start=clip.start,
                end=clip.end,
                backend=backend.name,
                visual=clip.visual,
                audio=clip.audio,
            )
            for clip in clips
        )
        if fingerprint is not None:
            store_fingerprint(video, fingerprint)
        _record_backend(video, "clips", backend.name)


def ensure_fingerprint(video: Video, path: Path) -> None:
    """The fingerprint for comparisons, when the clip backend did not make it in its own pass (an
    outside backend, or a video processed before fingerprints existed): one local decode pass."""
    if VideoFingerprint.objects.filter(video=video, version=FINGERPRINT_VERSION).exists():
        return
    report(video, stage="fingerprint", percent=0)
    try:
        _, fingerprint = LocalClipEmbedder().embed_clips_and_fingerprint(
            path, on_progress=progress_reporter(video, "fingerprint")
        )
    except EmbeddingError as exc:
        raise StepFailed("undecodable", str(exc)) from exc
    with transaction.atomic():
        store_fingerprint(video, fingerprint)
    report(video, stage="fingerprint", percent=100)


def store_fingerprint(video: Video, fingerprint: Fingerprint) -> None:
    VideoFingerprint.objects.update_or_create(
        video=video,
        defaults={
            "version": fingerprint.version,
            "visual_rate": fingerprint.visual_rate,
            "audio_rate": fingerprint.audio_rate if fingerprint.audio is not None else None,
            "duration": fingerprint.duration,
            "data": pack(fingerprint),
        },
    )


def ensure_transcript(
    video: Video,
    path: Path | None,
    *,
    found: Callable[[Callable[[float], None]], TranscriptResult | None] | None = None,
) -> None:
    """The transcript from the first source that has one (see `find_transcript`). `found`, when
    given, is where it is being found already (videos.pipeline.transcribing): it is waited for,
    its progress reported as this step's."""
    if Transcript.objects.filter(video=video).exists():
        return
    report(video, stage="transcript", percent=0)
    on_progress = progress_reporter(video, "transcript")
    result = found(on_progress) if found is not None else find_transcript(video, path, on_progress=on_progress)
    with transaction.atomic():
        transcript = store_transcript(video, result)
        if video.source == Video.Source.YOUTUBE and result and result.segments and video.duration is None:
            # YouTube gives no duration without its (keyed) Data API: the captions' end stands in.
            video.duration = result.segments[-1].end
            Video.objects.filter(pk=video.pk).update(duration=video.duration)
        _record_backend(video, "transcript", transcript.source)
    report(video, stage="transcript", percent=100)


def store_transcript(video: Video, result: TranscriptResult | None) -> Transcript:
    """The Transcript row and its lines (words and confidence included) for `result`; a "none"
    transcript when there is no speech. Call in a transaction."""
    transcript = Transcript.objects.create(
        video=video,
        source=result.source if result else Transcript.Source.NONE,
        language=result.language if result else "",
        low_confidence=result.low_confidence if result else False,
        other_language=result.other_language if result else False,
        text=result.text if result else "",
    )
    if result is not None:
        TranscriptSegment.objects.bulk_create(
            TranscriptSegment(
                transcript=transcript,
                index=index,
                start=segment.start,
                end=segment.end,
                text=segment.text,
                low_confidence=segment.low_confidence,
                words=words_to_json(segment.words),
            )
            for index, segment in enumerate(result.segments)
        )
    return transcript


def find_transcript(
    video: Video, path: Path | None, *, on_progress: Callable[[float], None] | None = None
) -> TranscriptResult | None:
    """Sidecar subtitle file, then the container's subtitle track, then Gemini (when configured),
    then offline recognition (Whisper); YouTube captions for a YouTube video. None: no speech
    anywhere. `on_progress` follows offline recognition (0..1 by audio time)."""
    if video.source == Video.Source.YOUTUBE:
        try:
            return fetch_youtube_transcript(video.youtube_id, on_retry=retry_reporter(video))
        except TranscriptError as exc:
            raise StepFailed(exc.code, exc.message) from exc
    assert path is not None
    if video.subtitle_key:
        with default_storage.open(video.subtitle_key, "rb") as handle:
            data = handle.read(settings.SUBTITLE_MAX_BYTES + 1)
        try:
            segments = clean_segments(parse_subtitles(data, video.subtitle_key), duration=video.duration)
        except TranscriptError:
            # Checked when it was sent; unreadable now means storage trouble: fall through.
            logger.warning("sidecar subtitles of video %s unreadable", video.pk, exc_info=True)
        else:
            if segments:
                return TranscriptResult(source=Transcript.Source.SIDECAR, segments=segments)
    segments_from_stream = subtitle_stream_segments(path)
    if segments_from_stream:
        segments = clean_segments(segments_from_stream, duration=video.duration)
        if segments:
            return TranscriptResult(source=Transcript.Source.STREAM, segments=segments)
    if not video.has_audio:
        return None
    if gemini_enabled():
        try:
            return transcribe_with_gemini(path, duration=video.duration or 0, on_retry=retry_reporter(video))
        except TranscriptError:
            logger.warning("Gemini could not transcribe video %s; trying offline recognition", video.pk, exc_info=True)
    try:
        return recognise_speech(path, on_progress=on_progress)
    except TranscriptError as exc:
        raise StepFailed(exc.code, exc.message) from exc
    except WhisperModelError:
        logger.exception("the speech model cannot be used (video %s)", video.pk)
        raise StepFailed(
            "speech_model_unavailable",
            "Speech recognition is not working on our side right now. Retry the video later.",
        ) from None


def ensure_chunks(video: Video) -> None:
    """Sentence-bounded windows of the transcript, embedded for search and chat."""
    if video.backends.get("chunks"):
        return
    report(video, stage="chunks", percent=0)
    lines = transcript_lines(video.pk)
    chunks = windows_of(
        lines, target_seconds=settings.CHUNK_TARGET_SECONDS, overlap_seconds=settings.CHUNK_OVERLAP_SECONDS
    )
    vectors = embed_texts([chunk.text for chunk in chunks]) if chunks else np.empty((0, TEXT_EMBEDDING_DIM))
    # The sentences a search quotes, embedded now rather than at every question.
    sentences = said_window_sentences(chunks, lines)
    sentence_vectors = embed_window_sentences(sentences)
    with transaction.atomic():
        replace_chunks(
            video, TranscriptChunk.Kind.SAID, chunks, vectors, sentences=sentences, sentence_vectors=sentence_vectors
        )
        _record_backend(video, "chunks", "minilm" if chunks else "none")
    report(video, stage="chunks", percent=100)


def ensure_summary(video: Video) -> None:
    if video.backends.get("summary"):
        return
    report(video, stage="summary", percent=0)
    summary_write(video)
    report(video, stage="summary", percent=100)


def summary_write(video: Video) -> None:
    """The video's summary made (again) from what it says and the text read on its screen so far,
    and stored. The screen is read after the video is ready (videos.screen_text.stage), which writes
    the summary again with its slides."""
    shown = [shown_line_of(row) for row in screen_lines_for_video(video)]
    summary, backend = summarize_transcript(
        video.title,
        transcript_lines(video.pk),
        duration=video.duration or 0,
        shown=shown,
        on_retry=retry_reporter(video),
    )
    video.summary = summary
    Video.objects.filter(pk=video.pk).update(summary=summary)
    _record_backend(video, "summary", backend)
