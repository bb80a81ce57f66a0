"""`/api/v1/shared/<token>/sessions…`: a link's guests start, list and read sessions, only through a
link that allows them; a guest who started one presents it when their page connects."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from tests.factories import ShareLinkFactory
from tests.review_sessions.sockets import GUEST_KEY, hang_up, joined_guest, joined_member, next_of

KEY_HEADER = {"X-Reviewer-Key": GUEST_KEY}


@pytest.mark.django_db
def test_a_guest_starts_a_session_only_through_a_link_that_allows_sessions() -> None:
    closed = ShareLinkFactory(permission="comment")
    open_link = ShareLinkFactory(permission="comment", allow_sessions=True)
    viewing = ShareLinkFactory(permission="view", allow_sessions=True)  # sessions only count with comments
    guest = Client()

    refused = guest.post(
        f"/api/v1/shared/{closed.token}/sessions", {"name": "Ana"}, content_type="application/json", headers=KEY_HEADER
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "sessions_off")
    assert (
        guest.post(
            f"/api/v1/shared/{viewing.token}/sessions",
            {"name": "Ana"},
            content_type="application/json",
            headers=KEY_HEADER,
        ).status_code
        == 403
    )
    no_key = guest.post(f"/api/v1/shared/{open_link.token}/sessions", {"name": "Ana"}, content_type="application/json")
    assert no_key.status_code == 400

    started = guest.post(
        f"/api/v1/shared/{open_link.token}/sessions",
        {"name": "Ana"},
        content_type="application/json",
        headers=KEY_HEADER,
    )

    assert started.status_code == 201, started.content
    body = started.json()
    assert (body["presenter"]["name"], body["presenter"]["guest"], body["started_by_name"]) == ("Ana", True, "Ana")
    assert body["guest_url"].endswith(f"/s/{open_link.token}/sessions/{body['code']}/")
    listed = guest.get(f"/api/v1/shared/{open_link.token}/sessions").json()["results"]
    assert [one["code"] for one in listed] == [body["code"]]
    assert guest.get(f"/api/v1/shared/{open_link.token}/sessions/{body['code']}").status_code == 200
    # Another link of the same object reaches nothing of it.
    assert guest.get(f"/api/v1/shared/{closed.token}/sessions/{body['code']}").status_code == 404
    assert guest.get(f"/api/v1/shared/{closed.token}/sessions").json()["results"] == []


@pytest.mark.django_db(transaction=True)
async def test_the_guest_who_started_a_session_presents_it_from_their_page() -> None:
    link = await database_sync_to_async(ShareLinkFactory)(permission="comment", allow_sessions=True)
    guest = Client()
    started = await database_sync_to_async(guest.post)(
        f"/api/v1/shared/{link.token}/sessions", {"name": "Ana"}, content_type="application/json", headers=KEY_HEADER
    )
    code = started.json()["code"]

    socket, welcome = await joined_guest(link.token, code, name="Ana", key=GUEST_KEY)
    other, others = await joined_guest(link.token, code, name="Bo", key="b" * 40)

    assert (welcome["you"]["presenter"], others["you"]["presenter"]) == (True, False)
    await socket.send_json_to({"type": "state", "data": {"playing": True, "position": 1.0, "seek": True}})
    state = (await next_of(other, "state"))["data"]
    assert (state["by"], state["position"], state["playing"]) == (welcome["you"]["id"], 1.0, True)
    for one in (socket, other):
        await one.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_guest_presenter_who_reconnects_is_recognised_by_their_key_and_plays_on() -> None:
    link = await database_sync_to_async(ShareLinkFactory)(permission="comment", allow_sessions=True)
    owner = await database_sync_to_async(lambda: link.owner)()
    started = await database_sync_to_async(Client().post)(
        f"/api/v1/shared/{link.token}/sessions", {"name": "Ana"}, content_type="application/json", headers=KEY_HEADER
    )
    code = started.json()["code"]
    presenter, welcome = await joined_guest(link.token, code, name="Ana", key=GUEST_KEY)
    member, _ = await joined_member(owner, None, code)
    await presenter.send_json_to(
        {"type": "state", "data": {"playing": True, "position": 3.0, "at": welcome["server_ms"], "seek": True}}
    )
    await next_of(member, "state")

    await presenter.disconnect()
    assert (await next_of(member, "presenter.away"))["data"]["state"]["playing"] is False
    again, rewelcome = await joined_guest(link.token, code, name="Ana", key=GUEST_KEY)

    assert (rewelcome["you"]["id"], rewelcome["you"]["presenter"]) == (welcome["you"]["id"], True)
    assert (await next_of(member, "presenter.back"))["data"]["state"]["playing"] is True
    await hang_up(again, member)
