"""Chunks by workspace and review statuses came on two branches: one history again."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('videos', '0024_merge_0022_review_status_0023_workspace_required'),
        ('videos', '0027_chunk_owner_removed'),
    ]

    operations = [
    ]
