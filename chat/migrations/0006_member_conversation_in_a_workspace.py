"""A member's conversation saved without a workspace is refused by the database (0005 put the
ones that existed in their owner's personal workspace)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0005_conversations_without_a_workspace_filled"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.CheckConstraint(
                condition=models.Q(owner__isnull=True) | models.Q(workspace__isnull=False),
                name="member_conversation_in_a_workspace",
            ),
        ),
    ]
