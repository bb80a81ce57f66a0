"""The one place SAGE talks to Stripe from: whether payments are configured, and the SDK client.

A `StripeClient` per call site rather than the SDK's module globals (`stripe.api_key`,
`stripe.api_base`): settings stay the only source, and tests point STRIPE_API_BASE at localstripe.
"""

from __future__ import annotations

from collections.abc import Mapping

import stripe
from django.conf import settings

from sage.errors import ApplicationError

# Errors worth trying again later (Stripe unreachable or asking us to slow down); anything else
# Stripe answers is a refusal that a retry would only repeat.
TRANSIENT_STRIPE_ERRORS: tuple[type[Exception], ...] = (stripe.APIConnectionError, stripe.RateLimitError)


class PaymentsNotConfigured(ApplicationError):
    code = "payments_not_configured"
    status = 503
    default_message = "Payments are not configured on this site; an operator can grant tokens."


def payments_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def stripe_client() -> stripe.StripeClient:
    if not payments_configured():
        raise PaymentsNotConfigured()
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        str(settings.STRIPE_SECRET_KEY),
        base_addresses={"api": base} if base else None,
        # The SDK's own retries (with Stripe's idempotency keys on POSTs) for dropped connections.
        max_network_retries=2,
    )


def stripe_ref_id(value: object) -> str:
    """An object reference in a Stripe payload or answer: an id, or the expanded object carrying one."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else ""
