"""A version's page actions: "What changed since v1" makes that comparison and opens it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.models import User
from videos.compare.services import ComparisonRefused
from videos.selectors import video_get_for_user
from videos.versions.services import version_compare_with_first


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


@require_POST
@login_required
def compare_with_first_view(request: HttpRequest, video_id: int) -> HttpResponse:
    video = video_get_for_user(_user(request), video_id)
    try:
        comparison = version_compare_with_first(user=_user(request), video=video)
    except ComparisonRefused as refusal:
        messages.error(request, f"Not compared: {refusal.reason}")
        return redirect("videos:video", video_id=video.pk)
    return redirect("compare:comparison", comparison_id=comparison.pk)
