"""The client's address: X-Forwarded-For is believed only as far as TRUSTED_PROXY_COUNT says, and the
API throttle, allauth's rate limits, sockets and logs all use the same answer."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.adapters import AccountAdapter
from accounts.throttling import PrincipalRateThrottle
from sage.client_address import (
    ClientAddressLogFilter,
    address_bucket,
    client_address_from_scope,
    client_address_middleware,
    resolve_client_address,
)


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        ("10.0.0.5", None, 0, "10.0.0.5"),
        ("10.0.0.5", "198.51.100.7", 0, "10.0.0.5"),  # no proxy trusted: the header is the client's words
        ("10.0.0.5", "198.51.100.7", 1, "198.51.100.7"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),  # the left part was made up by the client
        ("10.0.0.6", "6.6.6.6, 198.51.100.7, 10.0.0.5", 2, "198.51.100.7"),
        ("10.0.0.5", "198.51.100.7", 2, "10.0.0.5"),  # fewer hops than proxies: not through all of them
        ("10.0.0.5", "not-an-address", 1, "10.0.0.5"),
        ("10.0.0.5", "2001:DB8::0:1", 1, "2001:db8::1"),  # canonical form: one spelling, one bucket
    ],
)
def test_the_client_is_the_address_the_outermost_trusted_proxy_saw(peer, forwarded_for, trusted, expected):
    assert resolve_client_address(peer=peer, forwarded_for=forwarded_for, trusted_proxies=trusted) == expected


def test_limits_count_an_ipv6_client_by_its_64_network_and_an_ipv4_one_by_its_address():
    assert address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1")
    assert address_bucket("198.51.100.7") == "198.51.100.7"
    assert address_bucket("::ffff:198.51.100.7") == "198.51.100.7"


def guest_list(client: APIClient, forwarded_for: str) -> int:
    headers = {"X-Guest-Session-ID": str(uuid.uuid4()), "X-Forwarded-For": forwarded_for}
    return client.get("/api/v1/conversations", headers=headers).status_code


@pytest.mark.django_db
def test_a_made_up_forwarded_for_buys_no_more_anonymous_requests(monkeypatch, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    monkeypatch.setattr(PrincipalRateThrottle, "rate", "3/min", raising=False)
    client = APIClient()

    statuses = [guest_list(client, f"203.0.113.{n}") for n in range(5)]

    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_behind_one_trusted_proxy_each_client_has_its_own_limit_whatever_it_prepends(monkeypatch, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setattr(PrincipalRateThrottle, "rate", "2/min", raising=False)
    client = APIClient()

    first = [guest_list(client, f"6.6.6.{n}, 198.51.100.7") for n in range(3)]
    second = [guest_list(client, "198.51.100.8") for _ in range(2)]

    assert first == [200, 200, 429]
    assert second == [200, 200]


def test_allauth_rate_limits_use_the_same_client_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )

    assert AccountAdapter(request).get_client_ip(request) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 0
    assert AccountAdapter(request).get_client_ip(request) == "10.0.0.5"


def test_a_socket_client_is_found_the_same_way(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    scope = {"client": ("10.0.0.5", 5000), "headers": [(b"x-forwarded-for", b"6.6.6.6, 198.51.100.7")]}

    assert client_address_from_scope(scope) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address_from_scope(scope) == "10.0.0.5"
    assert client_address_from_scope({"headers": []}) == "unknown"


def test_log_lines_written_while_a_request_is_served_name_its_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    log_filter = ClientAddressLogFilter()
    seen: list[str] = []

    def view(request):
        record = logging.LogRecord("sage", logging.INFO, __file__, 1, "served", None, None)
        log_filter.filter(record)
        seen.append(record.client)  # type: ignore[attr-defined]

    served = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.7")
    client_address_middleware(view)(served)
    outside = logging.LogRecord("sage", logging.INFO, __file__, 1, "idle", None, None)
    log_filter.filter(outside)

    assert seen == [" client=198.51.100.7"]
    assert outside.client == ""  # type: ignore[attr-defined]
