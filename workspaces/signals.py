"""Every account gets its personal workspace when it is created, however it is created, and it goes
when the account goes. (A row of a workspace's work is saved with its workspace, which every service
states; one saved without is refused by the database.)"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, ProtectedError
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from accounts.models import User
from activity.services import Action, audit_record
from workspaces.models import Workspace
from workspaces.selectors import account_deletion_refusal, teams_owned_by
from workspaces.services import workspace_create_personal


@receiver(post_save, sender=User, dispatch_uid="workspaces.personal_workspace_for_new_user")
def create_personal_workspace(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    if created and not raw:  # raw: loaddata, which brings its own workspaces
        workspace_create_personal(user=instance)


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
            details={**team.counts, "owner_id": instance.pk},
        )
    # Team workspaces it made and others own now stay (their `created_by` becomes null).
    Workspace.objects.filter(pk__in=[team.workspace.pk for team in alone]).delete()
    Workspace.objects.filter(created_by=instance, kind=Workspace.Kind.PERSONAL).delete()
