"""Video pages: the upload page (files and YouTube links), "compare two videos", the library, a
video's page (player, transcript, cancel, retry, delete) and search across the user's transcripts.

Views stay thin: selectors read, services write, and the small dataclasses and helpers here turn
rows into what templates show. The upload page's bytes go through the upload protocol API
(`/api/v1/uploads…`) from `static/js/upload.js`; its view shows the page, the plan's limits, the
price and the balance, and adds a YouTube link posted without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from billing.prices import TOKENS_PER_VIDEO_SECOND
from billing.selectors import wallet_of_workspace
from notes.selectors import notes_for_video
from notes.serializers import note_payload
from sage.formatting import data_size, video_duration
from videos.models import ALLOWED_EXTENSIONS, ReviewStatus, Video
from videos.presenters import (
    LIBRARY_PAGE_SIZE,
    LIVE_LABELS,
    SEARCH_RESULT_LIMIT,
    TRANSCRIPT_LINE_LIMIT,
    SearchHit,
    TranscriptLine,
    VideoView,
    highlight_words,
    owner_comments_panel,
    seconds_attr,
    stage_label,
    start_time,
    youtube_embed_url,
)
from videos.projects.presenters import project_sidebar
from videos.projects.selectors import project_get_for_user
from videos.projects.views import ProjectNameForm
from videos.screen_text.selectors import screen_lines_for_video
from videos.screen_text.state import FAILED_MESSAGE as SCREEN_TEXT_FAILED_MESSAGE
from videos.screen_text.state import SCREEN_TEXT, screen_text_state
from videos.search import has_searchable_videos, search_quotes
from videos.selectors import (
    transcript_for_video,
    transcript_segments,
    video_get_for_user,
    videos_for_user,
)
from videos.services import video_add_youtube, video_cancel, video_delete, video_retry
from videos.timed_text import said_then_shown, words_from_json
from videos.uploads.services import storage_use
from videos.versions.presenters import new_version_of, version_panel
from videos.versions.selectors import NO_PROJECT, library_videos
from videos.youtube import YouTubeError
from workspaces.current import acting_membership, acting_workspace_id, request_actor
from workspaces.policy import may
from workspaces.switcher import found_following_link


@dataclass(frozen=True)
class UploadLimits:
    plan_name: str
    max_upload_bytes: int
    max_video_seconds: int
    storage_used_bytes: int
    storage_quota_bytes: int

    @property
    def max_upload(self) -> str:
        return data_size(self.max_upload_bytes)

    @property
    def max_video_length(self) -> str:
        return video_duration(self.max_video_seconds)

    @property
    def storage_used(self) -> str:
        return data_size(self.storage_used_bytes)

    @property
    def storage_quota(self) -> str:
        return data_size(self.storage_quota_bytes)

    @property
    def storage_free(self) -> str:
        return data_size(max(self.storage_quota_bytes - self.storage_used_bytes, 0))

    @property
    def storage_percent(self) -> int:
        if self.storage_quota_bytes <= 0:
            return 100
        return min(round(100 * self.storage_used_bytes / self.storage_quota_bytes), 100)


def upload_limits_of_workspace(workspace_id: int) -> UploadLimits:
    plan = wallet_of_workspace(workspace_id).plan
    return UploadLimits(
        plan_name=plan.name,
        max_upload_bytes=plan.max_upload_bytes,
        max_video_seconds=plan.max_video_seconds,
        # The plan that pays for the acting workspace counts everything it pays for (a team: its owner's).
        storage_used_bytes=storage_use(workspace_id).used_bytes,
        storage_quota_bytes=plan.storage_quota_bytes,
    )


class YouTubeForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        label="YouTube link",
        widget=forms.TextInput(
            attrs={
                "placeholder": "https://www.youtube.com/watch?v=…",
                "inputmode": "url",
                "aria-describedby": "youtube-url-error",
            }
        ),
        error_messages={"required": "Paste a YouTube link."},
    )


def _upload_context(workspace_id: int) -> dict[str, object]:
    """What the upload page and the compare-two page share, in workspace `workspace_id` (the acting
    one, which pays for what is uploaded there): limits, price, balance, and the URLs their scripts
    use (a video's page and the picker, by id; the APIs)."""
    balance = wallet_of_workspace(workspace_id).balance
    return {
        "limits": upload_limits_of_workspace(workspace_id),
        "accepted_extensions": ",".join(ALLOWED_EXTENSIONS),
        "accepted_formats": ", ".join(ext.lstrip(".").upper() for ext in ALLOWED_EXTENSIONS),
        "uploads_api": reverse("api-uploads"),
        "upload_config": {
            "balance": balance,
            "tokens_per_second": TOKENS_PER_VIDEO_SECOND,
            # A video's page and the picker with it chosen as A: "0" is replaced by the video's id.
            "video_url": reverse("videos:video", args=[0]),
            "compare_url": f"{reverse('compare:picker')}?a=0",
            "comparison_url": reverse("compare:comparison", args=[0]),
            "comparisons_api": reverse("api-comparisons"),
            "youtube_api": reverse("api-videos-youtube"),
        },
        "live_labels": LIVE_LABELS,
    }


@require_http_methods(["GET", "POST"])
@login_required
def upload_page(request: HttpRequest) -> HttpResponse:
    _user(request)
    member = acting_membership(request)
    status = 200
    if request.method == "POST":
        # The YouTube form without JavaScript (upload.js sends it to the API and follows the video).
        youtube_form = YouTubeForm(request.POST, label_suffix="")
        if youtube_form.is_valid():
            try:
                video, created = video_add_youtube(member=member, url=youtube_form.cleaned_data["url"])
            except YouTubeError as exc:
                youtube_form.add_error("url", str(exc))
            else:
                messages.success(
                    request,
                    f"“{video.title}” was added." if created else f"“{video.title}” was added before; here it is.",
                )
                return redirect("videos:video", video_id=video.pk)
        status = 400
    else:
        youtube_form = YouTubeForm(label_suffix="")
    context = {**_upload_context(acting_workspace_id(request)), "youtube_form": youtube_form}
    # "Upload a new version" of one of the user's uploads: one file, which becomes its next version.
    if version_of := new_version_of(member, request.GET.get("version_of")):
        context["version_of"] = version_of
        upload_config = dict(context["upload_config"])  # type: ignore[call-overload]  # a dict in _upload_context
        # Its stack tells an unfinished upload of this version (resumed as it is) from one of another.
        version = {"id": version_of.pk, "title": version_of.title, "stack_id": version_of.stack_id}
        context["upload_config"] = {**upload_config, "version_of": version}
    # "Upload into this project" (the project's page): the new videos are filed there.
    elif request.GET.get("project"):
        project = project_get_for_user(member, request.GET["project"])
        context["into_project"] = project
        upload_config = dict(context["upload_config"])  # type: ignore[call-overload]  # a dict in _upload_context
        context["upload_config"] = {**upload_config, "project": {"id": project.pk, "name": project.name}}
    return render(request, "videos/upload.html", context, status=status)


@require_GET
@login_required
def compare_two_page(request: HttpRequest) -> HttpResponse:
    """Two files (or videos already here) → both uploaded and processed → their comparison opens."""
    member = acting_membership(request)
    # Uploads that are ready or on their way; YouTube videos have no picture of ours to compare.
    choices = (
        videos_for_user(member)
        .filter(
            source=Video.Source.UPLOAD,
            status__in=[Video.Status.READY, Video.Status.QUEUED, Video.Status.PROCESSING],
        )
        .order_by("-created_at", "-pk")
    )
    context = {**_upload_context(acting_workspace_id(request)), "choices": list(choices)}
    return render(request, "videos/compare_two.html", context)


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Title", widget=forms.SearchInput)
    status = forms.ChoiceField(required=False, choices=[("", "All"), *Video.Status.choices], label="Status")
    review = forms.ChoiceField(required=False, choices=[("", "Any"), *ReviewStatus.choices], label="Review")
    # A project's id, or NO_PROJECT; kept by the filters' form while the sidebar chooses it.
    project = forms.RegexField(regex=r"^([0-9]{1,18}|none)$", required=False, widget=forms.HiddenInput)


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=500,
        label="Question or phrase",
        widget=forms.SearchInput(attrs={"placeholder": "e.g. where do they talk about the budget?"}),
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


# --- pages -------------------------------------------------------------------------------------------


@require_GET
@login_required
def library_page(request: HttpRequest) -> HttpResponse:
    form = LibraryFilterForm(request.GET, label_suffix="")
    form.is_valid()  # a bad value drops that filter; the valid ones still apply
    title_words = form.cleaned_data.get("q", "").strip()
    status = form.cleaned_data.get("status", "")
    review = form.cleaned_data.get("review", "")
    member = acting_membership(request)
    wanted = form.cleaned_data.get("project", "")
    # Another workspace's project is a 404, as its page would be.
    project = project_get_for_user(member, wanted) if wanted and wanted != NO_PROJECT else None
    in_project: int | Literal["none"] | None = project.pk if project is not None else (NO_PROJECT if wanted else None)
    videos = library_videos(member, title_words=title_words, status=status, review=review, project=in_project)
    page = Paginator(videos, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filtered": bool(title_words or status or review),
        "page": page,
        "cards": [VideoView(video) for video in page],
        "live_labels": LIVE_LABELS,
        **project_sidebar(member, chosen=in_project),
        "project": project,
        "new_project_form": ProjectNameForm(auto_id="new_project_%s"),
        "here": request.get_full_path(),
    }
    return render(request, "videos/library.html", context)


def player_context(request: HttpRequest, video: Video, view: VideoView) -> dict[str, Any]:
    """What videos/partials/player.html and transcript.html render for `video` (`view` gives its
    media URLs: the owner's routes, or a share link's signed ones)."""
    transcript = transcript_for_video(video)
    # One line past the limit tells the page that the list was cut.
    segments = transcript_segments(video, limit=TRANSCRIPT_LINE_LIMIT + 1) if transcript is not None else []
    start_at = start_time(request.GET.get("t"), video.duration)
    said = [
        TranscriptLine(
            start=s.start, end=s.end, text=s.text, words=words_from_json(s.words), low_confidence=s.low_confidence
        )
        for s in segments[:TRANSCRIPT_LINE_LIMIT]
    ]
    # The text shown on screen, among the said lines in time order.
    shown_rows = screen_lines_for_video(video, limit=TRANSCRIPT_LINE_LIMIT + 1)
    shown = [TranscriptLine(start=row.start, end=row.end, text=row.text, shown=True) for row in shown_rows]
    lines = said_then_shown(said, shown)
    return {
        "video": video,
        "view": view,
        "transcript": transcript,
        "lines": lines[:TRANSCRIPT_LINE_LIMIT],
        "screen_text_state": screen_text_state(video),
        "screen_text_label": stage_label(SCREEN_TEXT),
        "screen_text_failed_message": SCREEN_TEXT_FAILED_MESSAGE,
        "has_uncertain_lines": any(line.low_confidence for line in lines),
        "versions": version_panel(video),
        "lines_cut": len(segments) > TRANSCRIPT_LINE_LIMIT or len(lines) > TRANSCRIPT_LINE_LIMIT,
        "start_at": seconds_attr(start_at),
        # ?quality=small / full: the viewer's choice of copy; otherwise narrow screens get the small one.
        "quality": request.GET.get("quality") if request.GET.get("quality") in ("small", "full") else "",
        "youtube_embed_url": (
            youtube_embed_url(video.youtube_id, start=start_at, origin=f"{request.scheme}://{request.get_host()}")
            if view.is_youtube
            else ""
        ),
        "youtube_api_url": f"{settings.YOUTUBE_BASE_URL.rstrip('/')}/iframe_api",
    }


@require_GET
@login_required
def video_page(request: HttpRequest, video_id: int) -> HttpResponse:
    video = found_following_link(
        request, lambda member: video_get_for_user(member, video_id), rows=Video.objects.filter(pk=video_id)
    )
    return render(request, "videos/video.html", video_page_context(request, video))


def video_page_context(request: HttpRequest, video: Video) -> dict[str, Any]:
    """What videos/video.html renders of a video its viewer may open (its page, or a live session's):
    the comments panel and the notes' actions as the policy lets this member (`viewing`) act."""
    viewing = request_actor(request)
    return {
        **player_context(request, video, VideoView(video)),
        # The buttons this member's role may use, asked of the policy once for the page: the others
        # are not shown (a viewer or a commenter would only meet a refusal behind them).
        "page_may": {
            "change": may(viewing, "video.change", workspace_id=video.workspace_id),
            "chat": may(viewing, "chat.ask", workspace_id=video.workspace_id, made_by=viewing.user_id),
        },
        "comments_panel": owner_comments_panel(video, actor=viewing),
        "live_labels": LIVE_LABELS,
        # The owner's downloads of what is said and shown (a share link's page offers none).
        "transcript_files": {
            file_type: reverse("api-video-transcript-file", kwargs={"video_id": video.pk, "file_type": file_type})
            for file_type in ("txt", "vtt")
        },
        # The notes panel's first list (rendered for pages without JavaScript, and handed to
        # notes_panel.js as JSON) and the notes API it talks to.
        "notes_panel": {
            "notes": [note_payload(note, viewing) for note in notes_for_video(acting_membership(request), video)],
            "list_url": reverse("api-video-notes", kwargs={"ref": video.pk}),
            "note_url": f"{reverse('api-notes')}/",  # + a note's id: its PATCH / DELETE URL
            "duration": seconds_attr(video.duration) if video.duration else "",
            "can_create": may(viewing, "note.create", workspace_id=video.workspace_id),
        },
    }


class VideoAction(Protocol):
    def __call__(self, *, video: Video) -> bool: ...


def _video_action(request: HttpRequest, video_id: int, action: VideoAction, *, done: str, refused: str) -> HttpResponse:
    """Run a cancel or retry service on the user's video and say on its page how it went."""
    video = video_get_for_user(acting_membership(request), video_id)
    if action(video=video):
        messages.success(request, done)
    else:
        messages.info(request, refused)
    return redirect("videos:video", video_id=video.pk)


@require_POST
@login_required
def video_cancel_view(request: HttpRequest, video_id: int) -> HttpResponse:
    return _video_action(
        request,
        video_id,
        video_cancel,
        done="Processing cancelled. The tokens held for it were refunded.",
        refused="This video was not being processed, so there was nothing to cancel.",
    )


@require_POST
@login_required
def video_retry_view(request: HttpRequest, video_id: int) -> HttpResponse:
    return _video_action(
        request,
        video_id,
        video_retry,
        done="Processing queued again. Steps that finished before are not redone.",
        refused="Only a video whose processing failed or was cancelled can be retried (an upload also needs its file).",
    )


@require_POST
@login_required
def video_delete_view(request: HttpRequest, video_id: int) -> HttpResponse:
    video = video_get_for_user(acting_membership(request), video_id)
    title = video.title
    video_delete(video=video)
    messages.success(request, f"“{title}” was deleted.")
    return redirect("videos:library")


@require_GET
@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET, label_suffix="")
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    hits = []
    searchable = False
    if query:
        quotes = search_quotes(acting_membership(request), query, limit=SEARCH_RESULT_LIMIT)
        hits = [SearchHit(quote=quote, highlighted=highlight_words(quote.text, query)) for quote in quotes]
        searchable = bool(hits) or has_searchable_videos(acting_membership(request))
    context = {"form": form, "query": query, "hits": hits, "searchable": searchable}
    return render(request, "videos/search.html", context)
