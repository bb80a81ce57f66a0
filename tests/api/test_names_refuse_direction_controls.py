"""Names people give (a reviewer's name, a display name, a title, a link's or token's name, the
extension's browser name) refuse the characters that change the direction of text, through the API
and the forms alike; bodies (comments, notes) keep them, and pages isolate them."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import ApiToken, ExtensionConnect
from notes.models import Note
from reviews.models import Comment, ShareLink
from sage.text import NAME_BIDI_MESSAGE
from tests.factories import CommentFactory, ShareLinkFactory, UserFactory, VideoFactory
from videos.models import Upload

pytestmark = pytest.mark.django_db

# Each family the issue names: override, embedding, isolate, and the two marks.
CONTROLS = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f"]
REVIEWER = {"X-Reviewer-Key": "k" * 40}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {field: [NAME_BIDI_MESSAGE]}


@pytest.mark.parametrize("control", CONTROLS)
def test_a_reviewers_name_refuses_direction_controls_and_their_comment_keeps_them(control):
    link = ShareLinkFactory(video=VideoFactory(ready=True), permission="comment")
    guest = Client(headers=REVIEWER)
    url = f"/api/v1/shared/{link.token}/comments"

    named = guest.post(
        url, {"body": "ok", "author_name": f"Ana{control}", "side": "video", "start": 1}, "application/json"
    )
    in_body = guest.post(
        url, {"body": f"fine {control}here", "author_name": "Ana", "side": "video", "start": 1}, "application/json"
    )

    refused(named, "author_name")
    assert in_body.status_code == 201, in_body.content
    assert Comment.objects.get().body == f"fine {control}here"


def test_a_reply_by_a_reviewer_with_such_a_name_is_refused_too():
    first = CommentFactory(side="a")
    body = {"body": "ok", "author_name": "\u202eanA", "parent": first.pk}

    refused(
        Client(headers=REVIEWER).post(f"/api/v1/shared/{first.link.token}/comments", body, "application/json"),
        "author_name",
    )


@pytest.mark.parametrize("control", ["\u202e", "\u2067", "\u200f"])
def test_names_given_through_the_api_refuse_direction_controls(control):
    user = UserFactory(display_name="Ana")
    video = VideoFactory(owner=user, ready=True)
    link = ShareLinkFactory(video=video)
    client = signed_in(user)
    name = f"Client {control}2 dnuor"

    refused(client.patch("/api/v1/me", {"display_name": name}, "application/json"), "display_name")
    refused(client.post("/api/v1/tokens", {"name": name, "scopes": ["read"]}, "application/json"), "name")
    upload = {"filename": "cut.mp4", "size": 1000, "title": name}
    refused(client.post("/api/v1/uploads", upload, "application/json"), "title")
    upload = {"filename": f"cut{control}4pm.mp4", "size": 1000}
    refused(client.post("/api/v1/uploads", upload, "application/json"), "filename")
    refused(client.post(f"/api/v1/videos/{video.pk}/share-links", {"name": name}, "application/json"), "name")
    refused(client.patch(f"/api/v1/share-links/{link.pk}", {"name": name}, "application/json"), "name")

    user.refresh_from_db()
    assert user.display_name == "Ana"
    assert not ApiToken.objects.exists()
    assert not Upload.objects.exists()
    assert list(ShareLink.objects.values_list("name", flat=True)) == [link.name]


def test_a_note_keeps_direction_controls_in_its_text():
    user = UserFactory()
    video = VideoFactory(owner=user, ready=True, duration=60)

    response = signed_in(user).post(
        f"/api/v1/videos/{video.pk}/notes", {"start": 1, "text": "a \u202eb"}, "application/json"
    )

    assert response.status_code == 201, response.content
    assert Note.objects.get().text == "a \u202eb"


def test_the_settings_forms_refuse_such_names():
    user = UserFactory(display_name="Ana")
    client = signed_in(user)

    profile = client.post("/settings/profile/", {"display_name": "\u202eanA"})
    token = client.post("/settings/tokens/", {"name": "laptop\u2066", "scopes": ["read"]})

    for response in (profile, token):
        assert response.status_code == 400
        assert NAME_BIDI_MESSAGE in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == "Ana"
    assert not ApiToken.objects.exists()


def test_the_share_link_form_refuses_such_a_name():
    user = UserFactory()
    video = VideoFactory(owner=user, ready=True)

    response = signed_in(user).post(
        f"/sharing/videos/{video.pk}/links/", {"name": "\u202etneilC", "permission": "view"}, follow=True
    )

    assert NAME_BIDI_MESSAGE in response.content.decode()
    assert not ShareLink.objects.exists()


def test_the_connect_page_refuses_a_browser_name_with_direction_controls():
    client = signed_in(UserFactory())

    response = client.get("/settings/connect", {"challenge": "A" * 43, "browser": "Chrome\u202e"})

    assert response.status_code == 400
    assert NAME_BIDI_MESSAGE in response.content.decode()
    assert not ExtensionConnect.objects.exists()
