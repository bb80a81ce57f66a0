"""Every account gets its personal workspace when it is created, however it is created, and it goes
when the account goes; a row made without a workspace goes to its owner's personal one."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, ProtectedError
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver

from accounts.models import ApiToken, User
from activity.services import Action, audit_record
from chat.models import Conversation
from notes.models import Note
from reviews.models import ShareLink
from videos.models import Comparison, Upload, Video, VideoStack
from workspaces.models import Workspace
from workspaces.selectors import account_deletion_refusal, teams_owned_by
from workspaces.services import workspace_create_personal


@receiver(post_save, sender=User, dispatch_uid="workspaces.personal_workspace_for_new_user")
def create_personal_workspace(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    if created and not raw:  # raw: loaddata, which brings its own workspaces
        workspace_create_personal(user=instance)


# What lives in a workspace. Services say where each new row goes; a row saved without one (the
# showcase's sample, benches, older callers) goes to its owner's personal workspace, which is where
# everything lived before workspaces.
_IN_A_WORKSPACE: tuple[type[Model], ...] = (
    Video,
    VideoStack,
    Upload,
    Comparison,
    Note,
    ShareLink,
    Conversation,
    ApiToken,
)


def _to_owners_personal_workspace(sender: type[Model], instance: Model, raw: bool, **kwargs: Any) -> None:
    if raw or getattr(instance, "workspace_id", None) is not None:
        return
    owner_id = getattr(instance, "owner_id", None) or getattr(instance, "user_id", None)  # a token's user
    if owner_id is not None:
        instance.workspace_id = (  # type: ignore[attr-defined]
            Workspace.objects.filter(created_by_id=owner_id, kind=Workspace.Kind.PERSONAL)
            .values_list("pk", flat=True)
            .get()
        )


for _model in _IN_A_WORKSPACE:
    pre_save.connect(_to_owners_personal_workspace, sender=_model, dispatch_uid=f"workspaces.default.{_model.__name__}")


@receiver(pre_delete, sender=User, dispatch_uid="workspaces.personal_workspace_goes_with_its_user")
def delete_personal_workspace(sender: type[User], instance: User, **kwargs: Any) -> None:
    """The account's personal workspace goes with it, and so do the team workspaces it owns alone
    (their work and wallet, as the personal one's: the admin's confirmation lists them). A team it
    owns with others in it would be left with no owner: refused (ProtectedError, as a protected
    foreign key refuses), which the admin and the settings page say before anyone gets here."""
    if (refusal := account_deletion_refusal(instance)) is not None:
        blocking: set[Model] = {team.workspace for team in teams_owned_by(instance) if team.other_members > 0}
        raise ProtectedError(refusal, blocking)
    alone = teams_owned_by(instance)
    for team in alone:
        # Kept after the workspace goes (its name copied): what went, for the operators.
        audit_record(
            workspace_id=team.workspace.pk,
            actor=None,
            action=Action.WORKSPACE_DELETED,
            target_label=f"{team.description}; owner {instance.email}",
            details={"videos": team.videos, "tokens": team.tokens, "owner_id": instance.pk},
        )
    # Team workspaces it made and others own now stay (their `created_by` becomes null).
    Workspace.objects.filter(pk__in=[team.workspace.pk for team in alone]).delete()
    Workspace.objects.filter(created_by=instance, kind=Workspace.Kind.PERSONAL).delete()
