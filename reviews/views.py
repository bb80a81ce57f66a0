"""The owner's share-link actions, and members' review-status changes, as plain form posts: the page
works before its script loads (and without it); share_links.js does the same through the API and
stays on the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from reviews.approvals import review_status_set_by_member
from reviews.forms import ReviewStatusForm, ShareLinkForm
from reviews.models import ShareLink
from reviews.selectors import share_link_get_for_user
from reviews.services import LinkNotLive, share_link_create, share_link_revoke, share_link_rotate
from sage.errors import FieldInvalid
from videos.compare.selectors import comparison_get_for_user
from videos.models import Comparison, Project, ReviewStatus, Video, VideoStack
from videos.projects.selectors import project_get_for_user
from videos.selectors import video_get_for_user
from videos.versions.selectors import stack_get_for_user, stack_latest_pair
from workspaces.current import acting_membership, request_actor
from workspaces.doors import workspace_actions
from workspaces.policy import require

PANEL_ANCHOR = "#share-links"
STATUS_ANCHOR = "#review-status"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _page_of(link: ShareLink) -> str:
    if link.project_id is not None:
        return reverse("videos:project", args=[link.project_id]) + PANEL_ANCHOR
    if link.comparison_id is not None:
        return reverse("compare:comparison", args=[link.comparison_id]) + PANEL_ANCHOR
    if link.stack is not None:
        return _stack_page(link.stack)
    return reverse("videos:video", args=[link.video_id]) + PANEL_ANCHOR


def _stack_page(stack: VideoStack) -> str:
    """A stack's panel lives on its newest version's page (the library once no version is left)."""
    try:
        newest, _ = stack_latest_pair(stack)
    except Http404:
        return reverse("videos:library")
    return reverse("videos:video", args=[newest.pk]) + PANEL_ANCHOR


def _create_from_form(
    request: HttpRequest, shared: Comparison | Video | VideoStack | Project, page: str
) -> HttpResponse:
    """The panel's form without JavaScript: make the link, say how it went on the page it came from."""
    require(request_actor(request), "share_link.manage", workspace_id=shared.workspace_id)
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"Share link not made: {form.fields[field].label or field}: {errors[0]}")
        return redirect(page)
    try:
        link, _ = share_link_create(member=acting_membership(request), shared=shared, **form.cleaned_data)
    except FieldInvalid as refusal:
        messages.error(request, f"Share link not made: {refusal.reason}")
    else:
        messages.success(request, f"Share link “{link.name}” made: copy it from the list.")
    return redirect(page)


@require_POST
@login_required
@workspace_actions(POST="share_link.manage")
def comparison_share_link_create(request: HttpRequest, comparison_id: int) -> HttpResponse:
    comparison = comparison_get_for_user(acting_membership(request), comparison_id)
    return _create_from_form(request, comparison, reverse("compare:comparison", args=[comparison.pk]) + PANEL_ANCHOR)


@require_POST
@login_required
@workspace_actions(POST="share_link.manage")
def video_share_link_create(request: HttpRequest, video_id: int) -> HttpResponse:
    """A link to this video, or — when the form chose it and the video is a version — to its stack."""
    video = video_get_for_user(acting_membership(request), video_id)
    page = reverse("videos:video", args=[video.pk]) + PANEL_ANCHOR
    if request.POST.get("shares") == "stack" and video.stack_id is not None:
        return _create_from_form(request, stack_get_for_user(acting_membership(request), video.stack_id), page)
    return _create_from_form(request, video, page)


@require_POST
@login_required
@workspace_actions(POST="share_link.manage")
def stack_share_link_create(request: HttpRequest, stack_id: int) -> HttpResponse:
    stack = stack_get_for_user(acting_membership(request), stack_id)
    return _create_from_form(request, stack, _stack_page(stack))


@require_POST
@login_required
@workspace_actions(POST="share_link.manage")
def project_share_link_create(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(acting_membership(request), project_id)
    return _create_from_form(request, project, reverse("videos:project", args=[project.pk]) + PANEL_ANCHOR)


@require_POST
@login_required
@workspace_actions(POST="share_link.manage")
def share_link_revoke_page(request: HttpRequest, link_id: int) -> HttpResponse:
    link = share_link_revoke(link=_link_to_manage(request, link_id), by=_user(request))
    messages.success(request, f"Share link “{link.name}” revoked: it no longer opens anything.")
    return redirect(_page_of(link))


@require_POST
@login_required
@workspace_actions(POST="share_link.manage")
def share_link_rotate_page(request: HttpRequest, link_id: int) -> HttpResponse:
    link = _link_to_manage(request, link_id)
    try:
        share_link_rotate(link=link, by=_user(request))
    except LinkNotLive as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Share link “{link.name}” has a new URL: the old one no longer opens anything.")
    return redirect(_page_of(link))


def _link_to_manage(request: HttpRequest, link_id: int) -> ShareLink:
    link = share_link_get_for_user(acting_membership(request), link_id)
    require(request_actor(request), "share_link.manage", workspace_id=link.workspace_id)
    return link


# --- review statuses ----------------------------------------------------------------------------------


def _back_to(request: HttpRequest, page: str) -> str:
    """The page the form was on (a version's status is set from its stack's other versions' pages
    too), when it is one of this site's; else `page`."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return page


def _set_status_from_form(request: HttpRequest, target: Video | Comparison, page: str) -> HttpResponse:
    form = ReviewStatusForm(request.POST)
    back = _back_to(request, page)
    if not form.is_valid():
        messages.error(request, "Choose a review status.")
        return redirect(back)
    status = form.cleaned_data["status"]
    try:
        change = review_status_set_by_member(member=acting_membership(request), target=target, status=status)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
        return redirect(back)
    label = ReviewStatus(status).label
    if change is None:
        messages.info(request, f"The review status was already “{label}”.")
    else:
        messages.success(request, f"Review status set to “{label}”.")
    return redirect(back)


@require_POST
@login_required
@workspace_actions(POST="review_status.set")
def video_review_status_page(request: HttpRequest, video_id: int) -> HttpResponse:
    video = video_get_for_user(acting_membership(request), video_id)
    return _set_status_from_form(request, video, reverse("videos:video", args=[video.pk]) + STATUS_ANCHOR)


@require_POST
@login_required
@workspace_actions(POST="review_status.set")
def comparison_review_status_page(request: HttpRequest, comparison_id: int) -> HttpResponse:
    comparison = comparison_get_for_user(acting_membership(request), comparison_id)
    return _set_status_from_form(
        request, comparison, reverse("compare:comparison", args=[comparison.pk]) + STATUS_ANCHOR
    )
