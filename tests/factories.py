from __future__ import annotations

import factory

from accounts.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token made by the real service; its one-time secret is kept on the instance as `.secret`.

    Fields the service refuses to set (a past `expires_at`, `revoked_at`, `last_used_at`,
    `created_at`) are written afterwards, as if time had passed.
    """

    class Meta:
        model = "accounts.ApiToken"

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Script {n}")
    scopes = ["chat", "notes:write", "read", "videos:write"]  # all of them

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.services import api_token_create

        user, name, scopes = kwargs.pop("user"), kwargs.pop("name"), kwargs.pop("scopes")
        token, secret = api_token_create(user=user, name=name, scopes=scopes)
        if kwargs:
            model_class.objects.filter(pk=token.pk).update(**kwargs)
            token.refresh_from_db()
        token.secret = secret  # type: ignore[attr-defined]  # shown once, like the real API
        return token


def empty_wallet_user() -> User:
    """A user whose sign-up grant is spent, so a billing test states the balance it needs."""
    from billing.models import Wallet
    from billing.services import ledger_debit

    user = UserFactory()
    wallet = Wallet.objects.get(user=user)
    if wallet.balance:
        ledger_debit(user=user, amount=wallet.balance, key=f"test-reset:{user.pk}", memo="test reset")
    return user
