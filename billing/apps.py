from django.apps import AppConfig

from workspaces.registry import register_payer


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        # In ready(): these import models (the API's errors through DRF's authentication classes),
        # which load only once the app registry is ready.
        from billing import ledger, packs, payer
        from sage.api.errors import register_error_details

        # The API's 402 body: the refusal's token figures and the pack to buy (sage sits below billing).
        register_error_details(ledger.InsufficientTokens, packs.refusal_details)
        # Seats, a new workspace's wallet, a transferred team's plan (workspaces sits below billing).
        register_payer(payer.WorkspacesPayer())
