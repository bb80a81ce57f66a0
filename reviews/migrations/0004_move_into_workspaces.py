"""Issue 52: every share link goes to its owner's personal workspace (what exists moves over without loss)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_comment_client_id"),
        ("workspaces", "0002_personal_workspaces"),
    ]

    operations = [
        migrations.AddField(
            model_name="sharelink",
            name="workspace",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="workspaces.workspace"
            ),
        ),
        migrations.RunSQL(
            "UPDATE reviews_sharelink AS t SET workspace_id = w.id FROM workspaces_workspace AS w "
            "WHERE w.created_by_id = t.owner_id AND w.kind = 'personal' AND t.workspace_id IS NULL",
            migrations.RunSQL.noop,
        ),
    ]
