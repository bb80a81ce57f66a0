from typing import Any

from django.db import migrations, models

from billing.plans import DEFAULT_PLANS


def give_default_plans_their_seats(apps: Any, schema_editor: Any) -> None:
    # Plans that existed before seats (an operator may have made others: they keep one seat).
    Plan = apps.get_model("billing", "Plan")
    for plan in DEFAULT_PLANS:
        Plan.objects.filter(slug=plan["slug"]).update(seats=plan["seats"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_stripe_event_refused"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="seats",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="People a team workspace on this plan may hold."
            ),
        ),
        migrations.RunPython(give_default_plans_their_seats, migrations.RunPython.noop),
    ]
