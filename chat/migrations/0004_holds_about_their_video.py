"""Issue 52: the hold of a chat answer made before holds named their video gets its conversation's
video (none for a conversation about the whole library), so a team's usage per project counts it."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Cast


def fill_answer_holds(apps: Any, schema_editor: Any) -> None:
    Hold = apps.get_model("billing", "Hold")
    Message = apps.get_model("chat", "Message")
    video_of_answer = Message.objects.filter(pk=Cast(OuterRef("ref_id"), models.BigIntegerField())).values(
        "conversation__video_id"
    )[:1]
    Hold.objects.filter(ref_type="message", about_video__isnull=True).update(about_video=Subquery(video_of_answer))


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0003_move_into_workspaces"),
        ("billing", "0011_hold_about_video"),
    ]

    operations = [migrations.RunPython(fill_answer_holds, migrations.RunPython.noop, elidable=True)]
