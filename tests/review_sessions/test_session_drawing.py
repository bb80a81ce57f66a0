"""Drawings in a live session (issue 53 part 3): who may send drafts (who may comment), a draft gone
with its author, the session's object's comments (with their drawings) relayed to every participant,
and the member's session page commenting on the session's link's thread."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from reviews.member_comments import comment_create_by_member
from tests.clients import client_in, script_json
from tests.factories import ComparisonFactory, ReviewSessionFactory, member_in
from tests.review_sessions.sockets import drain, hang_up, next_of, team_session

pytestmark = pytest.mark.django_db(transaction=True)

RECT = {"tool": "rect", "color": "#1e88e5", "width": 0.005, "from": [0.2, 0.3], "to": [0.8, 0.7]}
DRAFT = {"type": "drawing.draft", "data": {"side": "b", "time": 3.5, "shapes": [RECT]}}


async def test_a_viewer_may_not_draw_and_a_commenter_may() -> None:
    review = await database_sync_to_async(team_session)()
    presenter, _ = await review.join(review.owner)
    watcher, _ = await review.join(review.viewer)
    await drain(presenter)
    await drain(watcher)

    await watcher.send_json_to(DRAFT)
    refused = await next_of(watcher, "error")
    await presenter.send_json_to(DRAFT)
    seen = (await next_of(watcher, "drawing.draft"))["data"]

    assert refused["code"] == "follow_only"
    assert seen["shapes"] == [RECT] and seen["side"] == "b"
    assert await presenter.receive_nothing(timeout=0.3)  # the viewer's draft went nowhere
    await hang_up(presenter, watcher)


async def test_a_draft_goes_when_its_author_leaves() -> None:
    review = await database_sync_to_async(team_session)()
    presenter, _ = await review.join(review.owner)
    guest, welcome = await review.join_guest()
    await drain(presenter)
    await guest.send_json_to(DRAFT)
    await next_of(presenter, "drawing.draft")

    await guest.send_json_to({"type": "bye"})
    cleared = (await next_of(presenter, "drawing.clear"))["data"]

    assert cleared == {"by": welcome["you"]["id"]}
    await presenter.disconnect()


async def test_the_objects_comments_with_their_drawings_reach_every_participant() -> None:
    review = await database_sync_to_async(team_session)()
    other = await database_sync_to_async(ComparisonFactory)(owner=review.owner, workspace=review.team, refined=True)
    presenter, _ = await review.join(review.owner)
    guest, _ = await review.join_guest()
    await drain(presenter)
    await drain(guest)

    def comment(on, **extra):
        return comment_create_by_member(
            member=member_in(review.owner, review.team.pk),
            shared=on,
            side="b",
            start=3.5,
            body="Too big",
            drawing={"shapes": [RECT]},
            **extra,
        ).comment

    await database_sync_to_async(comment)(other)  # another comparison's: not this session's
    made = await database_sync_to_async(comment)(review.session.comparison, link_id=review.link.pk)
    heard = [(await next_of(socket, "comment.created"))["data"] for socket in (presenter, guest)]

    assert [each["id"] for each in heard] == [made.pk, made.pk]
    assert all(each["drawing"] == {"shapes": [RECT]} for each in heard)
    assert await presenter.receive_nothing(timeout=0.3) and await guest.receive_nothing(timeout=0.3)
    await hang_up(presenter, guest)


def test_a_members_session_page_comments_on_the_sessions_link_when_their_role_allows() -> None:
    review = team_session()
    unlinked = ReviewSessionFactory(comparison=review.session.comparison, started_by=review.owner)

    def comments_config(user, session) -> dict:
        page = client_in(user, review.team).get(f"/sessions/{session.code}/").content.decode()
        return script_json(page, "comments-config")

    mine = comments_config(review.owner, review.session)
    watching = comments_config(review.viewer, review.session)
    members_only = comments_config(review.owner, unlinked)

    assert (mine["can_comment"], mine["link_id"]) == (True, review.link.pk)
    assert watching["can_comment"] is False  # no form, so no drawing tools
    assert members_only["can_comment"] is True and "link_id" not in members_only
