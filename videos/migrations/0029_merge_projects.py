"""Projects came on their own branch: one history again."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('videos', '0025_projects'),
        ('videos', '0028_merge_chunks_by_workspace_and_review_status'),
    ]

    operations = [
    ]
