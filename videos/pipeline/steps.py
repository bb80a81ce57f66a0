"""The pipeline's steps. Each `ensure_*` returns at once when its output already exists."""

from __future__ import annotations

import math
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from billing.models import Hold
from billing.selectors import wallet_for_user
from billing.services import InsufficientTokens, hold_create
from videos.models import Video
from videos.pipeline.progress import report
from videos.pipeline.thumbnails import make_thumbnails
from videos.probe import ProbeError, probe_media


class StepFailed(Exception):
    """The video cannot be processed; `message` is for the person who uploaded it."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def tokens_for(video: Video) -> int:
    """1 token = 1 second of processed video, rounded up."""
    return max(1, math.ceil(video.duration or 0))


def ensure_probed(video: Video, path: Path) -> None:
    if video.duration is not None:
        return
    report(video, stage="probe", percent=0)
    plan = wallet_for_user(video.owner).plan
    try:
        result = probe_media(path, max_seconds=plan.max_video_seconds)
    except ProbeError as exc:
        raise StepFailed(exc.code, exc.message) from None
    fields = {
        "duration": result.duration,
        "width": result.width,
        "height": result.height,
        "fps": result.fps,
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
        )
    except InsufficientTokens as exc:
        raise StepFailed(
            "insufficient_tokens",
            f"Processing this video needs {exc.needed} tokens but you have {exc.available}. "
            "See your balance and plans on the billing page.",
        ) from None
    Video.objects.filter(pk=video.pk).update(hold=hold)
    video.hold = hold
    return hold


def ensure_thumbnails(video: Video, path: Path) -> None:
    if video.poster_key and video.sprite_key:
        return
    report(video, stage="thumbnails", percent=0)
    try:
        thumbnails = make_thumbnails(path, duration=video.duration or 0)
    except (ValueError, OSError) as exc:
        raise StepFailed("undecodable", "The video's frames cannot be decoded.") from exc
    poster_key = default_storage.save(f"videos/{video.pk}/poster.jpg", ContentFile(thumbnails.poster_jpeg))
    sprite_key = default_storage.save(f"videos/{video.pk}/sprite.jpg", ContentFile(thumbnails.sprite_jpeg))
    Video.objects.filter(pk=video.pk).update(
        poster_key=poster_key, sprite_key=sprite_key, sprite_meta=thumbnails.sprite_meta
    )
    video.poster_key, video.sprite_key, video.sprite_meta = poster_key, sprite_key, thumbnails.sprite_meta
    report(video, stage="thumbnails", percent=100)
