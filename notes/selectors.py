"""Reads for notes. Ownership lives here: another user's note (or video) is a 404."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from notes.models import Note
from sage.text import storable
from videos.models import Video
from videos.selectors import video_get_for_user, videos_for_user
from videos.youtube import YouTubeError, parse_youtube_id
from workspaces.models import Membership

# A proxy that merges slashes turns an encoded "https://…" into "https:/…".
_SQUASHED_SCHEME = re.compile(r"^(https?):/+", re.IGNORECASE)
# Ids are bigints: more digits than that names no row.
_MAX_ID_DIGITS = 18


def notes_for_user(member: Membership) -> QuerySet[Note]:
    # Notes on a video of a deleted project are out of sight with it (lists, export, the API).
    # With its video (a note's `frame` is counted at the video's rate) and its author (named on it).
    return Note.objects.filter(
        workspace_id=member.workspace_id, video__project__deleted_at__isnull=True
    ).select_related("video", "owner")


def note_get_for_user(member: Membership, pk: int | str) -> Note:
    try:
        return notes_for_user(member).select_related("video").get(pk=int(pk))
    except (Note.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such note.") from None


def notes_for_video(member: Membership, video: Video) -> QuerySet[Note]:
    """The user's notes on `video`, in the order they come in the video."""
    return notes_for_user(member).filter(video=video).order_by("start", "pk")


def notes_on_video(video: Video) -> QuerySet[Note]:
    """The notes taken on `video` in its own workspace, in the order they come in the video: what a
    page showing the video to that workspace's members (or to a link its owner shares notes on) lists,
    whoever is looking and whichever member wrote them."""
    return Note.objects.filter(workspace_id=video.workspace_id, video=video).order_by("start", "pk")


def notes_search(member: Membership, query: str = "") -> QuerySet[Note]:
    """All the user's notes, newest first; `query` matches words in the text or the video's title."""
    notes = notes_for_user(member).order_by("-created_at", "-pk")
    query = query.strip()
    if not query:
        return notes
    if not storable(query):
        return notes.none()  # no stored text holds it, and Postgres would refuse it in a query
    return notes.filter(Q(text__icontains=query) | Q(video__title__icontains=query))


@dataclass(frozen=True)
class VideoRef:
    """What a `<ref>` in a notes URL names: one of my videos by id, or a YouTube video by its id."""

    video_id: int | None = None
    youtube_id: str = ""


def parse_video_ref(ref: str) -> VideoRef:
    """A numeric ref is my video's id; anything else must be a YouTube video id or link (404 if not)."""
    text = ref.strip()
    if text.isascii() and text.isdigit():
        if len(text) > _MAX_ID_DIGITS:
            raise Http404("No such video.")
        return VideoRef(video_id=int(text))
    try:
        return VideoRef(youtube_id=parse_youtube_id(_SQUASHED_SCHEME.sub(r"\1://", text)))
    except YouTubeError as exc:
        raise Http404(
            f"No such video: {exc} Give one of your video ids, a YouTube video id or a YouTube link."
        ) from None


def video_for_ref(member: Membership, ref: VideoRef) -> Video | None:
    """My video that `ref` names; None for a YouTube video I have not added (my numeric id not found: 404)."""
    if ref.video_id is not None:
        return video_get_for_user(member, ref.video_id)
    return videos_for_user(member).filter(source=Video.Source.YOUTUBE, youtube_id=ref.youtube_id).first()
