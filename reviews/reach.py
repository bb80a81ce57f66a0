"""What a share link reaches, defined once: whether it is live, what its page shows, which videos and
comparisons a guest's request may name, which files its signed media URLs may serve, and what its
guests' comments go on.

Every door a link opens asks here: its pages and JSON (`reviews.shared_views`), the guest API
(`/api/v1/shared/…`: comments, stills, review status, sessions), its sockets and its media claims.
The rules:

- A link is live while it is neither revoked nor expired and what it shares is in sight: not in a
  deleted project, and for a comparison neither of its videos either (members lose sight of such a
  comparison the same way: `videos.selectors.COMPARISONS_VISIBLE`). Back when the project is restored.
- A comparison's or a video's link shows that one object; a stack's link its newest ready version
  against the ready one before (that comparison once made, else the newest version alone).
- A project's link lists its videos (each stack once, as its newest version) and its comparisons in
  sight; a request names one of them (`?video=` any version of its stacks, or `?comparison=`), and
  nothing else of the workspace. A video or comparison moved out or deleted is gone from it at once.
- Media: the videos the link shows now; a project's link, its videos and the two videos of each of
  its comparisons in sight (a comparison's page plays both).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from reviews.models import ShareLink
from sage.api.fields import is_id
from sage.errors import FieldInvalid, NotFound
from videos.models import Comparison, Video, VideoStack
from videos.selectors import COMPARISONS_VISIBLE
from videos.versions.selectors import stack_latest_pair, without_older_versions

NAME_THE_TARGET = "Say which of the project's videos (`video`) or comparisons (`comparison`)."


# --- live or not ---------------------------------------------------------------------------------


def live_links(now: datetime | None = None) -> Q:
    """Links neither revoked nor expired at `now` (a filter; whether what they share is still in
    sight is `link_in_sight`, which needs their objects)."""
    moment = now or timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=moment))


def link_state(link: ShareLink, now: datetime | None = None) -> str:
    """`active`, `revoked` or `expired`."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def link_in_sight(link: ShareLink) -> bool:
    """Whether what the link shares is out of no deleted project: its project, its video's or stack's,
    or its comparison's and both of that comparison's videos' (as members see it)."""
    if link.project is not None:
        return link.project.deleted_at is None
    if link.comparison_id is not None:
        return Comparison.objects.filter(COMPARISONS_VISIBLE, pk=link.comparison_id).exists()
    holder = link.video or link.stack
    project = holder.project if holder is not None else None
    return project is None or project.deleted_at is None


def link_is_live(link: ShareLink, now: datetime | None = None) -> bool:
    """Whether the link opens anything now: not revoked, not expired, its object in sight."""
    return link_state(link, now) == "active" and link_in_sight(link)


# --- what a project's link reaches ---------------------------------------------------------------


def project_link_videos(link: ShareLink) -> QuerySet[Video]:
    """Every video a project's link reaches by name: the project's, any version of its stacks."""
    assert link.project_id is not None
    return Video.objects.filter(project_id=link.project_id)


def project_link_listed_videos(link: ShareLink) -> list[Video]:
    """What a project's link's page lists: its videos, each stack once as its newest version."""
    return list(without_older_versions(project_link_videos(link)).order_by("-created_at", "-pk"))


def project_link_comparisons(link: ShareLink) -> QuerySet[Comparison]:
    """The comparisons a project's link reaches: the project's, while neither video is in a deleted
    project (a comparison shows both videos, so it goes out of sight with either's)."""
    assert link.project_id is not None
    return Comparison.objects.filter(COMPARISONS_VISIBLE, project_id=link.project_id).select_related(
        "video_a", "video_b", "owner"
    )


# A video or a comparison: what a project's link reaches by id.
Reached = TypeVar("Reached", Video, Comparison)


def _id_from(value: object) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if is_id(value) else None


def _reached(reached: QuerySet[Reached], pk: object, noun: str) -> Reached:
    """The row of `reached` (what a project's link reaches of one kind) `pk` names; NotFound for any
    other, and for a malformed id."""
    found_id = _id_from(pk)
    found = reached.filter(pk=found_id).first() if found_id is not None else None
    if found is None:
        raise NotFound(f"No such {noun} in this project.")
    return found


def link_target(link: ShareLink, *, video: object = None, comparison: object = None) -> Video | Comparison | None:
    """What a guest's request names (`video` or `comparison`, from its path or query string) through
    `link`: one of a project's link's videos or comparisons (FieldInvalid unless exactly one is
    named, NotFound for any other); None for the other links, which show one object and take neither
    (NotFound when one is given anyway)."""
    video = None if video == "" else video
    comparison = None if comparison == "" else comparison
    if link.project_id is None:
        if video is not None or comparison is not None:
            raise NotFound("No such video on this link.")
        return None
    if (video is None) == (comparison is None):
        raise FieldInvalid(NAME_THE_TARGET, field="video")
    if video is not None:
        return _reached(project_link_videos(link), video, "video")
    return _reached(project_link_comparisons(link), comparison, "comparison")


# --- what a link shows ---------------------------------------------------------------------------


def stack_shown(stack: VideoStack) -> Comparison | Video:
    """What a stack shows now (its link's page, its comments, its sessions): its newest version
    against the one before (that comparison), or the newest version alone while there is no such
    comparison (Http404 for a stack with no version left)."""
    newest, comparison = stack_latest_pair(stack)
    return comparison if comparison is not None else newest


def link_shown(link: ShareLink, shown: Video | Comparison | None = None) -> Comparison | Video:
    """What the link's page shows now and its guests comment on: its comparison or video; a stack's
    current pair (`stack_shown`; Http404 when no version is left); for a project's link `shown`,
    one of its own (`link_target`; FieldInvalid when none is named)."""
    if link.comparison_id is not None:
        assert link.comparison is not None
        return link.comparison
    if link.video is not None:
        return link.video
    if link.project_id is not None:
        if shown is None:
            raise FieldInvalid(NAME_THE_TARGET, field="video")
        return shown
    assert link.stack is not None  # the check constraint: exactly one object
    return stack_shown(link.stack)


def shown_videos(shown: Comparison | Video) -> list[Video]:
    return [shown.video_a, shown.video_b] if isinstance(shown, Comparison) else [shown]


def link_media_video(link: ShareLink, video_id: int) -> Video:
    """A video whose files the link may serve now, or NotFound: those its page shows; a project's
    link's videos and the two of each of its comparisons."""
    if link.project_id is not None:
        pairs = project_link_comparisons(link)
        of_pair = Q(pk__in=pairs.values("video_a_id")) | Q(pk__in=pairs.values("video_b_id"))
        video = Video.objects.filter(Q(project_id=link.project_id) | of_pair, pk=video_id).first()
        if video is None:
            raise NotFound("No such file.")
        return video
    try:
        shown = link_shown(link)
    except Http404:
        raise NotFound("No such file.") from None
    for video in shown_videos(shown):
        if video.pk == video_id:
            return video
    raise NotFound("No such file.")


def link_reaches_object(link: ShareLink, on: Comparison | Video | None) -> bool:
    """Whether a comment on `on` is still the link's to show: a project's link's, while `on` is one of
    its own; other links' always (a stack's comments stay on the pair they were made on)."""
    if link.project_id is None:
        return True
    if on is None:
        return False
    if isinstance(on, Comparison):
        return project_link_comparisons(link).filter(pk=on.pk).exists()
    return on.project_id == link.project_id
