"""The page anyone with a share link opens, without an account: `/s/<token>/`, its JSON and its media.

Every request resolves the token again (`reviews.access.share_link_for_request`: a wrong, revoked or
expired token is the same 404) and notes the opening. What the page shows comes from
`reviews.shared`, from the link's one object only. Every answer carries `Referrer-Policy:
same-origin` (the token is in the path: no other site ever receives it as a referrer) and
`X-Robots-Tag: noindex`; pages and JSON are not stored by caches either. Not `no-referrer`: under it
a browser posts forms with `Origin: null`, which Django's CSRF check rightly refuses, so the password
form could not be sent.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from reviews.access import share_link_for_request
from reviews.approvals import review_status_set_by_guest, status_rate_check
from reviews.live import link_guest
from reviews.models import ShareLink
from reviews.reach import link_media_video, link_target
from reviews.selectors import PASSWORD_WINDOW_S, PasswordAttemptsExceeded, PasswordRequired
from reviews.services import share_link_opened
from reviews.shared import (
    fresh_media,
    media_claim,
    share_link_shown,
    shared_comparison_context,
    shared_project_context,
    shared_video_context,
)
from sage.api.errors import error_response
from sage.client_address import address_bucket, client_address
from sage.errors import ApplicationError, Invalid, NotFound
from sage.views import not_found
from videos.api.comparison_markers import MarkersInput
from videos.api.comparisons import ThresholdInput, comparison_payload
from videos.captions import VTT_CONTENT_TYPE, webvtt
from videos.compare.markers import CONTENT_TYPES, MARKER_FILE_TYPES, comparison_markers_file
from videos.compare.services import MAX_THRESHOLD
from videos.compare.timecode import TimecodeInvalid
from videos.compare.views import comparison_template
from videos.media import played_file, serve_stored_file
from videos.models import Comparison, ReviewStatus, Video
from videos.selectors import transcript_lines
from workspaces.doors import NOT_WORKSPACE_WORK, workspace_actions
from workspaces.policy import require

SHARED_HEADERS = {"Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex, nofollow"}


def _shared(response: HttpResponseBase, *, store: bool = False) -> HttpResponseBase:
    for name, value in SHARED_HEADERS.items():
        response[name] = value
    if not store:
        patch_cache_control(response, private=True, no_store=True)
    return response


def _opened(request: HttpRequest, token: str, *, password: str | None = None) -> ShareLink:
    link = share_link_for_request(request, token, password=password)
    share_link_opened(link=link)
    return link


def _not_found_page(request: HttpRequest) -> HttpResponseBase:
    # The site's own 404 page: a wrong, revoked or expired link looks like any missing page.
    return _shared(not_found(request))


def _json_refusal(refusal: ApplicationError) -> HttpResponseBase:
    return _shared(error_response(refusal))


def _password_page(
    request: HttpRequest, token: str, *, error: str = "", status: int = 403, retry_after: int = 0
) -> HttpResponseBase:
    context = {"token": token, "error": error, "retry_minutes": math.ceil(retry_after / 60) if retry_after else 0}
    response = render(request, "reviews/shared_password.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return _shared(response)


@require_http_methods(["GET", "HEAD", "POST"])
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # a link's guest: the link decides
def shared_page(request: HttpRequest, token: str) -> HttpResponseBase:
    """The shared comparison or video; a password form first when the link has one (POST unlocks it
    for this browser's session, then back here)."""
    offered = request.POST.get("password", "") if request.method == "POST" else None
    try:
        link = _opened(request, token, password=offered)
    except NotFound:
        return _not_found_page(request)
    except PasswordAttemptsExceeded:
        return _password_page(request, token, status=429, retry_after=PASSWORD_WINDOW_S)
    except PasswordRequired:
        error = ("That password is not right." if offered else "Enter the password.") if offered is not None else ""
        return _password_page(request, token, error=error)
    if request.method == "POST":
        return _shared(redirect("shared:page", token=token))
    if link.project_id is not None:
        return _shared(render(request, "reviews/shared_project.html", shared_project_context(token, link)))
    try:
        shown = share_link_shown(link)
    except Http404:
        return _not_found_page(request)  # a stack whose versions are all gone
    if isinstance(shown, Comparison):
        context = shared_comparison_context(request, token, link, shown)
        return _shared(render(request, comparison_template(shown), context))
    return _shared(render(request, "reviews/shared_video.html", shared_video_context(request, token, link, shown)))


@require_safe
def shared_project_video(request: HttpRequest, token: str, video_id: int) -> HttpResponseBase:
    """One video of a project's link, shown as a video's link shows it; any other video is a 404."""
    try:
        link = _opened(request, token)
        if link.project_id is None:
            raise NotFound()
        video = share_link_shown(link, video_id)
    except PasswordRequired:
        return _shared(redirect("shared:page", token=token))  # the project's page asks for it
    except (ApplicationError, Http404):
        return _not_found_page(request)
    assert isinstance(video, Video)
    return _shared(render(request, "reviews/shared_video.html", shared_video_context(request, token, link, video)))


@require_safe
def shared_project_comparison(request: HttpRequest, token: str, comparison_id: int) -> HttpResponseBase:
    """One comparison of a project's link, shown as a comparison's link shows it; any other is a 404."""
    try:
        link = _opened(request, token)
        if link.project_id is None:
            raise NotFound()
        comparison = share_link_shown(link, comparison_id=comparison_id)
    except PasswordRequired:
        return _shared(redirect("shared:page", token=token))  # the project's page asks for it
    except (ApplicationError, Http404):
        return _not_found_page(request)
    assert isinstance(comparison, Comparison)
    context = shared_comparison_context(request, token, link, comparison)
    return _shared(render(request, comparison_template(comparison), context))


@require_safe
def shared_comparison_json(request: HttpRequest, token: str, comparison_id: int | None = None) -> HttpResponseBase:
    """The shared comparison judged at `?threshold=` without saving (the API's comparison shape):
    what the page's slider and its wait for the check ask, through the link instead of the owner's API
    (a project's link: its comparison `comparison_id`)."""
    try:
        link = _opened(request, token)
        if comparison_id is not None and link.project_id is None:
            raise NotFound()
        shown = share_link_shown(link, comparison_id=comparison_id)
    except ApplicationError as refusal:
        return _json_refusal(refusal)
    except Http404:
        return _json_refusal(NotFound())
    if not isinstance(shown, Comparison):
        return _json_refusal(NotFound("This link shows no comparison."))
    threshold = None
    if "threshold" in request.GET:
        query = ThresholdInput(data=request.GET)
        if not query.is_valid():
            fields = {name: [str(message) for message in messages] for name, messages in query.errors.items()}
            return _json_refusal(Invalid(f"threshold: between 0 and {MAX_THRESHOLD:g}.", fields=fields))
        threshold = query.validated_data["threshold"]
    return _shared(JsonResponse(comparison_payload(shown, threshold)))


@require_safe
def shared_media_json(request: HttpRequest, token: str) -> HttpResponseBase:
    """Fresh signed media URLs for the page's players, asked before the ones it has expire."""
    try:
        link = _opened(request, token)
        video_id, comparison_id = request.GET.get("video", ""), request.GET.get("comparison", "")
        fresh = fresh_media(
            token,
            link,
            int(video_id) if video_id.isdigit() else None,
            int(comparison_id) if comparison_id.isdigit() else None,
        )
        return _shared(JsonResponse(fresh))
    except ApplicationError as refusal:
        return _json_refusal(refusal)
    except Http404:
        return _json_refusal(NotFound())


@require_safe
def shared_media(request: HttpRequest, token: str, signed: str) -> HttpResponseBase:
    """A video's file, poster, sprite or captions through a signed URL of this link: the link must
    still be live, the signature good and unexpired, and the video one the link shows now."""
    try:
        link = _opened(request, token)
        claim = media_claim(signed)
        if claim.link_id != link.pk:
            raise NotFound("No such file.")
        video = link_media_video(link, claim.video_id)
    except (ApplicationError, Http404):
        # Passwords too: the media of a locked link are for the browser that unlocked it.
        return _not_found_page(request)
    if claim.kind == "captions":
        captions = HttpResponse(webvtt(transcript_lines(video.pk)), content_type=VTT_CONTENT_TYPE)
        return _shared(captions)
    if claim.kind == "file":
        key, content_type = played_file(video)
    elif claim.kind == "small":
        key, content_type = video.small_key, "video/mp4"
    else:
        key, content_type = {"poster": video.poster_key, "sprite": video.sprite_key}[claim.kind], "image/jpeg"
    try:
        lifetime = settings.SHARE_MEDIA_URL_SECONDS
        served = serve_stored_file(request, key, content_type=content_type, url_seconds=lifetime)
    except Http404:
        return _not_found_page(request)
    # Files keep serve_stored_file's caching (kept, revalidated, with validators): a player re-reads ranges.
    return _shared(served, store=True)


@require_safe
def shared_markers(
    request: HttpRequest, token: str, file_type: str, comparison_id: int | None = None
) -> HttpResponseBase:
    """The shared comparison's differences and this link's comments as markers for an editing
    program, as the policy's `video.view` lets a link's guest export what it shows them (a
    project's link: its comparison `comparison_id`). `?side=` and `?start_timecode=` as the API's."""
    try:
        link = _opened(request, token)
        if comparison_id is not None and link.project_id is None:
            raise NotFound()
        shown = share_link_shown(link, comparison_id=comparison_id)
        if not isinstance(shown, Comparison) or file_type not in MARKER_FILE_TYPES:
            raise NotFound()
        guest = link_guest(link)
        require(guest, "video.view", workspace_id=shown.workspace_id)
    except (ApplicationError, Http404, PermissionDenied):
        return _not_found_page(request)
    query = MarkersInput(data=request.GET)
    if not query.is_valid():
        fields = {name: [str(message) for message in messages] for name, messages in query.errors.items()}
        return _json_refusal(Invalid("side: a or b; start_timecode: HH:MM:SS:FF.", fields=fields))
    side = query.validated_data["side"]
    try:
        body = comparison_markers_file(
            shown,
            actor=guest,
            side=side,
            file_type=file_type,
            start_timecode=query.validated_data["start_timecode"],
        )
    except TimecodeInvalid as exc:
        return _json_refusal(Invalid(str(exc), fields={"start_timecode": [str(exc)]}))
    response = HttpResponse(body, content_type=CONTENT_TYPES[file_type])
    response["Content-Disposition"] = f'attachment; filename="comparison-{shown.pk}-markers-{side}.{file_type}"'
    return _shared(response)


@require_POST
@workspace_actions(POST=NOT_WORKSPACE_WORK)  # a link's guest: the link decides
def shared_review_status(
    request: HttpRequest, token: str, video_id: int | None = None, comparison_id: int | None = None
) -> HttpResponseBase:
    """A guest sets the review status from the shared page's form (links that allow it), then back to
    the page, which says how it went; on a project's link, of its video `video_id` or comparison
    `comparison_id`, back to its page. The API does the same for scripts (`reviews.approvals_api`)."""
    page = reverse("shared:page", args=[token])
    if video_id is not None:
        page = reverse("shared:project-video", args=[token, video_id])
    elif comparison_id is not None:
        page = reverse("shared:project-comparison", args=[token, comparison_id])
    try:
        link = _opened(request, token)
    except ApplicationError:  # gone, or locked for this browser: the page itself says which
        return _shared(redirect("shared:page", token=token))
    try:
        shown = link_target(link, video=video_id, comparison=comparison_id)
        status_rate_check(link=link, client=address_bucket(client_address(request)))
        _, change = review_status_set_by_guest(
            link=link, status=request.POST.get("status"), author_name=request.POST.get("author_name"), shown=shown
        )
    except NotFound:
        return _not_found_page(request)  # not (or no longer) in the project
    except ApplicationError as refusal:
        messages.error(request, getattr(refusal, "reason", refusal.message))
    else:
        label = ReviewStatus(request.POST["status"]).label
        if change is None:
            messages.info(request, f"The review status was already “{label}”.")
        else:
            messages.success(request, f"Review status set to “{label}”.")
    return _shared(redirect(page))
