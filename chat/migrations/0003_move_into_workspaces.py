"""Issue 52: every member's conversation goes to its owner's personal workspace (what exists moves over without loss)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0002_message_ordering_by_column"),
        ("videos", "0021_comparison_one_engine"),
        ("workspaces", "0002_personal_workspaces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="workspace",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="workspaces.workspace",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["workspace", "deleted_at", "-updated_at"], name="conversation_workspace_list"),
        ),
        migrations.RunSQL(
            "UPDATE chat_conversation AS t SET workspace_id = w.id FROM workspaces_workspace AS w "
            "WHERE w.created_by_id = t.owner_id AND w.kind = 'personal' AND t.workspace_id IS NULL",
            migrations.RunSQL.noop,
        ),
    ]
