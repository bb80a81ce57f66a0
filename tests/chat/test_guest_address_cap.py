"""Guests' free answers are capped per client address as well as per guest id: a new
X-Guest-Session-ID (or a cleared cookie) does not buy another day's quota."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from chat.consumers import viewer_from_scope
from chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

HOME = "198.51.100.7"
NEIGHBOUR = "198.51.100.8"


def ask_as_new_guest(address: str, *, forwarded_for: str = "") -> tuple[int, dict]:
    """A guest with a fresh id starts a conversation and asks one question from `address`."""
    client = APIClient(REMOTE_ADDR=address)
    headers = {"X-Guest-Session-ID": str(uuid.uuid4())}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    conversation = client.post("/api/v1/conversations", {}, format="json", headers=headers).json()["id"]
    asked = client.post(
        f"/api/v1/conversations/{conversation}/messages", {"text": "Hi"}, format="json", headers=headers
    )
    body = asked.json() if asked.status_code != 201 else {}
    return asked.status_code, {"body": body, "retry_after": asked.get("Retry-After")}


def test_new_guest_ids_from_one_address_stop_at_the_address_cap_and_another_address_has_its_own(settings):
    settings.GUEST_DAILY_CHAT_MESSAGES = 5
    settings.GUEST_DAILY_CHAT_MESSAGES_PER_ADDRESS = 3
    settings.TRUSTED_PROXY_COUNT = 0

    from_home = [ask_as_new_guest(HOME, forwarded_for=f"203.0.113.{n}")[0] for n in range(3)]
    refused_status, refused = ask_as_new_guest(HOME, forwarded_for="203.0.113.99")
    neighbour_status, _ = ask_as_new_guest(NEIGHBOUR)

    assert from_home == [201, 201, 201]
    assert refused_status == 429
    error = refused["body"]["error"]
    assert error["code"] == "quota_exceeded"
    assert set(error) == {"code", "message", "fields"}
    assert "network address" in error["message"] and "Sign up" in error["message"]
    assert int(refused["retry_after"]) > 0
    assert neighbour_status == 201
    # The refused question left nothing behind; three answered guests and the neighbour did.
    assert Message.objects.filter(role=Message.Role.USER).count() == 4


def test_behind_a_trusted_proxy_the_cap_counts_the_address_the_proxy_saw(settings):
    settings.GUEST_DAILY_CHAT_MESSAGES_PER_ADDRESS = 1
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.5"

    first, _ = ask_as_new_guest(proxy, forwarded_for=f"6.6.6.1, {HOME}")
    again, _ = ask_as_new_guest(proxy, forwarded_for=f"6.6.6.2, {HOME}")
    neighbour, _ = ask_as_new_guest(proxy, forwarded_for=NEIGHBOUR)

    assert (first, again, neighbour) == (201, 429, 201)


def test_a_guest_on_a_chat_socket_is_counted_at_the_sockets_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    scope = {
        "cookies": {},
        "user": AnonymousUser(),
        "client": ("10.0.0.5", 40000),
        "headers": [(b"x-forwarded-for", f"6.6.6.6, {HOME}".encode())],
    }

    assert viewer_from_scope(scope).address == HOME
