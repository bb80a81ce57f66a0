from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        # In ready(): these import models, which load only once the app registry is ready.
        from billing import signals  # noqa: F401  (every new user gets a wallet)
        from billing.ledger import InsufficientTokens
        from billing.packs import refusal_details
        from sage.api.errors import register_error_details

        # The API's 402 body: the refusal's token figures and the pack to buy (sage sits below billing).
        register_error_details(InsufficientTokens, refusal_details)
