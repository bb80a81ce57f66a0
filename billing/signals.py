"""Every account gets a wallet when it is created, however it is created (sign-up, admin, Google)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from billing.ledger import wallet_create


@receiver(post_save, sender=User, dispatch_uid="billing.wallet_for_new_user")
def create_wallet_for_new_user(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    if created and not raw:  # raw: loaddata, which brings its own wallets
        wallet_create(user=instance)
