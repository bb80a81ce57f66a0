"""The thread says what the access policy lets its reader do (issue 63): each comment in an API answer
carries `can_delete` (`comment.delete` with who made it), the answer the page shows Delete by, and the
DELETE it would send gets the same answer."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from reviews.comments import comment_create_by_guest
from reviews.member_comments import comment_create_by_member
from tests.factories import MembershipFactory, ShareLinkFactory, TeamWorkspaceFactory, VideoFactory, member_in
from workspaces.current import SESSION_KEY
from workspaces.models import Role

pytestmark = pytest.mark.django_db

ANA, BO = "a" * 40, "b" * 40


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the guests' rate counts
    yield
    cache.clear()


def test_each_reader_is_told_which_comments_they_may_delete_and_the_api_agrees() -> None:
    team = TeamWorkspaceFactory()
    owner = team.created_by
    assert owner is not None
    video = VideoFactory(owner=owner, workspace=team, ready=True)
    link = ShareLinkFactory(video=video, permission="comment")
    comment_create_by_guest(link=link, reviewer_key=ANA, body="Ana's", author_name="Ana", side="video", start=1.0)
    comment_create_by_member(member=member_in(owner, team.pk), shared=video, side="video", start=2.0, body="Owner's")
    commenter = MembershipFactory(workspace=team, role=Role.COMMENTER).user
    comment_create_by_member(
        member=member_in(commenter, team.pk), shared=video, side="video", start=3.0, body="Commenter's"
    )

    def member_view(role: str) -> dict[str, bool]:
        user = commenter if role == Role.COMMENTER else MembershipFactory(workspace=team, role=role).user
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = team.pk
        session.save()
        results = client.get(f"/api/v1/videos/{video.pk}/comments").json()["results"]
        return {c["body"]: c["can_delete"] for c in results}

    def guest_view(key: str) -> dict[str, bool]:
        guest = Client(headers={"X-Reviewer-Key": key}, REMOTE_ADDR="203.0.113.5")
        results = guest.get(f"/api/v1/shared/{link.token}/comments").json()["results"]
        return {c["body"]: c["can_delete"] for c in results}

    everything = {"Ana's": True, "Owner's": True, "Commenter's": True}
    assert member_view(Role.EDITOR) == everything
    assert member_view(Role.COMMENTER) == {"Ana's": False, "Owner's": False, "Commenter's": True}
    assert member_view(Role.VIEWER) == {"Ana's": False, "Owner's": False, "Commenter's": False}
    # A guest sees their link's thread only (members' own comments are members only), and deletes theirs.
    assert guest_view(ANA) == {"Ana's": True}
    assert guest_view(BO) == {"Ana's": False}
