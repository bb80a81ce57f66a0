"""Every account gets its personal workspace when it is created, however it is created."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from workspaces.services import workspace_create_personal


@receiver(post_save, sender=User, dispatch_uid="workspaces.personal_workspace_for_new_user")
def create_personal_workspace(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    if created and not raw:  # raw: loaddata, which brings its own workspaces
        workspace_create_personal(user=instance)
