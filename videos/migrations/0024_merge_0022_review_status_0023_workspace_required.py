"""Review statuses and workspaces came on two branches: one history again."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('videos', '0022_review_status'),
        ('videos', '0023_workspace_required'),
    ]

    operations = [
    ]
