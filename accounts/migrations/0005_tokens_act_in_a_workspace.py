"""Issue 52: a token acts in one workspace; the tokens that exist act in their user's personal one."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_api_token_billing_read_scope'),
        ('workspaces', '0002_personal_workspaces'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='workspace',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workspaces.workspace'),
        ),
        migrations.AddField(
            model_name='extensionconnect',
            name='workspace',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workspaces.workspace'),
        ),
        migrations.RunSQL(
            "UPDATE accounts_apitoken AS t SET workspace_id = w.id FROM workspaces_workspace AS w "
            "WHERE w.created_by_id = t.user_id AND w.kind = 'personal' AND t.workspace_id IS NULL",
            migrations.RunSQL.noop,
        ),
    ]
