"""Billing reads get their own scope, `billing:read`, apart from `read` (so the browser extension's
token cannot see money). Tokens made before could read billing with `read`: they keep doing so."""

import django.contrib.postgres.fields
from django.db import migrations, models
from django.db.models.expressions import RawSQL


def keep_billing_reads(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    # array_append keeps the existing order; the scopes are a set to every reader.
    ApiToken.objects.filter(scopes__contains=["read"]).exclude(scopes__contains=["billing:read"]).update(
        scopes=RawSQL("array_append(scopes, 'billing:read')", [])
    )


def drop_billing_reads(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(scopes__contains=["billing:read"]).update(
        scopes=RawSQL("array_remove(scopes, 'billing:read')", [])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_extension_connect"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apitoken",
            name="scopes",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("read", "Read"),
                        ("videos:write", "Write videos"),
                        ("notes:write", "Write notes"),
                        ("chat", "Chat"),
                        ("billing:read", "Read billing"),
                    ],
                    max_length=20,
                ),
                size=None,
            ),
        ),
        migrations.RunPython(keep_billing_reads, drop_billing_reads),
    ]
