"""Wallets belong to workspaces (issue 52): each wallet that exists is its account"s personal
workspace"s; a team workspace gets its own wallet when it is made. Entries and holds record who acted.
(The column becomes required in the next migration: Postgres will not alter a table in the
transaction that has just updated its rows" foreign keys.)"""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def give_wallets_their_personal_workspaces(apps: Any, schema_editor: Any) -> None:
    wallet_model = apps.get_model("billing", "Wallet")
    workspace_model = apps.get_model("workspaces", "Workspace")
    personal = dict(workspace_model.objects.filter(kind="personal").values_list("created_by_id", "pk"))
    for wallet in wallet_model.objects.filter(workspace__isnull=True).order_by("pk").iterator(chunk_size=1000):
        # Every account has had its personal workspace since workspaces" 0002.
        wallet.workspace_id = personal[wallet.user_id]
        wallet.save(update_fields=["workspace"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_plan_seats"),
        ("workspaces", "0004_team_workspace_outlives_its_creator"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="hold",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="wallet",
            name="workspace",
            field=models.OneToOneField(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="wallet", to="workspaces.workspace"
            ),
        ),
        migrations.AlterField(
            model_name="wallet",
            name="user",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="wallet",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(give_wallets_their_personal_workspaces, migrations.RunPython.noop),
    ]
