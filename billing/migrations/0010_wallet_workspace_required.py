"""Every wallet is a workspace's (billing 0009 gave the existing ones theirs)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_wallets_of_workspaces"),
    ]

    operations = [
        migrations.AlterField(
            model_name="wallet",
            name="workspace",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="wallet", to="workspaces.workspace"
            ),
        ),
    ]
