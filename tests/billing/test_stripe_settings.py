"""Payments are switched on by both Stripe keys together; one without the other stops start-up."""

from __future__ import annotations

import pytest

from tests.sage.test_settings import production_env, run_manage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("variable", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_one_stripe_key_without_the_other_stops_startup_naming_both(variable: str) -> None:
    environment = production_env(**{variable: "sk_test_or_whsec_only_one"})
    environment.pop("STRIPE_SECRET_KEY" if variable == "STRIPE_WEBHOOK_SECRET" else "STRIPE_WEBHOOK_SECRET", None)

    result = run_manage("check", environment=environment)

    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set together" in result.stderr


def test_both_stripe_keys_start_up() -> None:
    environment = production_env(
        STRIPE_SECRET_KEY="sk_test_sage", STRIPE_WEBHOOK_SECRET="whsec_sage", STRIPE_PUBLISHABLE_KEY="pk_test_sage"
    )

    result = run_manage("check", environment=environment)

    assert result.returncode == 0, result.stderr


def test_payments_without_the_publishable_key_stop_startup_naming_it() -> None:
    environment = production_env(STRIPE_SECRET_KEY="sk_test_sage", STRIPE_WEBHOOK_SECRET="whsec_sage")
    environment.pop("STRIPE_PUBLISHABLE_KEY", None)

    result = run_manage("check", environment=environment)

    assert result.returncode != 0
    assert "STRIPE_PUBLISHABLE_KEY must be set" in result.stderr
