"""Issue 52: the workspace is required now that every row has one."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0003_move_into_workspaces"),
        ("workspaces", "0002_personal_workspaces"),
    ]

    operations = [
        migrations.AlterField(
            model_name="note",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="workspaces.workspace"
            ),
        ),
    ]
