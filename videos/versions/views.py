"""A stack's own page, and a version's page actions: "What changed since v1" makes that comparison
and opens it.

The stack's page shows what its share links show their guests (its newest version against the one
before, or the newest alone until that is compared), and moves on as versions come: the compare
page or the version's page, with the members' comments card through the stack (a comment goes on
that pair, members only or on one of the stack's links' threads)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from videos.compare.services import ComparisonRefused
from videos.compare.views import comparison_context, comparison_template
from videos.models import VideoStack
from videos.presenters import owner_comments_panel
from videos.selectors import video_get_for_user
from videos.versions.presenters import StackPage
from videos.versions.selectors import stack_get_for_user, stack_latest_pair
from videos.versions.services import version_compare_with_first
from videos.views import video_page_context
from workspaces.current import acting_membership, request_actor
from workspaces.switcher import found_following_link


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


@require_POST
@login_required
def compare_with_first_view(request: HttpRequest, video_id: int) -> HttpResponse:
    video = video_get_for_user(acting_membership(request), video_id)
    try:
        comparison = version_compare_with_first(user=_user(request), video=video)
    except ComparisonRefused as refusal:
        messages.error(request, f"Not compared: {refusal.reason}")
        return redirect("videos:video", video_id=video.pk)
    return redirect("compare:comparison", comparison_id=comparison.pk)


@require_GET
@login_required
def stack_page(request: HttpRequest, stack_id: int) -> HttpResponse:
    stack = found_following_link(
        request, lambda member: stack_get_for_user(member, stack_id), rows=VideoStack.objects.filter(pk=stack_id)
    )
    newest, comparison = stack_latest_pair(stack)  # Http404 for a stack whose versions are all gone
    if comparison is not None:
        context = comparison_context(comparison, request.GET.dict(), read_only=False, member=request_actor(request))
        template = comparison_template(comparison)
    else:
        context = video_page_context(request, newest)
        template = "videos/video.html"
    if context.get("comments_panel") is not None:  # none while an older engine's row is recomputed
        shown = comparison if comparison is not None else newest
        context["comments_panel"] = owner_comments_panel(shown, actor=request_actor(request), stack=stack)
    context["stack_page"] = StackPage(stack=stack, newest=newest, comparison=comparison)
    return render(request, template, context)
