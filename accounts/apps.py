from allauth.core.internal import ratelimit
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import checks, schema  # noqa: F401  (register a deploy check and the OpenAPI auth extension)

        # allauth counts sign-ins under a lock in the cache and, when it cannot take that lock within
        # a second, refuses the sign-in as if over the limit (429). 25 people behind one address
        # signing in at once, on a busy two-core machine, had some refused so. The lock is held for
        # two cache reads and writes; waiting longer for it makes a burst slower, never wrongly refused.
        ratelimit.CACHE_LOCK_WAIT_TIMEOUT = 10
