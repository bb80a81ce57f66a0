"""Issue 52: every token has its workspace now."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_tokens_act_in_a_workspace'),
        ('workspaces', '0002_personal_workspaces'),
    ]

    operations = [
        migrations.AlterField(
            model_name='apitoken',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workspaces.workspace'),
        ),
    ]
