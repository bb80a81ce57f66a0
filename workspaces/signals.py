"""Every account gets its personal workspace when it is created, however it is created, and it goes
when the account goes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from accounts.models import User
from workspaces.models import Workspace
from workspaces.services import workspace_create_personal


@receiver(post_save, sender=User, dispatch_uid="workspaces.personal_workspace_for_new_user")
def create_personal_workspace(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    if created and not raw:  # raw: loaddata, which brings its own workspaces
        workspace_create_personal(user=instance)


@receiver(pre_delete, sender=User, dispatch_uid="workspaces.personal_workspace_goes_with_its_user")
def delete_personal_workspace(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Team workspaces it made stay (their `created_by` becomes null): others work in them.
    Workspace.objects.filter(created_by=instance, kind=Workspace.Kind.PERSONAL).delete()
