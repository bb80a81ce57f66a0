"""Writes for projects: create, rename, move things in and out, delete (to the trash), restore, purge.

A stack's versions always live in the stack's project: moving a version moves its stack, and a
new version takes its stack's project (videos.versions.services.version_add)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from activity.services import Action, Target, Verb, activity_record, audit_record
from sage.errors import Conflict, FieldInvalid
from sage.realtime import push_to_workspace
from videos.models import Comparison, Project, Video, VideoStack
from videos.services import video_delete
from videos.signals import left_project


class ProjectNameTaken(FieldInvalid):
    """Another live project of the workspace has this name (case aside)."""


class MoveRefused(FieldInvalid):
    """The destination is not a live project of the object's own workspace."""


def _check_name_free(*, workspace_id: int, name: str, exclude_pk: int | None = None, restoring: bool = False) -> None:
    taken = Project.objects.filter(workspace_id=workspace_id, deleted_at__isnull=True).annotate(lower=Lower("name"))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.filter(lower=name.lower()).exists():
        if restoring:  # nothing the request says is wrong: the workspace's state is in the way
            raise Conflict(_taken_message(name, restoring=True), code="name_taken")
        raise ProjectNameTaken(_taken_message(name), field="name")


def _taken_message(name: str, *, restoring: bool = False) -> str:
    then = ": rename that one before restoring this." if restoring else "."
    return f"There is already a project named “{name}” in this workspace{then}"


def project_create(*, user: User, workspace_id: int, name: str) -> Project:
    """A new project in `workspace_id` (the caller's acting workspace, checked by its door)."""
    name = name.strip()
    _check_name_free(workspace_id=workspace_id, name=name)
    try:
        with transaction.atomic():
            project = Project.objects.create(workspace_id=workspace_id, name=name, created_by=user)
    except IntegrityError:  # made at the same moment by someone else: the unique index decided
        raise ProjectNameTaken(_taken_message(name), field="name") from None
    _record(project, by=user, verb=Verb.PROJECT_CREATED)
    _push(project, "created")
    return project


def project_rename(*, project: Project, name: str, by: User) -> Project:
    name = name.strip()
    _check_name_free(workspace_id=project.workspace_id, name=name, exclude_pk=project.pk)
    old_name = project.name
    try:
        with transaction.atomic():
            Project.objects.filter(pk=project.pk).update(name=name)
            project.name = name
            if name != old_name:  # a rename to the same name (or its case alone) changes nothing to tell
                _record(project, by=by, verb=Verb.PROJECT_RENAMED, details={"from": old_name})
    except IntegrityError:
        raise ProjectNameTaken(_taken_message(name), field="name") from None
    _push(project, "renamed")
    return project


@transaction.atomic
def project_delete(*, project: Project, by: User) -> Project:
    """Move the project to the trash: it and its contents leave every list, search and the API,
    untouched, until restored or purged after PROJECT_TRASH_DAYS. Its share links stop opening
    (reviews.shared reads only live projects). The feed tells the members; the audit log keeps it
    for the admins, as everything in it left everyone's lists."""
    if project.deleted_at is None:
        project.deleted_at = timezone.now()
        if Project.objects.filter(pk=project.pk, deleted_at__isnull=True).update(deleted_at=project.deleted_at):
            _record(project, by=by, verb=Verb.PROJECT_DELETED, audit=Action.PROJECT_DELETED)
        _push(project, "deleted")
        # Sent even for an empty project: its links' pages close with it.
        left_project.send(
            sender=Project,
            project_id=project.pk,
            video_ids=list(Video.objects.filter(project=project).values_list("pk", flat=True)),
            comparison_ids=list(Comparison.objects.filter(project=project).values_list("pk", flat=True)),
            trashed=True,
        )
    return project


def project_restore(*, project: Project, by: User) -> Project:
    """Bring the project back with everything in it; refused while a live project has its name."""
    if project.deleted_at is not None:
        _check_name_free(workspace_id=project.workspace_id, name=project.name, exclude_pk=project.pk, restoring=True)
        try:
            with transaction.atomic():
                if Project.objects.filter(pk=project.pk, deleted_at__isnull=False).update(deleted_at=None):
                    _record(project, by=by, verb=Verb.PROJECT_RESTORED, audit=Action.PROJECT_RESTORED)
        except IntegrityError:
            raise ProjectNameTaken(_taken_message(project.name, restoring=True), field="name") from None
        project.deleted_at = None
        _push(project, "restored")
    return project


def projects_purge(*, now: dt.datetime | None = None) -> int:
    """Delete for good the projects in the trash for more than PROJECT_TRASH_DAYS, with their
    videos (files included, as deleting a video does), stacks and comparisons. Returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.PROJECT_TRASH_DAYS)
    purged = 0
    for project in Project.objects.filter(deleted_at__lt=cutoff):
        for video in Video.objects.filter(project=project):
            video_delete(video=video)
        with transaction.atomic():
            Comparison.objects.filter(project=project).delete()
            VideoStack.objects.filter(project=project).delete()
            if Project.objects.filter(pk=project.pk, deleted_at__lt=cutoff).delete()[0] > 0:
                purged += 1
                # The site did it, on the trash's schedule: no actor, and no feed event (nobody acted).
                audit_record(
                    workspace_id=project.workspace_id,
                    actor=None,
                    action=Action.PROJECT_PURGED,
                    target_label=project.name,
                    details={"project": project.pk},
                )
    return purged


def _check_destination(workspace_id: int, project: Project | None) -> None:
    if project is not None and (project.workspace_id != workspace_id or project.deleted_at is not None):
        # Never across workspaces: the contents would leave their members (and their wallet).
        raise MoveRefused("No such project in this workspace.", field="project")


def video_move(*, video: Video, project: Project | None, by: User) -> None:
    """Move a video into `project` (None: the top level). A version moves with its whole stack."""
    _check_destination(video.workspace_id, project)
    if video.stack_id is not None:
        stack = VideoStack.objects.get(pk=video.stack_id)
        stack_move(stack=stack, project=project, by=by)
    else:
        with transaction.atomic():
            before = Video.objects.filter(pk=video.pk).values_list("project_id", flat=True).first()
            if Video.objects.filter(pk=video.pk).exclude(project=project).update(project=project):
                _record_move(Target("video", video.pk, video.label), video.workspace_id, project, by=by)
        if before is not None and before != (project.pk if project is not None else None):
            _left(before, video_ids=[video.pk])
    video.project = project
    _push_moved("video", video.pk, video.workspace_id, project)


def stack_move(*, stack: VideoStack, project: Project | None, by: User) -> None:
    """Move a stack and all its versions into `project` (None: the top level), together."""
    _check_destination(stack.workspace_id, project)
    with transaction.atomic():
        before = list(Video.objects.filter(stack=stack).values_list("pk", "project_id"))
        moved = VideoStack.objects.filter(pk=stack.pk).exclude(project=project).update(project=project)
        Video.objects.filter(stack=stack).update(project=project)
        if moved:
            _record_move(Target("stack", stack.pk, stack.title), stack.workspace_id, project, by=by)
    destination = project.pk if project is not None else None
    left: dict[int, list[int]] = {}
    for video_id, project_id in before:
        if project_id is not None and project_id != destination:
            left.setdefault(project_id, []).append(video_id)
    for project_id, video_ids in left.items():
        _left(project_id, video_ids=video_ids)
    stack.project = project
    _push_moved("stack", stack.pk, stack.workspace_id, project)


def comparison_move(*, comparison: Comparison, project: Project | None, by: User) -> None:
    _check_destination(comparison.workspace_id, project)
    with transaction.atomic():
        before = Comparison.objects.filter(pk=comparison.pk).values_list("project_id", flat=True).first()
        if Comparison.objects.filter(pk=comparison.pk).exclude(project=project).update(project=project):
            target = Target("comparison", comparison.pk, comparison.title)
            _record_move(target, comparison.workspace_id, project, by=by)
    if before is not None and before != (project.pk if project is not None else None):
        _left(before, comparison_ids=[comparison.pk])
    comparison.project = project
    _push_moved("comparison", comparison.pk, comparison.workspace_id, project)


def _record(
    project: Project, *, by: User, verb: str, audit: str = "", details: dict[str, object] | None = None
) -> None:
    """The project's event in its workspace's feed (and in its audit log when `audit` names an action)."""
    activity_record(
        workspace_id=project.workspace_id,
        actor=by,
        verb=verb,
        target=Target("project", project.pk, project.name),
        details=details,
    )
    if audit:
        audit_record(
            workspace_id=project.workspace_id,
            actor=by,
            action=audit,
            target_label=project.name,
            details={"project": project.pk},
        )


def _record_move(target: Target, workspace_id: int, project: Project | None, *, by: User) -> None:
    # The destination named as it is now, as every event copies its names: it reads the same later.
    details = {"to": project.name if project is not None else None, "project": project.pk if project else None}
    activity_record(workspace_id=workspace_id, actor=by, verb=Verb.MOVED, target=target, details=details)


def _push(project: Project, change: str) -> None:
    """Members' pages in the workspace hear of it (the library's project list)."""
    push_to_workspace(project.workspace_id, "project", {"id": project.pk, "name": project.name, "change": change})


def _left(project_id: int, *, video_ids: list[int] | None = None, comparison_ids: list[int] | None = None) -> None:
    """The apps above hear what is no longer reachable through the project (`videos.signals.left_project`:
    its share links' open pages of them close)."""
    left_project.send(
        sender=Project,
        project_id=project_id,
        video_ids=video_ids or [],
        comparison_ids=comparison_ids or [],
        trashed=False,
    )


def _push_moved(kind: str, pk: int, workspace_id: int, project: Project | None) -> None:
    push_to_workspace(
        workspace_id, "project", {"change": "moved", kind: pk, "project": project.pk if project is not None else None}
    )
