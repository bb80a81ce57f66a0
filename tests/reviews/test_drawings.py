"""Drawings on the picture: what a drawing may hold, who may draw (guests and members), and members'
own comments (`reviews.drawings`, `reviews.member_comments`)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from activity.models import ActivityEvent
from reviews.drawings import clean_drawing
from reviews.models import Comment, ShareLink
from sage.errors import FieldInvalid
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    ShareLinkFactory,
    TeamWorkspaceFactory,
    UserFactory,
    VideoFactory,
    VideoStackFactory,
)
from videos.models import Video
from workspaces.models import Role

pytestmark = pytest.mark.django_db

KEY = "k" * 40
RECT = {"tool": "rect", "color": "#e53935", "width": 0.01, "from": [0.1, 0.2], "to": [0.5, 0.6]}
DRAWING: dict[str, Any] = {
    "shapes": [
        RECT,
        {"tool": "pen", "color": "#43a047", "width": 0.004, "points": [[0.1, 0.1], [0.2, 0.15], [0.3, 0.1]]},
        {"tool": "arrow", "color": "#ffffff", "width": 0.006, "from": [0.9, 0.9], "to": [0.6, 0.6]},
        {"tool": "ellipse", "color": "#1e88e5", "width": 0.002, "from": [0.4, 0.4], "to": [0.7, 0.8]},
        {"tool": "text", "color": "#fdd835", "at": [0.05, 0.95], "text": "Logo too big", "size": 0.05},
    ]
}


def guest() -> Client:
    return Client(headers={"X-Reviewer-Key": KEY}, REMOTE_ADDR="203.0.113.9")


def signed_in(user, workspace=None) -> Client:
    client = Client()
    client.force_login(user)
    if workspace is not None:
        assert client.post(reverse("workspace-switch"), {"workspace": workspace.pk}).status_code == 302
    return client


def guest_draw(link: ShareLink, drawing: object, **fields: Any):
    body = {"side": "b", "start": 2.0, "body": "", "author_name": "Ana", "drawing": drawing, **fields}
    return guest().post(f"/api/v1/shared/{link.token}/comments", body, content_type="application/json")  # type: ignore[attr-defined]


def with_shape(**changes: Any) -> dict[str, Any]:
    shape = {**RECT, **changes}
    return {"shapes": [{key: value for key, value in shape.items() if value is not ...}]}


@pytest.fixture
def link() -> ShareLink:
    return ShareLinkFactory(permission="comment")


def test_a_guest_saves_a_drawing_with_an_empty_body_and_gets_it_back_everywhere(link):
    made = guest_draw(link, DRAWING)

    assert made.status_code == 201, made.content
    comment = made.json()
    assert comment["body"] == "" and comment["drawing"] == DRAWING
    assert comment["has_still"] is True  # an uploaded video's picture
    listed = guest().get(f"/api/v1/shared/{link.token}/comments").json()["results"]
    assert listed[0]["drawing"] == DRAWING
    owner = signed_in(link.owner)
    assert owner.get(f"/api/v1/comparisons/{link.comparison_id}/comments").json()["results"][0]["drawing"] == DRAWING


@pytest.mark.parametrize(
    ("drawing", "says"),
    [
        ({"shapes": [{**RECT, "tool": "star"}]}, "Shape 1: tool must be one of pen, arrow, rect, ellipse, text."),
        (with_shape(color="#123456"), "Shape 1: color must be one of the palette"),
        (with_shape(width=0.5), "Shape 1 width: must lie between 0.002 and 0.02."),
        (with_shape(to=[1.5, 0.2]), "Shape 1 to x: must lie between 0 and 1."),
        (with_shape(to=["0.3", 0.2]), "Shape 1 to x: a number is required."),
        (with_shape(to=[True, 0.2]), "Shape 1 to x: a number is required."),
        (with_shape(to=[0.3]), "Shape 1 to: a point is [x, y]."),
        (with_shape(to=...), "Shape 1: missing to."),
        (with_shape(onclick="alert(1)"), "Shape 1: unknown key(s) onclick."),
        ({"shapes": [{"tool": "pen", "color": "#000000", "width": 0.01, "points": [[0.1, 0.1]]}]}, "2 to 500 points"),
        (
            {"shapes": [{"tool": "text", "color": "#000000", "at": [0.1, 0.1], "text": "a\x07b", "size": 0.05}]},
            "Shape 1 text: control characters are not allowed.",
        ),
        (
            {"shapes": [{"tool": "text", "color": "#000000", "at": [0.1, 0.1], "text": "", "size": 0.05}]},
            "Shape 1 text: text of 1 to 200 characters is required.",
        ),
        (
            {"shapes": [{"tool": "text", "color": "#000000", "at": [0.1, 0.1], "text": "x" * 201, "size": 0.05}]},
            "Shape 1 text: at most 200 characters.",
        ),
        (
            {"shapes": [{"tool": "text", "color": "#000000", "at": [0.1, 0.1], "text": "x", "size": 0.5}]},
            "Shape 1 size: must lie between 0.02 and 0.1.",
        ),
        ({"shapes": [RECT] * 51}, "At most 50 shapes."),
        (
            {"shapes": [{"tool": "pen", "color": "#000000", "width": 0.01, "points": [[0.5, 0.5]] * 500}] * 5},
            "At most 2,000 points in all.",
        ),
        ({"shapes": [RECT], "script": "x"}, 'A drawing is {"shapes": [...]}.'),
        ("<svg onload=alert(1)>", 'A drawing is {"shapes": [...]}.'),
    ],
)
def test_a_bad_drawing_is_refused_with_what_is_wrong_and_nothing_is_stored(link, drawing, says):
    refused = guest_draw(link, drawing, body="see this")

    assert refused.status_code == 400, refused.content
    [message] = refused.json()["error"]["fields"]["drawing"]
    assert says in message
    assert not Comment.objects.exists()


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_coordinates_are_finite(number):
    # JSON over HTTP has no NaN (the parser refuses it); the session socket's drafts pass here too.
    with pytest.raises(FieldInvalid, match="a number is required"):
        clean_drawing(with_shape(to=[number, 0.2]))


def test_a_drawing_over_32_kb_is_refused():
    # 50 pen lines of 40 points each (2,000 in all), their coordinates long decimals: over 32 KB of JSON.
    pen = {"tool": "pen", "color": "#000000", "width": 0.01, "points": [[0.123456789012345, 0.98765432101234]] * 40}
    refused = guest_draw(ShareLinkFactory(permission="comment"), {"shapes": [pen] * 50}, body="x")

    assert refused.status_code == 400 and "at most 32 KB" in refused.json()["error"]["fields"]["drawing"][0]
    assert not Comment.objects.exists()


def test_an_empty_body_needs_a_drawing_and_a_reply_carries_none(link):
    assert list(guest_draw(link, None).json()["error"]["fields"]) == ["body"]
    top = guest_draw(link, DRAWING).json()

    reply = guest_draw(link, DRAWING, parent=top["id"], body="and here")

    assert reply.status_code == 400 and list(reply.json()["error"]["fields"]) == ["drawing"]
    assert Comment.objects.count() == 1


def test_a_guest_on_a_view_only_link_cannot_draw():
    link = ShareLinkFactory(permission="view")

    refused = guest_draw(link, DRAWING)

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "comments_off"
    assert not Comment.objects.exists()


# --- members -------------------------------------------------------------------------------------


@pytest.fixture
def team():
    return TeamWorkspaceFactory()


def team_comparison(team):
    owner = team.created_by
    pair = [
        VideoFactory(owner=owner, workspace=team, title=title, comparable=True, duration=8.0) for title in ("A", "B")
    ]
    return ComparisonFactory(owner=owner, workspace=team, video_a=pair[0], video_b=pair[1])


def member_post(client: Client, url: str, **fields: Any):
    body = {"side": "a", "start": 1.5, "body": "", "drawing": DRAWING, **fields}
    return client.post(url, body, content_type="application/json")


def test_a_viewer_cannot_comment_but_a_commenter_draws_and_every_member_sees_it(team):
    comparison = team_comparison(team)
    url = f"/api/v1/comparisons/{comparison.pk}/comments"
    viewer = MembershipFactory(workspace=team, role=Role.VIEWER).user
    commenter = MembershipFactory(workspace=team, role=Role.COMMENTER).user
    commenter.display_name = "Cleo"
    commenter.save()

    assert member_post(signed_in(viewer, team), url).status_code == 403
    made = member_post(signed_in(commenter, team), url, body="Crop here")

    assert made.status_code == 201, made.content
    comment = made.json()
    assert (comment["author_name"], comment["by_owner"], comment["link_id"], comment["link_name"]) == (
        "Cleo",
        True,
        None,
        "",
    )
    assert Comment.objects.get().author == commenter
    event = ActivityEvent.objects.get(verb=ActivityEvent.Verb.COMMENTED)
    assert (event.workspace_id, event.actor_id, event.details["link_id"]) == (team.pk, commenter.pk, None)
    seen = signed_in(viewer, team).get(url).json()["results"]
    assert [(c["body"], c["drawing"]) for c in seen] == [("Crop here", DRAWING)]


def test_a_members_comment_stays_off_the_links_unless_put_on_one(team):
    comparison = team_comparison(team)
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    client = signed_in(team.created_by, team)
    url = f"/api/v1/comparisons/{comparison.pk}/comments"

    member_post(client, url, body="members only")
    on_link = member_post(client, url, body="for the client", link=link.pk, drawing=None)

    assert on_link.status_code == 201 and on_link.json()["link_id"] == link.pk
    guests_see = guest().get(f"/api/v1/shared/{link.token}/comments").json()["results"]
    assert [c["body"] for c in guests_see] == ["for the client"]
    assert {c["body"] for c in client.get(url).json()["results"]} == {"members only", "for the client"}


def test_a_members_comment_on_another_objects_or_workspaces_link_is_refused(team):
    comparison = team_comparison(team)
    other_object = ShareLinkFactory(comparison=team_comparison(team), permission="comment")
    elsewhere = ShareLinkFactory(permission="comment")  # another account's personal workspace
    client = signed_in(team.created_by, team)
    url = f"/api/v1/comparisons/{comparison.pk}/comments"

    wrong_object = member_post(client, url, link=other_object.pk)
    wrong_workspace = member_post(client, url, link=elsewhere.pk)

    assert wrong_object.status_code == 400 and list(wrong_object.json()["error"]["fields"]) == ["link"]
    assert wrong_workspace.status_code == 404
    assert not Comment.objects.exists()


def test_another_workspaces_object_is_not_found_to_a_member(team):
    stranger = UserFactory()
    theirs = ComparisonFactory(owner=stranger)

    assert member_post(signed_in(team.created_by, team), f"/api/v1/comparisons/{theirs.pk}/comments").status_code == 404


def test_members_draw_on_a_video_and_on_a_stacks_current_pair(user):
    client = signed_in(user)
    video = VideoFactory(owner=user, comparable=True, duration=20.0)
    on_video = member_post(client, f"/api/v1/videos/{video.pk}/comments", side="video")
    stack = VideoStackFactory(owner=user, versions=1)  # one version: its comments go on it alone
    newest = Video.objects.get(stack=stack)
    on_stack = member_post(client, f"/api/v1/stacks/{stack.pk}/comments", side="video", start=0.0)

    assert on_video.status_code == 201 and on_video.json()["video_id"] == video.pk
    assert on_stack.status_code == 201, on_stack.content
    stored = Comment.objects.get(pk=on_stack.json()["id"])
    assert stored.video == newest
    assert member_post(client, f"/api/v1/videos/{video.pk}/comments", side="a").status_code == 400


def test_a_member_resending_with_the_same_client_id_gets_the_first_comment(user):
    client = signed_in(user)
    comparison = ComparisonFactory(owner=user)
    url = f"/api/v1/comparisons/{comparison.pk}/comments"

    first = member_post(client, url, client_id="abc-1")
    again = member_post(client, url, client_id="abc-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and Comment.objects.count() == 1


def test_a_reply_to_a_members_comment_stays_members_only(user):
    client = signed_in(user)
    comparison = ComparisonFactory(owner=user)
    top = member_post(client, f"/api/v1/comparisons/{comparison.pk}/comments").json()

    reply = client.post(f"/api/v1/comments/{top['id']}/replies", {"body": "ok"}, content_type="application/json")

    assert reply.status_code == 201 and reply.json()["link_id"] is None
    assert Comment.objects.get(pk=reply.json()["id"]).author == user


def test_the_drawing_is_rebuilt_from_known_keys_only():
    stored = copy.deepcopy(DRAWING)
    stored["shapes"][0]["width"] = 0.01  # an int-like float stays a float
    made = guest_draw(ShareLinkFactory(permission="comment"), stored).json()

    assert Comment.objects.get(pk=made["id"]).drawing == DRAWING


def test_operators_read_a_members_drawing_comment_in_the_admin(user):
    comparison = ComparisonFactory(owner=user)
    made = member_post(signed_in(user), f"/api/v1/comparisons/{comparison.pk}/comments").json()
    operator = signed_in(UserFactory(is_staff=True, is_superuser=True))

    listed = operator.get("/admin/reviews/comment/")
    opened = operator.get(f"/admin/reviews/comment/{made['id']}/change/")

    assert listed.status_code == 200 and opened.status_code == 200
    assert b"ellipse" in opened.content and user.email.encode() in opened.content
