"""Issue 52: a hold names the video its work was about, so a team's usage is summed per project.
A processing hold's is its own ref; chat answers' and AI notes' are filled by their apps' migrations."""

from typing import Any

from django.db import migrations, models
from django.db.models.functions import Cast


def fill_processing_holds(apps: Any, schema_editor: Any) -> None:
    Hold = apps.get_model("billing", "Hold")
    Hold.objects.filter(ref_type="video", about_video__isnull=True).update(
        about_video=Cast("ref_id", models.BigIntegerField())
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_wallet_workspace_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="hold",
            name="about_video",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(fill_processing_holds, migrations.RunPython.noop, elidable=True),
    ]
