"""An id is a whole number and a flag is a JSON boolean, in every body and query of the API: `true`
is not comment 1 (Python counts it as 1), and `0`, `1` or `"true"` are not booleans."""

from __future__ import annotations

import pytest
from django.test import Client

from reviews.models import Comment
from tests.factories import CommentFactory, ShareLinkFactory, UserFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db

REVIEWER = {"X-Reviewer-Key": "k" * 40}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refused_field(response, field: str) -> list[str]:
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert list(fields) == [field], fields
    return fields[field]


@pytest.mark.parametrize("parent", [True, False, 1.0, "x", [1], {"id": 1}])
def test_a_reply_names_its_thread_by_a_whole_number_not_true(parent):
    first = CommentFactory(side="a")  # comment 1 on its link: `true` used to reply to it
    guest = Client(headers=REVIEWER)
    body = {"body": "Agreed", "author_name": "Ana", "side": "a", "start": 1, "parent": parent}

    response = guest.post(f"/api/v1/shared/{first.link.token}/comments", body, content_type="application/json")

    assert refused_field(response, "parent") == ["Reply to a comment by its id: a whole number from 1."]
    assert not Comment.objects.filter(parent=first).exists()


def test_a_reply_by_its_parents_id_is_still_taken():
    first = CommentFactory(side="a")
    guest = Client(headers=REVIEWER)
    body = {"body": "Agreed", "author_name": "Ana", "parent": first.pk}

    response = guest.post(f"/api/v1/shared/{first.link.token}/comments", body, content_type="application/json")

    assert response.status_code == 201, response.content
    assert response.json()["parent"] == first.pk


def _ready_pair(user) -> tuple[Video, Video]:
    return VideoFactory(owner=user, ready=True), VideoFactory(owner=user, ready=True)


@pytest.mark.parametrize("value", [True, False, 1.0])
@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/uploads", {"filename": "cut.mp4", "size": 1000, "version_of": "{value}"}, "version_of"),
        ("/api/v1/comparisons", {"video_a": "{value}", "video_b": "{b}"}, "video_a"),
        ("/api/v1/comparisons", {"video_a": "{a}", "video_b": "{value}"}, "video_b"),
        ("/api/v1/conversations", {"video": "{value}"}, "video"),
    ],
    ids=["upload-version_of", "comparison-video_a", "comparison-video_b", "conversation-video"],
)
def test_ids_in_json_bodies_refuse_booleans_and_fractions(url, body, field, value):
    user = UserFactory()
    a, b = _ready_pair(user)
    filled = {key: {"{value}": value, "{a}": a.pk, "{b}": b.pk}.get(given, given) for key, given in body.items()}

    response = signed_in(user).post(url, filled, content_type="application/json")

    assert refused_field(response, field) == ["Must be an id: a whole number from 1."]


def test_an_id_in_a_query_string_is_its_digits():
    client = signed_in(UserFactory())

    assert refused_field(client.get("/api/v1/search", {"q": "hello", "video": "true"}), "video")
    # Not a fraction either, though it is a whole one (DRF's integers take "5.0"), nor a signed one.
    assert refused_field(client.get("/api/v1/sessions", {"comparison": "5.0"}), "comparison")
    assert refused_field(client.get("/api/v1/sessions", {"video": "+5"}), "video")
    # Read as an id: there is no video 999999 of this account's.
    assert client.get("/api/v1/search", {"q": "hello", "video": "999999"}).status_code == 404


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", None])
def test_a_share_links_flag_is_a_json_boolean(value):
    owner = UserFactory()
    video = VideoFactory(owner=owner, ready=True)
    link = ShareLinkFactory(video=video)
    client = signed_in(owner)

    created = client.post(
        f"/api/v1/videos/{video.pk}/share-links", {"name": "Ana", "show_owner_notes": value}, "application/json"
    )
    changed = client.patch(f"/api/v1/share-links/{link.pk}", {"show_owner_notes": value}, "application/json")

    assert refused_field(created, "show_owner_notes")
    assert refused_field(changed, "show_owner_notes")
    link.refresh_from_db()
    assert link.show_owner_notes is False


@pytest.mark.parametrize("value", [0, 1, "true", "false"])
def test_the_accounts_ai_notes_flag_is_a_json_boolean(value):
    user = UserFactory(ai_notes_enabled=False)

    response = signed_in(user).patch("/api/v1/me", {"ai_notes_enabled": value}, "application/json")

    assert refused_field(response, "ai_notes_enabled") == ["Must be true or false."]
    user.refresh_from_db()
    assert user.ai_notes_enabled is False
