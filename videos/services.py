"""Writes for videos: adding a YouTube video, deleting a video with everything derived from it."""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from accounts.models import User
from videos.models import Upload, Video
from videos.uploads.services import upload_abort
from videos.youtube import fetch_metadata, parse_youtube_id

logger = logging.getLogger(__name__)


def video_add_youtube(*, user: User, url: str) -> tuple[Video, bool]:
    """The user's video for this YouTube link, created if new; raises YouTubeError for a bad link."""
    youtube_id = parse_youtube_id(url)
    existing = Video.objects.filter(owner=user, source=Video.Source.YOUTUBE, youtube_id=youtube_id).first()
    if existing is not None:
        return existing, False
    metadata = fetch_metadata(youtube_id)  # outside any transaction: a network call
    try:
        with transaction.atomic():
            video = Video.objects.create(
                owner=user,
                source=Video.Source.YOUTUBE,
                youtube_id=youtube_id,
                title=(metadata.title if metadata and metadata.title else f"YouTube video {youtube_id}"),
                poster_url=metadata.thumbnail_url if metadata else "",
                status=Video.Status.QUEUED,
            )
    except IntegrityError:  # added at the same moment by another request
        return Video.objects.get(owner=user, source=Video.Source.YOUTUBE, youtube_id=youtube_id), False
    return video, True


def video_delete(*, video: Video) -> None:
    """Delete a video, its unfinished upload, its stored files and every row derived from it."""
    upload = Upload.objects.filter(video=video, status=Upload.Status.ACTIVE).first()
    if upload is not None:
        upload_abort(upload=upload)
    keys = [key for key in (video.storage_key, video.poster_key, video.sprite_key) if key]
    with transaction.atomic():
        Video.objects.filter(pk=video.pk).delete()  # derived rows go by cascade
        transaction.on_commit(lambda: _delete_files(keys))


def _delete_files(keys: list[str]) -> None:
    for key in keys:
        try:
            default_storage.delete(key)
        except Exception:
            # The row is gone either way; a file left behind is logged for an operator to remove.
            logger.warning("could not delete stored file %s", key, exc_info=True)
