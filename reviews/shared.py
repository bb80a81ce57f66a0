"""What a share link shows, and the short-lived signed URLs its page's media come through.

A link opens one object: a comparison, a video, a version stack (whose newest version, against
the one before when that comparison is made), or a project (a list of its videos, each opened on a
page of its own: `share_link_shown(link, video_id)`). What a link reaches is defined once, in
`reviews.reach`: nothing else of the workspace is reachable from it.

Media (the files, posters, hover sprites and captions) are never served at the owner's routes. Each
URL is `/s/<token>/media/<signed>/`, the signed part carrying the link's id, the video's id and the
kind of file, signed with `django.core.signing` under a salt of its own and good for
SHARE_MEDIA_URL_SECONDS. The media view checks all of it again, and that the link is still live, on
every request: revoking a link kills its URLs at once, expiry within their lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest
from django.urls import reverse

from notes.selectors import notes_on_video
from notes.serializers import note_payload
from reviews.approvals import StatusPanel, status_history, status_target_of_link
from reviews.live import can_comment, can_join_sessions, can_set_status, link_guest
from reviews.models import ShareLink
from reviews.reach import link_shown, link_target, project_link_comparisons, project_link_listed_videos
from sage.errors import NotFound
from sage.formatting import clock_tenths
from videos.compare.views import PlayerMedia, SharedMode, comparison_context, marker_form, marker_links
from videos.models import Comparison, Video
from videos.presenters import VideoView
from videos.views import player_context
from workspaces.policy import may

# "file" is what players play (videos.media.played_file), "small" the copy for phones and slow
# links. The original is not offered to a link's guests: a link lets them watch, not take the master.
MediaKind = Literal["file", "small", "poster", "sprite", "captions"]
MEDIA_KINDS: tuple[MediaKind, ...] = ("file", "small", "poster", "sprite", "captions")
_MEDIA_SALT = "reviews.shared.media-url"
SHARED_BASE_TEMPLATE = "reviews/shared_base.html"


# --- what a link shows --------------------------------------------------------------------------------


def share_link_shown(
    link: ShareLink, video_id: int | None = None, comparison_id: int | None = None
) -> Comparison | Video:
    """The comparison or video the link's page shows now (`reviews.reach.link_shown`; Http404 for a
    stack with no version); for a project's link, its video `video_id` or comparison `comparison_id`
    (NotFound for any it does not reach)."""
    if link.project_id is not None and video_id is None and comparison_id is None:
        raise Http404("A project's link opens one of its videos or comparisons at a time.")
    return link_shown(link, link_target(link, video=video_id, comparison=comparison_id))


# --- signed media URLs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaClaim:
    """What a signed media URL says: this link, this video, this kind of file."""

    link_id: int
    video_id: int
    kind: MediaKind


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_MEDIA_SALT)


def media_url(token: str, link: ShareLink, video: Video, kind: MediaKind) -> str:
    signed = _signer().sign_object({"l": link.pk, "v": video.pk, "k": kind})
    return reverse("shared:media", args=[token, signed])


def media_claim(signed: str) -> MediaClaim:
    """The claim of a signed media URL still within its lifetime, or NotFound (tampered, expired,
    or not one of ours)."""
    try:
        value = _signer().unsign_object(signed, max_age=settings.SHARE_MEDIA_URL_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        raise NotFound("No such file.") from None
    if not isinstance(value, dict) or value.get("k") not in MEDIA_KINDS:
        raise NotFound("No such file.")
    link_id, video_id = value.get("l"), value.get("v")
    if not isinstance(link_id, int) or not isinstance(video_id, int):
        raise NotFound("No such file.")
    return MediaClaim(link_id=link_id, video_id=video_id, kind=cast(MediaKind, value["k"]))


def video_media_urls(token: str, link: ShareLink, video: Video) -> dict[str, str]:
    """The signed URLs of what the video has (an absent file gets no URL)."""
    present: dict[MediaKind, bool] = {
        "file": bool(video.playback_key),
        "small": bool(video.small_key),
        "poster": bool(video.poster_key),
        "sprite": bool(video.sprite_key and video.sprite_meta),
        "captions": video.source != Video.Source.YOUTUBE,
    }
    return {kind: media_url(token, link, video, kind) for kind, there in present.items() if there}


def fresh_media(
    token: str, link: ShareLink, video_id: int | None = None, comparison_id: int | None = None
) -> dict[str, Any]:
    """What static/js/reviews/shared_media.js swaps in before the page's URLs expire: per player
    slot (`a` and `b` on a comparison, `video` on a video), its new URLs. A project's link: those of
    its video `video_id` or comparison `comparison_id`, the one the page shows."""
    shown = share_link_shown(link, video_id, comparison_id)
    slots = {"a": shown.video_a, "b": shown.video_b} if isinstance(shown, Comparison) else {"video": shown}
    return {
        "expires_in": settings.SHARE_MEDIA_URL_SECONDS,
        "media": {slot: video_media_urls(token, link, video) for slot, video in slots.items()},
    }


def project_query(link: ShareLink, shown: Comparison | Video) -> str:
    """How a project's link's requests name what its page shows (`?video=` or `?comparison=`); ""
    for other links, which show one object."""
    if link.project_id is None:
        return ""
    return f"?comparison={shown.pk}" if isinstance(shown, Comparison) else f"?video={shown.pk}"


def _media_script_config(token: str, query: str = "") -> dict[str, Any]:
    url = reverse("shared:media-json", args=[token]) + query
    return {"url": url, "expires_in": settings.SHARE_MEDIA_URL_SECONDS}


# --- the pages ------------------------------------------------------------------------------------


def guest_comments_panel(token: str, link: ShareLink, shown: Comparison | Video) -> dict[str, Any]:
    """templates/reviews/partials/comments.html for a guest of the link (the reviews API's URLs). A
    project's link names the video or comparison in each (`project_query`): its comments, and its
    socket's events, are that one's."""
    comparison = shown if isinstance(shown, Comparison) else None
    which = project_query(link, shown)
    return {
        "mode": "guest",
        "can_comment": can_comment(link),
        "api_url": f"/api/v1/shared/{token}/comments{which}",
        "socket_url": f"/ws/shared/{token}/{which}",
        "sides": [["a", "A"], ["b", "B"]] if comparison is not None else [["video", "The video"]],
        "comparison_id": comparison.pk if comparison is not None else None,
        "video_id": None if comparison is not None else shown.pk,
    }


def guest_status_panel(token: str, link: ShareLink, shown: Video | Comparison | None = None) -> StatusPanel | None:
    """The review status card of a shared page: what the link's guests set (a stack's link: its newest
    version, named in the heading, as the page shows a pair; a project's link: the page's `shown`);
    None for a stack with no version left."""
    try:
        target = status_target_of_link(link, shown if link.project_id is not None else None)
    except Http404:
        return None
    of_stack = link.stack_id is not None and isinstance(target, Video)
    action = reverse("shared:review-status", args=[token])
    if link.project_id is not None:
        kind = "comparison" if isinstance(target, Comparison) else "video"
        action = reverse(f"shared:project-{kind}-review-status", args=[token, target.pk])
    return StatusPanel(
        target=target,
        history=status_history(target),
        can_set=can_set_status(link),
        action=action,
        guest=True,
        heading=f"Review status of v{target.version}" if of_stack and isinstance(target, Video) else "Review status",
    )


def shared_comparison_context(
    request: HttpRequest, token: str, link: ShareLink, comparison: Comparison
) -> dict[str, Any]:
    """templates/compare/comparison.html in its shared mode."""

    def media(video: Video) -> PlayerMedia:
        urls = video_media_urls(token, link, video)
        return PlayerMedia(
            video=video,
            file_url=urls.get("file", ""),
            poster_src=urls.get("poster", ""),
            sprite_url=urls.get("sprite", ""),
        )

    in_project = link.project_id is not None
    shared = SharedMode(
        page_url=reverse("shared:project-comparison", args=[token, comparison.pk])
        if in_project
        else reverse("shared:page", args=[token]),
        api_url=reverse("shared:project-comparison-json", args=[token, comparison.pk])
        if in_project
        else reverse("shared:comparison-json", args=[token]),
        show_notes=link.show_owner_notes,
        media=media,
        base_template=SHARED_BASE_TEMPLATE,
        comments_panel=guest_comments_panel(token, link, comparison),
    )
    context = comparison_context(comparison, request.GET.dict(), read_only=True, shared=shared)
    context["shared_media"] = _media_script_config(token, project_query(link, comparison))
    context["status_panel"] = guest_status_panel(token, link, comparison)
    context["project_page"] = reverse("shared:page", args=[token]) if in_project else ""
    context["session_start"] = guest_session_start(token, link)
    if may(link_guest(link), "video.view", workspace_id=comparison.workspace_id):

        def markers_url(shown: Comparison, file_type: str) -> str:
            if in_project:
                return reverse("shared:project-comparison-markers", args=[token, shown.pk, file_type])
            return reverse("shared:markers", args=[token, file_type])

        context["marker_links"] = marker_links(comparison, markers_url)
        context["marker_form"] = marker_form(comparison, markers_url)
    return context


def guest_session_start(token: str, link: ShareLink) -> dict[str, Any] | None:
    """The shared page's "Start a live session" (templates/review_sessions/partials/start_button.html,
    session/start.js) when the link lets its guests into sessions; None otherwise."""
    if not can_join_sessions(link):
        return None
    sessions = reverse("api-shared-sessions", args=[token])
    return {"start_url": sessions, "list_url": sessions, "body_json": "{}", "guest": True, "may_start": True}


@dataclass(frozen=True)
class SharedVideoView(VideoView):
    """A video as its shared page shows it: the player's URLs are the link's signed ones."""

    urls: dict[str, str] = field(default_factory=dict)

    @property
    def file_url(self) -> str:
        return self.urls.get("file", "")

    @property
    def small_url(self) -> str:
        return self.urls.get("small", "")

    @property
    def original_url(self) -> str:
        return ""  # see MediaKind: not through a link

    @property
    def poster_src(self) -> str:
        # A YouTube video's poster is YouTube's own picture; an upload's comes through the link.
        return self.urls.get("poster", "") or (self.video.poster_url if self.is_youtube else "")

    @property
    def captions_url(self) -> str:
        return self.urls.get("captions", "")


@dataclass(frozen=True)
class SharedNote:
    at: str
    start: float
    html: str


def shared_video_context(request: HttpRequest, token: str, link: ShareLink, video: Video) -> dict[str, Any]:
    """templates/reviews/shared_video.html: the player, the transcript, the owner's notes if chosen."""
    view = SharedVideoView(video=video, urls=video_media_urls(token, link, video))
    in_project = link.project_id is not None
    notes = notes_on_video(video) if link.show_owner_notes else []
    return {
        **player_context(request, video, view),
        "show_notes": link.show_owner_notes,
        "notes": [
            SharedNote(at=clock_tenths(payload["start"]), start=payload["start"], html=payload["html"])
            for payload in (note_payload(note) for note in notes)
        ],
        "comments_panel": guest_comments_panel(token, link, video),
        "status_panel": guest_status_panel(token, link, video),
        "shared_media": _media_script_config(token, project_query(link, video)),
        "project_page": reverse("shared:page", args=[token]) if in_project else "",
        "session_start": guest_session_start(token, link),
    }


@dataclass(frozen=True)
class SharedComparisonRow:
    """One comparison on a project link's page: where it opens under the link."""

    comparison: Comparison
    url: str


@dataclass(frozen=True)
class SharedCard:
    """One video on a project link's page: where it opens, and its poster through the link."""

    video: Video
    url: str
    poster_src: str


def shared_project_context(token: str, link: ShareLink) -> dict[str, Any]:
    """templates/reviews/shared_project.html: the project's videos and comparisons, each opening on
    its own page (where the link's guests comment and set its status, when the link lets them)."""
    assert link.project is not None
    cards = [
        SharedCard(
            video=video,
            url=reverse("shared:project-video", args=[token, video.pk]),
            poster_src=media_url(token, link, video, "poster") if video.poster_key else video.poster_url,
        )
        for video in project_link_listed_videos(link)
    ]
    comparisons = [
        SharedComparisonRow(
            comparison=comparison, url=reverse("shared:project-comparison", args=[token, comparison.pk])
        )
        for comparison in project_link_comparisons(link)
        .select_related("video_a__stack", "video_b")
        .order_by("-created_at", "-pk")
    ]
    return {
        "project": link.project,
        "cards": cards,
        "comparisons": comparisons,
        "can_comment": can_comment(link),
        "can_set_status": can_set_status(link),
    }
