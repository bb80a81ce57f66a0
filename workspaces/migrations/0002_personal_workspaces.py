"""Every account that exists gets its personal workspace, with itself as owner (issue 52: what
exists moves over without loss). New accounts get theirs from workspaces.signals."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from workspaces.services import personal_workspace_name


def create_personal_workspaces(apps: Any, schema_editor: Any) -> None:
    user_model = apps.get_model("accounts", "User")
    workspace_model = apps.get_model("workspaces", "Workspace")
    membership_model = apps.get_model("workspaces", "Membership")
    having = set(workspace_model.objects.filter(kind="personal").values_list("created_by_id", flat=True))
    for user in user_model.objects.exclude(pk__in=having).order_by("pk").iterator(chunk_size=1000):
        workspace = workspace_model.objects.create(
            name=personal_workspace_name(user.display_name, user.email), kind="personal", created_by=user
        )
        membership_model.objects.create(workspace=workspace, user=user, role="owner")


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_personal_workspaces, migrations.RunPython.noop),
    ]
