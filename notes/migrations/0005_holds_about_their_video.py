"""Issue 52: the hold of an AI note made before holds named their video gets the note's video, so a
team's usage per project counts it."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Cast


def fill_note_holds(apps: Any, schema_editor: Any) -> None:
    Hold = apps.get_model("billing", "Hold")
    Note = apps.get_model("notes", "Note")
    video_of_note = Note.objects.filter(pk=Cast(OuterRef("ref_id"), models.BigIntegerField())).values("video_id")[:1]
    Hold.objects.filter(ref_type="note", about_video__isnull=True).update(about_video=Subquery(video_of_note))


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0004_workspace_required"),
        ("billing", "0011_hold_about_video"),
    ]

    operations = [migrations.RunPython(fill_note_holds, migrations.RunPython.noop, elidable=True)]
