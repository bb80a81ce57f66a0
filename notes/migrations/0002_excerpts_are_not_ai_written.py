"""Notes written without a language model were quotes of the transcript, yet marked AI-generated
(and badged "AI-written"). They are transcript excerpts: no longer marked as AI-written. Their
charge stays in the ledger as it was (the ledger is append-only)."""

from django.db import migrations

EXCERPT_PREFIX = "*From the transcript, "


def unmark_excerpts(apps, schema_editor):
    Note = apps.get_model("notes", "Note")
    Note.objects.filter(ai_generated=True, ai_status="done", text__startswith=EXCERPT_PREFIX).update(
        ai_generated=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0001_initial"),
    ]

    operations = [migrations.RunPython(unmark_excerpts, migrations.RunPython.noop)]
