"""The recut page (`/compare/<id>/recut/`): send a stem laid to v1, see each job's progress, the
stretches left silent, the null test, and download the result. Works without JavaScript: while a
job runs the page reloads itself every few seconds. The change list's page shows the same section
(`recut_section_context`); its form posts here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.models import User
from sage.errors import ApplicationError
from videos.compare.selectors import comparison_get_for_user
from videos.conform.jobs import SECONDS_PER_TOKEN, recut_job_create, start_timecode_of, uploaded_file_path
from videos.conform.selectors import recut_jobs_of_comparison
from videos.conform.wav import MAX_CHANNELS
from videos.models import Comparison, RecutJob
from workspaces.current import acting_membership, request_actor
from workspaces.doors import workspace_actions
from workspaces.policy import may


class RecutForm(forms.Form):
    file = forms.FileField(
        label="Sound laid to A (v1)",
        help_text=f"WAV or Broadcast WAV, 48 kHz, 1 to {MAX_CHANNELS} channels, 16/24-bit or 32-bit float, starting at "
        "A's first frame.",
        widget=forms.ClearableFileInput(attrs={"accept": ".wav,.bwf,audio/wav,audio/x-wav"}),
    )
    stem = forms.CharField(
        label="Stem", max_length=60, required=False, help_text="Dialogue, music, effects… (default: the file's name)."
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@workspace_actions(GET="video.view", POST="recut.create")
def recut_page(request: HttpRequest, comparison_id: int) -> HttpResponse:
    member = acting_membership(request)
    comparison = comparison_get_for_user(member, comparison_id)
    form = RecutForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        file_name = Path(upload.name or "sound.wav").name
        assert isinstance(request.user, User)
        try:
            with uploaded_file_path(upload) as path:
                recut_job_create(
                    user=request.user,
                    comparison=comparison,
                    upload=path,
                    file_name=file_name,
                    stem=form.cleaned_data["stem"] or file_name.rsplit(".", 1)[0],
                )
        except ApplicationError as refused:  # a file it cannot take, tokens short: nothing kept
            form.add_error("file", refused.message)
        else:
            messages.success(request, f"“{file_name}” is being recut to B.")
            return redirect("compare:recut", comparison_id=comparison.pk)
    context = recut_section_context(request, comparison, form=form)
    return render(request, "compare/recut.html", context, status=400 if form.errors else 200)


def recut_section_context(
    request: HttpRequest, comparison: Comparison, *, form: RecutForm | None = None
) -> dict[str, Any]:
    """What templates/compare/partials/recuts.html shows, for any page that includes it."""
    jobs = list(recut_jobs_of_comparison(comparison))
    return {
        "comparison": comparison,
        "form": form or RecutForm(),
        "jobs": jobs,
        "may_recut": may(request_actor(request), "recut.create", workspace_id=comparison.workspace_id),
        "minutes_per_token": SECONDS_PER_TOKEN // 60,
        "start_timecode": start_timecode_of(comparison.video_b),
        "working": any(job.status in (RecutJob.Status.QUEUED, RecutJob.Status.RUNNING) for job in jobs),
    }
