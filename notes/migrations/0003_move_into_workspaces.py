"""Issue 52: every note goes to its owner's personal workspace (what exists moves over without loss)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0002_excerpts_are_not_ai_written"),
        ("videos", "0021_comparison_one_engine"),
        ("workspaces", "0002_personal_workspaces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="note",
            name="note_owner_video_start",
        ),
        migrations.RemoveIndex(
            model_name="note",
            name="note_owner_newest",
        ),
        migrations.AddField(
            model_name="note",
            name="workspace",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="workspaces.workspace"
            ),
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(fields=["workspace", "video", "start"], name="note_workspace_video_start"),
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(fields=["workspace", "-created_at"], name="note_workspace_newest"),
        ),
        migrations.RunSQL(
            "UPDATE notes_note AS t SET workspace_id = w.id FROM workspaces_workspace AS w "
            "WHERE w.created_by_id = t.owner_id AND w.kind = 'personal' AND t.workspace_id IS NULL",
            migrations.RunSQL.noop,
        ),
    ]
