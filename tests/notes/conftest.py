"""Helpers for the notes tests: API clients and balances (videos and transcripts: tests.factories)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from billing.ledger import ledger_grant
from billing.models import Wallet
from tests.factories import empty_wallet_user
from tests.videos.conftest import moto_url, s3, s3_reads  # noqa: F401  # the local S3, for stills of videos on S3


def balance(user: User) -> int:
    return Wallet.objects.get(user=user).balance


def funded_user(tokens: int) -> User:
    user = empty_wallet_user()
    if tokens:
        ledger_grant(user=user, amount=tokens, key=f"test-grant:{user.pk}", memo="test")
    return user


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def token_client() -> Callable[[User, list[str]], APIClient]:
    """A client that sends a real API token with these scopes (authentication and scopes as in production)."""
    from tests.factories import ApiTokenFactory

    def make(user: User, scopes: list[str]) -> APIClient:
        token = ApiTokenFactory(user=user, scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
        return client

    return make
