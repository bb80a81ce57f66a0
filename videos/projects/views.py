"""Project pages: a project's videos, stacks and comparisons (rename, delete), the deleted projects
(restore), and the library's forms (new project, "Move to…"). Writes are an editor's (the doors'
default for a POST); each form says on the page it came back to how it went."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from sage.errors import Conflict, FieldInvalid
from videos.models import Project
from videos.presenters import VideoView
from videos.projects.presenters import may_file
from videos.projects.selectors import (
    project_comparisons,
    project_get_for_user,
    project_stacks,
    project_videos,
    projects_for_user,
)
from videos.projects.services import project_create, project_delete, project_rename, project_restore, video_move
from videos.selectors import video_get_for_user
from workspaces.current import acting_membership, acting_workspace_id


class ProjectNameForm(forms.Form):
    name = forms.CharField(max_length=100, label="Project name")


class MoveForm(forms.Form):
    # A project's id, or empty for "No project" (the workspace's top level).
    project = forms.CharField(required=False, max_length=20)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _name_refused(request: HttpRequest, form: ProjectNameForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, f"Project name: {error}")


def library_of(project: Project | None) -> str:
    return reverse("videos:library") + (f"?project={project.pk}" if project is not None else "?project=none")


@require_POST
@login_required
def project_create_view(request: HttpRequest) -> HttpResponse:
    form = ProjectNameForm(request.POST)
    if not form.is_valid():
        _name_refused(request, form)
        return redirect("videos:library")
    user = _user(request)
    try:
        project = project_create(user=user, workspace_id=acting_workspace_id(request), name=form.cleaned_data["name"])
    except FieldInvalid as refusal:
        messages.error(request, refusal.reason)
        return redirect("videos:library")
    messages.success(request, f"Project “{project.name}” created. Move videos into it with “Move to…”.")
    return redirect(library_of(project))


@require_GET
@login_required
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    member = acting_membership(request)
    project = project_get_for_user(member, project_id)
    context = {
        "project": project,
        "cards": [VideoView(video) for video in project_videos(member, project)],
        "stacks": list(project_stacks(member, project)),
        "comparisons": list(project_comparisons(member, project)),
        "rename_form": ProjectNameForm(initial={"name": project.name}, auto_id="rename_%s"),
        "trash_days": settings.PROJECT_TRASH_DAYS,
        "may_file": may_file(member),
    }
    return render(request, "videos/project.html", context)


@require_POST
@login_required
def project_rename_view(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(acting_membership(request), project_id)
    form = ProjectNameForm(request.POST)
    if not form.is_valid():
        _name_refused(request, form)
    else:
        try:
            project_rename(project=project, name=form.cleaned_data["name"], by=_user(request))
            messages.success(request, f"Renamed to “{project.name}”.")
        except FieldInvalid as refusal:
            messages.error(request, refusal.reason)
    return redirect("videos:project", project_id=project.pk)


@require_POST
@login_required
def project_delete_view(request: HttpRequest, project_id: int) -> HttpResponse:
    user = _user(request)
    member = acting_membership(request)
    project = project_delete(project=project_get_for_user(member, project_id), by=user)
    messages.success(
        request,
        f"“{project.name}” and everything in it were deleted. "
        f"They can be restored from Deleted projects for {settings.PROJECT_TRASH_DAYS} days.",
    )
    return redirect("videos:library")


@require_GET
@login_required
def deleted_projects_page(request: HttpRequest) -> HttpResponse:
    member = acting_membership(request)
    context = {
        "projects": list(projects_for_user(member, deleted=True)),
        "trash_days": settings.PROJECT_TRASH_DAYS,
        "may_file": may_file(member),  # Restore, for the roles that may
    }
    return render(request, "videos/deleted_projects.html", context)


@require_POST
@login_required
def project_restore_view(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(acting_membership(request), project_id, deleted=True)
    try:
        project_restore(project=project, by=_user(request))
    except Conflict as refusal:  # another live project took its name meanwhile
        messages.error(request, refusal.message)
        return redirect("videos:deleted_projects")
    messages.success(request, f"“{project.name}” was restored with everything in it.")
    return redirect("videos:project", project_id=project.pk)


@require_POST
@login_required
def video_move_view(request: HttpRequest, video_id: int) -> HttpResponse:
    """The library card's "Move to…": the video (a version: its whole stack) into a project or out."""
    user = _user(request)
    member = acting_membership(request)
    video = video_get_for_user(member, video_id)
    form = MoveForm(request.POST)
    wanted = form.cleaned_data["project"] if form.is_valid() else ""
    project = project_get_for_user(member, wanted) if wanted else None  # another workspace's: 404
    video_move(video=video, project=project, by=user)
    what = (
        f"“{video.stack.title}” (all its versions)"
        if video.stack_id is not None and video.stack
        else f"“{video.title}”"
    )
    where = f"“{project.name}”" if project is not None else "No project"
    messages.success(request, f"{what} moved to {where}.")
    # Back to the library page the form was on (its filters kept); a path of the library only.
    back = request.POST.get("next", "")
    return redirect(back if back.startswith(reverse("videos:library")) else library_of(project))
