from django.db import migrations

from billing.plans import create_default_plans


def create_plans(apps, schema_editor):
    create_default_plans(apps.get_model("billing", "Plan"))


def give_existing_users_wallets(apps, schema_editor):
    # Accounts created before billing existed; the hourly grant task funds them.
    User = apps.get_model("accounts", "User")
    Wallet = apps.get_model("billing", "Wallet")
    Plan = apps.get_model("billing", "Plan")
    default = Plan.objects.get(is_default=True)
    Wallet.objects.bulk_create([Wallet(user=user, plan=default) for user in User.objects.filter(wallet__isnull=True)])


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("accounts", "0001_initial")]
    operations = [
        migrations.RunPython(create_plans, migrations.RunPython.noop),
        migrations.RunPython(give_existing_users_wallets, migrations.RunPython.noop),
    ]
