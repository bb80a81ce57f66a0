"""Ending a session for everyone from inside it: the socket's `end` frame (the page's "End for
everyone") for whoever may steer it — the presenter, the starter, a workspace admin, a guest among
them — and the guests' `POST /api/v1/shared/<token>/sessions/<code>/end`; everyone else is refused.
The welcome tells each person whether they may steer whoever presents (`you.may_steer`)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from accounts.models import User
from activity.models import ActivityEvent
from review_sessions.models import ReviewSession
from review_sessions.services import session_start_by_guest
from reviews.models import ShareLink
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    ReviewSessionFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
)
from tests.review_sessions.sockets import GUEST_KEY, joined_guest, joined_member, next_of
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_KEY = "o" * 40


def _team_session() -> tuple[Workspace, ReviewSession, User, User, User]:
    """A team's session on a comparison, started by its owner; a commenter and an admin of the team."""
    team = TeamWorkspaceFactory()
    owner = Membership.objects.get(workspace=team, role=Role.OWNER).user
    comparison = ComparisonFactory(owner=owner, workspace=team, refined=True)
    session = ReviewSessionFactory(comparison=comparison, started_by=owner)
    commenter = MembershipFactory(workspace=team, role=Role.COMMENTER).user
    admin = MembershipFactory(workspace=team, role=Role.ADMIN).user
    return team, session, owner, commenter, admin


def _guest_session() -> tuple[ShareLink, ReviewSession]:
    """A session a link's guest ("Ana", GUEST_KEY) started from the link: she presents it."""
    link = ShareLinkFactory(permission="comment", allow_sessions=True)
    return link, session_start_by_guest(link=link, name="Ana", reviewer_key=GUEST_KEY)


def _ended(session: ReviewSession) -> tuple[str, bool]:
    fresh = ReviewSession.objects.get(pk=session.pk)
    return fresh.end_reason, fresh.ended_at is not None


def _ending_names(session: ReviewSession) -> list[str]:
    return list(
        ActivityEvent.objects.filter(verb="session_ended", details__session=session.code).values_list(
            "actor_name", flat=True
        )
    )


async def test_the_presenter_ends_the_session_for_everyone_from_the_socket() -> None:
    team, session, owner, commenter, _ = await database_sync_to_async(_team_session)()
    presenter, presenter_welcome = await joined_member(owner, team, session.code)
    follower, follower_welcome = await joined_member(commenter, team, session.code)
    assert (presenter_welcome["you"]["may_steer"], follower_welcome["you"]["may_steer"]) == (True, False)

    await presenter.send_json_to({"type": "end"})

    for socket in (follower, presenter):
        assert (await next_of(socket, "session.ended"))["data"] == {"reason": "ended"}
        assert (await socket.receive_output(timeout=5))["code"] == 4410
    assert await database_sync_to_async(_ended)(session) == ("ended", True)
    assert await database_sync_to_async(_ending_names)(session) == [owner.name]


async def test_a_follower_may_not_end_the_session_and_it_goes_on() -> None:
    team, session, owner, commenter, _ = await database_sync_to_async(_team_session)()
    presenter, _ = await joined_member(owner, team, session.code)
    follower, _ = await joined_member(commenter, team, session.code)

    await follower.send_json_to({"type": "end"})

    refused = await next_of(follower, "error")
    assert (refused["code"], refused["type_of"]) == ("permission_denied", "end")
    assert await database_sync_to_async(_ended)(session) == ("", False)
    await follower.send_json_to({"type": "clock.ping", "id": 1, "t0": 1.0})
    assert (await next_of(follower, "clock.pong"))["id"] == 1  # still in the session
    for socket in (presenter, follower):
        await socket.disconnect()


async def test_a_workspace_admin_who_does_not_present_ends_it() -> None:
    team, session, owner, _, admin = await database_sync_to_async(_team_session)()
    presenter, _ = await joined_member(owner, team, session.code)
    steering, welcome = await joined_member(admin, team, session.code)
    assert (welcome["you"]["presenter"], welcome["you"]["may_steer"]) == (False, True)

    await steering.send_json_to({"type": "end"})

    assert (await next_of(presenter, "session.ended"))["data"] == {"reason": "ended"}
    assert await database_sync_to_async(_ending_names)(session) == [admin.name]
    for socket in (presenter, steering):
        await socket.disconnect()


async def test_a_guest_presenter_ends_the_session_from_the_socket() -> None:
    link, session = await database_sync_to_async(_guest_session)()
    ana, welcome = await joined_guest(link.token, session.code, name="Ana", key=GUEST_KEY)
    bea, bea_welcome = await joined_guest(link.token, session.code, name="Bea", key=OTHER_KEY)
    assert (welcome["you"]["presenter"], welcome["you"]["may_steer"], bea_welcome["you"]["may_steer"]) == (
        True,
        True,
        False,
    )

    await bea.send_json_to({"type": "end"})
    assert (await next_of(bea, "error"))["code"] == "permission_denied"
    await ana.send_json_to({"type": "end"})

    assert (await next_of(bea, "session.ended"))["data"] == {"reason": "ended"}
    assert await database_sync_to_async(_ended)(session) == ("ended", True)
    assert await database_sync_to_async(_ending_names)(session) == ["Ana"]
    for socket in (ana, bea):
        await socket.disconnect()


async def test_a_guest_ends_the_session_they_started_over_the_api() -> None:
    link, session = await database_sync_to_async(_guest_session)()
    other_link = await database_sync_to_async(ShareLinkFactory)(permission="comment", allow_sessions=True)
    follower, _ = await joined_guest(link.token, session.code, name="Bea", key=OTHER_KEY)
    guest = Client()
    url = f"/api/v1/shared/{link.token}/sessions/{session.code}/end"

    def post(path: str, body: dict) -> tuple[int, dict]:
        answer = guest.post(path, body, content_type="application/json")
        return answer.status_code, answer.json()

    status, body = await database_sync_to_async(post)(url, {"reviewer_key": OTHER_KEY})
    assert (status, body["error"]["code"]) == (403, "permission_denied")  # Bea neither presents nor started it
    status, body = await database_sync_to_async(post)(url, {"reviewer_key": "short"})
    assert (status, list(body["error"]["fields"])) == (400, ["reviewer_key"])
    other = f"/api/v1/shared/{other_link.token}/sessions/{session.code}/end"
    assert (await database_sync_to_async(post)(other, {"reviewer_key": GUEST_KEY}))[0] == 404
    assert await database_sync_to_async(_ended)(session) == ("", False)

    status, body = await database_sync_to_async(post)(url, {"reviewer_key": GUEST_KEY})

    assert (status, body["live"], body["end_reason"]) == (200, False, "ended")
    assert (await next_of(follower, "session.ended"))["data"] == {"reason": "ended"}
    assert await database_sync_to_async(_ending_names)(session) == ["Ana"]
    assert (await database_sync_to_async(post)(url, {"reviewer_key": GUEST_KEY}))[0] == 200  # again: no change
