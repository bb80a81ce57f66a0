"""A member's conversation is always in a workspace: the rows saved without one (before this, a signal
put them in their owner's personal workspace at save time) are put there once, here; the next
migration has the database refuse any other (apart, as altering the table after this update in one
transaction is refused while its foreign-key checks are pending)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0004_holds_about_their_video"),
        ("workspaces", "0002_personal_workspaces"),
    ]

    operations = [
        migrations.RunSQL(
            "UPDATE chat_conversation AS t SET workspace_id = w.id FROM workspaces_workspace AS w "
            "WHERE w.created_by_id = t.owner_id AND w.kind = 'personal' AND t.workspace_id IS NULL",
            migrations.RunSQL.noop,
        ),
    ]
