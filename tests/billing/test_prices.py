"""Prices said before anything is spent: billing.prices and the partials that show them."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from billing.prices import current_prices, upload_price
from billing.selectors import wallet_for_user
from tests.factories import UserFactory
from tests.gemini_stub import gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture

pytestmark = pytest.mark.django_db


def test_an_upload_costs_a_token_a_second_rounded_up() -> None:
    assert (upload_price(None), upload_price(0.2), upload_price(60.0), upload_price(61.01)) == (1, 1, 60, 62)


def test_the_upload_price_partial_says_the_price_per_second_and_the_balance(rf) -> None:
    user = UserFactory()
    request = rf.get("/videos/upload/")
    request.user = user

    html = render_to_string(
        "billing/partials/upload_price.html", {"header_wallet": wallet_for_user(user)}, request=request
    )

    assert "Processing costs 1 token per second of video (a 10-minute video: 600 tokens)" in html
    assert 'data-tokens-per-second="1"' in html and 'data-balance="1800"' in html
    assert '<strong class="balance-value">1,800</strong> tokens' in html


def test_a_note_written_without_a_model_is_a_free_excerpt_and_with_one_a_priced_ai_note(settings, gemini_stub) -> None:
    settings.TOKEN_COST_AI_NOTE = 5
    with_model = current_prices()
    settings.GEMINI_API_KEY = ""
    without = current_prices()

    assert (with_model.written_note, with_model.written_note_name) == (5, "AI note")
    assert (without.written_note, without.written_note_name) == (0, "transcript excerpt")
