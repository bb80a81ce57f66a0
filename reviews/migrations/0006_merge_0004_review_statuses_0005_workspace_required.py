"""Review statuses and workspaces came on two branches: one history again."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0004_review_statuses'),
        ('reviews', '0005_workspace_required'),
    ]

    operations = [
    ]
