"""Drawings in a live session (issue 53 part 3): who may send drafts (who may comment), a draft gone
with its author, the session's object's comments (with their drawings) relayed to every participant,
and the member's session page commenting on the session's link's thread."""

from __future__ import annotations

import json
import re

import pytest
from channels.db import database_sync_to_async

from reviews.member_comments import comment_create_by_member
from tests.clients import client_in
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    ReviewSessionFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
)
from tests.review_sessions.sockets import drain, joined_guest, joined_member, next_of
from workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db(transaction=True)

RECT = {"tool": "rect", "color": "#1e88e5", "width": 0.005, "from": [0.2, 0.3], "to": [0.8, 0.7]}
DRAFT = {"type": "drawing.draft", "data": {"side": "b", "time": 3.5, "shapes": [RECT]}}


def _team_session_with_link():
    team = TeamWorkspaceFactory()
    owner = Membership.objects.get(workspace=team, role=Role.OWNER).user
    comparison = ComparisonFactory(owner=owner, workspace=team, refined=True)
    link = ShareLinkFactory(comparison=comparison, permission="comment", allow_sessions=True)
    session = ReviewSessionFactory(comparison=comparison, link=link, started_by=owner)
    viewer = MembershipFactory(workspace=team, role=Role.VIEWER).user
    other = ComparisonFactory(owner=owner, workspace=team, refined=True)
    return team, session, link, owner, viewer, other


async def test_a_viewer_may_not_draw_and_a_commenter_may() -> None:
    team, session, _, owner, viewer, _ = await database_sync_to_async(_team_session_with_link)()
    presenter, _ = await joined_member(owner, team, session.code)
    watcher, _ = await joined_member(viewer, team, session.code)
    await drain(presenter)
    await drain(watcher)

    await watcher.send_json_to(DRAFT)
    refused = await next_of(watcher, "error")
    await presenter.send_json_to(DRAFT)
    seen = (await next_of(watcher, "drawing.draft"))["data"]

    assert refused["code"] == "follow_only"
    assert seen["shapes"] == [RECT] and seen["side"] == "b"
    assert await presenter.receive_nothing(timeout=0.3)  # the viewer's draft went nowhere
    for socket in (presenter, watcher):
        await socket.disconnect()


async def test_a_draft_goes_when_its_author_leaves() -> None:
    team, session, link, owner, _, _ = await database_sync_to_async(_team_session_with_link)()
    presenter, _ = await joined_member(owner, team, session.code)
    guest, welcome = await joined_guest(link.token, session.code)
    await drain(presenter)
    await guest.send_json_to(DRAFT)
    await next_of(presenter, "drawing.draft")

    await guest.send_json_to({"type": "bye"})
    cleared = (await next_of(presenter, "drawing.clear"))["data"]

    assert cleared == {"by": welcome["you"]["id"]}
    await presenter.disconnect()


async def test_the_objects_comments_with_their_drawings_reach_every_participant() -> None:
    team, session, link, owner, _, other = await database_sync_to_async(_team_session_with_link)()
    presenter, _ = await joined_member(owner, team, session.code)
    guest, _ = await joined_guest(link.token, session.code)
    await drain(presenter)
    await drain(guest)

    def comment(on, **extra):
        return comment_create_by_member(
            author=owner, shared=on, side="b", start=3.5, body="Too big", drawing={"shapes": [RECT]}, **extra
        ).comment

    await database_sync_to_async(comment)(other)  # another comparison's: not this session's
    made = await database_sync_to_async(comment)(session.comparison, link_id=link.pk)
    heard = [(await next_of(socket, "comment.created"))["data"] for socket in (presenter, guest)]

    assert [each["id"] for each in heard] == [made.pk, made.pk]
    assert all(each["drawing"] == {"shapes": [RECT]} for each in heard)
    assert await presenter.receive_nothing(timeout=0.3) and await guest.receive_nothing(timeout=0.3)
    for socket in (presenter, guest):
        await socket.disconnect()


def _comments_config(html: str) -> dict:
    found = re.search(r'<script id="comments-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no comments config on the page"
    return json.loads(found.group(1))


def test_a_members_session_page_comments_on_the_sessions_link_when_their_role_allows() -> None:
    team, session, link, owner, viewer, _ = _team_session_with_link()
    unlinked = ReviewSessionFactory(comparison=session.comparison, started_by=owner)

    mine = _comments_config(client_in(owner, team).get(f"/sessions/{session.code}/").content.decode())
    watching = _comments_config(client_in(viewer, team).get(f"/sessions/{session.code}/").content.decode())
    members_only = _comments_config(client_in(owner, team).get(f"/sessions/{unlinked.code}/").content.decode())

    assert (mine["can_comment"], mine["link_id"]) == (True, link.pk)
    assert watching["can_comment"] is False  # no form, so no drawing tools
    assert members_only["can_comment"] is True and "link_id" not in members_only
