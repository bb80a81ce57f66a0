"""The live session's pages: a member's `/sessions/<code>/` is the object's own page with the session
panel (other workspaces' codes: 404), a link guest's `/s/<token>/sessions/<code>/` the shared page
with it (only for a session the link lets in, while the link allows sessions); and the Start buttons
on the objects' pages."""

from __future__ import annotations

import pytest
from django.test import Client

from reviews.models import ShareLink
from tests.clients import client_in, script_json
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    ReviewSessionFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
    UserFactory,
    VideoFactory,
)
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db


def _owner(team: Workspace):
    return Membership.objects.get(workspace=team, role=Role.OWNER).user


def test_a_member_opens_the_session_as_the_comparisons_page_with_the_session_panel() -> None:
    team = TeamWorkspaceFactory()
    comparison = ComparisonFactory(owner=_owner(team), workspace=team, refined=True)
    session = ReviewSessionFactory(comparison=comparison)
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user

    page = client_in(editor, team).get(f"/sessions/{session.code}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "data-compare-page" in html and "data-session" in html
    assert "Join the live session" in html and "Your name, as the others see it" not in html
    assert "js/session/session.js" in html and "js/session/start.js" not in html
    assert script_json(html, "session-config") == {
        "code": session.code,
        "socket_path": f"/ws/sessions/{session.code}/",
        "guest": False,
        "rate": comparison.video_a.timebase.rate_text,  # followers judge their error in its frames
    }


def test_a_video_session_is_the_videos_page() -> None:
    team = TeamWorkspaceFactory()
    video = VideoFactory(owner=_owner(team), workspace=team, ready=True, fps=29.97)
    session = ReviewSessionFactory(video=video)

    html = client_in(_owner(team), team).get(f"/sessions/{session.code}/").content.decode()

    assert "data-video-page" in html and "data-session" in html
    assert script_json(html, "session-config")["rate"] == "30000/1001"


def test_other_workspaces_get_404_and_a_member_acting_elsewhere_lands_in_the_team() -> None:
    team = TeamWorkspaceFactory()
    session = ReviewSessionFactory(comparison=ComparisonFactory(owner=_owner(team), workspace=team))
    member = MembershipFactory(workspace=team, role=Role.EDITOR).user

    assert client_in(UserFactory()).get(f"/sessions/{session.code}/").status_code == 404
    # A member whose header is on their own workspace follows the session's URL into the team (issue 65).
    assert client_in(member).get(f"/sessions/{session.code}/").status_code == 200
    assert client_in(member, team).get("/sessions/not-a-code/").status_code == 404
    assert Client().get(f"/sessions/{session.code}/").status_code == 302  # to the login page


def test_a_links_guest_opens_a_session_it_lets_in_and_nothing_else() -> None:
    team = TeamWorkspaceFactory()
    comparison = ComparisonFactory(owner=_owner(team), workspace=team, refined=True)
    link = ShareLinkFactory(comparison=comparison, permission=ShareLink.Permission.COMMENT, allow_sessions=True)
    let_in = ReviewSessionFactory(comparison=comparison, link=link)
    members_only = ReviewSessionFactory(comparison=comparison)

    page = Client().get(f"/s/{link.token}/sessions/{let_in.code}/")

    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin" and "noindex" in page["X-Robots-Tag"]
    html = page.content.decode()
    assert "Your name, as the others see it" in html
    assert script_json(html, "session-config")["socket_path"] == f"/ws/sessions/{let_in.code}/?link={link.token}"
    assert script_json(html, "session-config")["guest"] is True
    assert Client().get(f"/s/{link.token}/sessions/{members_only.code}/").status_code == 404
    ShareLink.objects.filter(pk=link.pk).update(allow_sessions=False)
    assert Client().get(f"/s/{link.token}/sessions/{let_in.code}/").status_code == 404


def test_start_is_offered_to_who_may_start_with_the_links_whose_guests_may_join() -> None:
    team = TeamWorkspaceFactory()
    comparison = ComparisonFactory(owner=_owner(team), workspace=team, refined=True)
    link = ShareLinkFactory(
        comparison=comparison, name="Client cut", permission=ShareLink.Permission.COMMENT, allow_sessions=True
    )
    ShareLinkFactory(comparison=comparison, name="View only", permission=ShareLink.Permission.VIEW)
    commenter = MembershipFactory(workspace=team, role=Role.COMMENTER).user
    viewer = MembershipFactory(workspace=team, role=Role.VIEWER).user

    html = client_in(commenter, team).get(f"/compare/{comparison.pk}/").content.decode()
    assert "Start a live session" in html and "js/session/start.js" in html
    assert f'<option value="{link.pk}">Those of the link “Client cut”</option>' in html
    assert "View only" not in html.split("data-session-start", 1)[1].split("</section>", 1)[0]
    as_viewer = client_in(viewer, team).get(f"/compare/{comparison.pk}/").content.decode()
    assert "data-session-start" in as_viewer and "Start a live session" not in as_viewer  # may join, not start

    shared = Client().get(f"/s/{link.token}/").content.decode()
    assert "Start a live session" in shared and "data-session-start-name" in shared
    ShareLink.objects.filter(pk=link.pk).update(allow_sessions=False)
    assert "data-session-start" not in Client().get(f"/s/{link.token}/").content.decode()
