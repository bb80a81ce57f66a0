"""Issue 52: each account names its personal workspace on its own row, so acting in it costs no
query (workspaces.current); existing accounts get theirs filled in."""

import django.db.models.deletion
from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import OuterRef, Subquery


def fill_personal_workspaces(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    User = apps.get_model("accounts", "User")
    Workspace = apps.get_model("workspaces", "Workspace")
    personal = Workspace.objects.filter(created_by=OuterRef("pk"), kind="personal").values("pk")[:1]
    User.objects.update(personal_workspace=Subquery(personal))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_token_workspace_required'),
        ('workspaces', '0004_team_workspace_outlives_its_creator'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='personal_workspace',
            field=models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='workspaces.workspace'),
        ),
        migrations.RunPython(fill_personal_workspaces, migrations.RunPython.noop, elidable=True),
    ]
