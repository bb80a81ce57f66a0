"""Reviewers' comments through a share link, and the owner's side of them, over the REST API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notes.models import Note
from reviews.models import Comment, ShareLink
from tests.factories import (
    ApiTokenFactory,
    ComparisonFactory,
    NoteFactory,
    ShareLinkFactory,
    UserFactory,
    VideoStackFactory,
)
from videos.models import Comparison, Video

pytestmark = pytest.mark.django_db

KEY = "k" * 40
OTHER_KEY = "o" * 40


def guest(key: str = KEY, address: str = "203.0.113.5", **headers: str) -> Client:
    return Client(headers={"X-Reviewer-Key": key, **headers}, REMOTE_ADDR=address)


def owner_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def comments_url(link: ShareLink) -> str:
    return f"/api/v1/shared/{link.token}/comments"  # type: ignore[attr-defined]  # ShareLinkFactory's


def post_comment(link: ShareLink, client: Client | None = None, **fields):
    body = {"side": "b", "start": 3.5, "body": "This logo is too big", "author_name": "Ana", **fields}
    return (client or guest()).post(comments_url(link), body, content_type="application/json")


@pytest.fixture
def link() -> ShareLink:
    return ShareLinkFactory(permission="comment")


def test_a_reviewer_comments_on_b_at_a_moment_and_sees_it_as_theirs(link):
    made = post_comment(link, end=5.0)

    assert made.status_code == 201, made.content
    comment = made.json()
    assert (comment["side"], comment["start"], comment["end"]) == ("b", 3.5, 5.0)
    assert (comment["body"], comment["author_name"], comment["by_owner"], comment["mine"]) == (
        "This logo is too big",
        "Ana",
        False,
        True,
    )
    assert comment["comparison_id"] == link.comparison_id and comment["video_id"] is None
    assert "link_id" not in comment and "link_name" not in comment  # the owner's label for them
    stored = Comment.objects.get(pk=comment["id"])
    assert stored.author_key_digest and KEY not in stored.author_key_digest

    mine = guest().get(comments_url(link)).json()
    theirs = guest(OTHER_KEY).get(comments_url(link)).json()
    assert [c["id"] for c in mine["results"]] == [comment["id"]] and mine["can_comment"] is True
    assert (mine["results"][0]["mine"], theirs["results"][0]["mine"]) == (True, False)


def test_the_owner_sees_every_links_comments_with_the_link_named(link):
    post_comment(link)
    second = ShareLinkFactory(comparison=link.comparison, permission="comment", name="Producer")
    post_comment(second, body="Music too loud", side="a", start=1.0)
    second.revoked_at = timezone.now()
    second.save()

    listed = owner_client(link.owner).get(f"/api/v1/comparisons/{link.comparison_id}/comments").json()["results"]

    assert sorted((c["body"], c["link_name"]) for c in listed) == [
        ("Music too loud", "Producer"),
        ("This logo is too big", link.name),
    ]


def test_a_guest_of_one_link_never_sees_another_links_comments(link):
    other = ShareLinkFactory(comparison=link.comparison, permission="comment")
    post_comment(other, body="Only for the other link")

    assert guest().get(comments_url(link)).json()["results"] == []


def test_a_view_only_link_refuses_comments():
    view_only = ShareLinkFactory(permission="view")

    refused = post_comment(view_only)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "comments_off"
    assert guest().get(comments_url(view_only)).json()["can_comment"] is False


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"body": "x" * 2001}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "bell\x07"}, "body"),
        ({"author_name": "n" * 61}, "author_name"),
        ({"author_name": "Ana\nBob"}, "author_name"),
        ({"start": 8.5}, "start"),  # B is 8 s long
        ({"start": -1}, "start"),
        ({"start": 2.0, "end": 1.0}, "end"),
        ({"side": "video"}, "side"),
        ({"start": "3"}, "start"),
    ],
)
def test_comments_out_of_bounds_are_refused_by_field(link, fields, field):
    refused = post_comment(link, **fields)

    assert refused.status_code == 400, refused.content
    assert field in refused.json()["error"]["fields"]
    assert not Comment.objects.exists()


def test_bodies_and_names_are_stripped_and_kept_as_plain_text(link):
    made = post_comment(link, body="  <b>bold</b>\n**not markdown**  ", author_name="  <i>Ana</i> ").json()

    assert made["body"] == "<b>bold</b>\n**not markdown**"
    assert made["author_name"] == "<i>Ana</i>"


def test_a_carriage_return_or_other_control_in_a_body_is_refused_as_the_schema_says(link):
    """Line breaks and tabs only: the published pattern and the service agree (schemathesis sent a
    member's body with a carriage return that the schema allowed and the service refused)."""
    member = owner_client(link.owner)
    member_url = f"/api/v1/comparisons/{link.comparison_id}/comments"
    for body in ("two\r\nlines", "bell\u0007", "\u008bnext line"):
        for refused in (
            post_comment(link, body=body),
            member.post(member_url, {"side": "b", "start": 1.0, "body": body}, content_type="application/json"),
        ):
            assert refused.status_code == 400, refused.content
            assert refused.json()["error"]["fields"]["body"] == ["Control characters are not allowed."]
    assert not Comment.objects.exists()
    made = post_comment(link, body="two\nlines\tand a tab")
    assert made.status_code == 201 and made.json()["body"] == "two\nlines\tand a tab"


def test_a_reviewer_without_a_proper_key_cannot_comment(link):
    refused = post_comment(link, client=guest(key="short"))

    assert refused.status_code == 400
    assert "reviewer_key" in refused.json()["error"]["fields"]


def test_replies_thread_under_a_comment_at_its_side_and_time(link):
    parent = post_comment(link, start=2.0).json()

    reply = post_comment(link, client=guest(OTHER_KEY), body="Agreed", author_name="Bo", parent=parent["id"], side="a")

    assert reply.status_code == 201, reply.content
    assert (reply.json()["parent"], reply.json()["side"], reply.json()["start"]) == (parent["id"], "b", 2.0)
    thread = guest().get(comments_url(link)).json()["results"]
    assert [c["id"] for c in thread] == [parent["id"]]
    assert [r["body"] for r in thread[0]["replies"]] == ["Agreed"]


def test_a_comment_sent_again_with_its_client_id_is_stored_once(link, django_capture_on_commit_callbacks):
    # A reviewer whose POST got no answer (or a 503 whose commit went through) sends it again.
    first = post_comment(link, client_id="draft-7f3a")
    with django_capture_on_commit_callbacks(execute=True) as pushed:
        again = post_comment(link, client_id="draft-7f3a", body="This logo is too big!")
    reply = post_comment(link, parent=first.json()["id"], body="Also the font", client_id="reply-1")
    reply_again = post_comment(link, parent=first.json()["id"], body="Also the font", client_id="reply-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()  # the comment stored the first time, as it was
    assert (reply.status_code, reply_again.status_code) == (201, 200)
    assert reply_again.json()["id"] == reply.json()["id"]
    assert sorted(Comment.objects.values_list("body", flat=True)) == ["Also the font", "This logo is too big"]
    assert pushed == []  # the owner and the link's pages were told of it once, the first time


def test_a_client_id_is_the_senders_own(link):
    post_comment(link, client_id="draft-7f3a")

    taken = post_comment(link, client=guest(OTHER_KEY), client_id="draft-7f3a", body="Mine")
    too_long = post_comment(link, client_id="x" * 65)
    not_text = post_comment(link, client_id=7)
    on_another_link = post_comment(ShareLinkFactory(permission="comment"), client_id="draft-7f3a")

    assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
    assert [r.json()["error"]["fields"] for r in (too_long, not_text)] == [
        {"client_id": [too_long.json()["error"]["fields"]["client_id"][0]]}
    ] * 2
    assert on_another_link.status_code == 201  # ids are per link
    assert Comment.objects.filter(body="Mine").count() == 0
    assert Comment.objects.count() == 2


def test_a_reply_to_a_reply_or_to_another_links_comment_is_a_404(link):
    parent = post_comment(link).json()
    reply = post_comment(link, parent=parent["id"]).json()
    other = ShareLinkFactory(comparison=link.comparison, permission="comment")
    elsewhere = post_comment(other).json()

    assert post_comment(link, parent=reply["id"]).status_code == 404
    assert post_comment(link, parent=elsewhere["id"]).status_code == 404


def test_a_reviewer_deletes_only_their_own_comment_with_its_replies(link):
    mine = post_comment(link).json()
    post_comment(link, client=guest(OTHER_KEY), parent=mine["id"], body="reply")
    url = f"{comments_url(link)}/{mine['id']}"

    assert guest(OTHER_KEY).delete(url).status_code == 404
    assert Comment.objects.count() == 2
    assert guest().delete(url).status_code == 204
    assert not Comment.objects.exists()


def test_the_owner_replies_resolves_reopens_and_deletes(link):
    link.owner.display_name = "Editor Eve"
    link.owner.save()
    comment = post_comment(link).json()
    owner = owner_client(link.owner)

    reply = owner.post(f"/api/v1/comments/{comment['id']}/replies", {"body": "Fixed in v3"}, "application/json")
    assert reply.status_code == 201, reply.content
    assert (reply.json()["by_owner"], reply.json()["author_name"], reply.json()["parent"]) == (
        True,
        "Editor Eve",
        comment["id"],
    )
    for _ in range(2):  # idempotent
        resolved = owner.post(f"/api/v1/comments/{comment['id']}/resolve")
        assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    assert guest().get(comments_url(link)).json()["results"][0]["resolved"] is True
    assert owner.post(f"/api/v1/comments/{reply.json()['id']}/resolve").status_code == 400
    reopened = owner.post(f"/api/v1/comments/{comment['id']}/reopen")
    assert reopened.json()["resolved"] is False and reopened.json()["resolved_at"] is None

    assert owner.delete(f"/api/v1/comments/{comment['id']}").status_code == 204
    assert not Comment.objects.exists()


def test_an_owner_without_a_display_name_replies_under_their_emails_name(link):
    link.owner.display_name = ""
    link.owner.email = "mo.owner@studio.example"
    link.owner.save()
    comment = post_comment(link).json()
    reply = owner_client(link.owner).post(
        f"/api/v1/comments/{comment['id']}/replies", {"body": "ok"}, "application/json"
    )
    assert reply.json()["author_name"] == "mo.owner"


def test_other_users_get_404_on_every_owner_endpoint(link):
    comment = post_comment(link).json()
    stack = VideoStackFactory(owner=link.owner, title="Promo")
    stranger = owner_client(UserFactory())
    cid = comment["id"]

    assert stranger.get(f"/api/v1/comparisons/{link.comparison_id}/comments").status_code == 404
    assert stranger.get(f"/api/v1/videos/{link.comparison.video_b_id}/comments").status_code == 404
    assert stranger.get(f"/api/v1/stacks/{stack.pk}/comments").status_code == 404
    assert stranger.post(f"/api/v1/comments/{cid}/replies", {"body": "x"}, "application/json").status_code == 404
    assert stranger.post(f"/api/v1/comments/{cid}/resolve").status_code == 404
    assert stranger.post(f"/api/v1/comments/{cid}/reopen").status_code == 404
    assert stranger.delete(f"/api/v1/comments/{cid}").status_code == 404
    assert (
        stranger.patch(f"/api/v1/share-links/{link.pk}", {"permission": "view"}, "application/json").status_code == 404
    )
    assert Comment.objects.filter(pk=cid, resolved_at__isnull=True).exists()


def test_tokens_need_the_write_scope_to_change_comments(link):
    comment = post_comment(link).json()
    reader = ApiTokenFactory(user=link.owner, scopes=["read"])
    client = Client(headers={"Authorization": f"Bearer {reader.secret}"})

    assert client.get(f"/api/v1/comparisons/{link.comparison_id}/comments").status_code == 200
    assert client.post(f"/api/v1/comments/{comment['id']}/resolve").status_code == 403
    assert client.delete(f"/api/v1/comments/{comment['id']}").status_code == 403


def test_the_owner_turns_comments_off_on_a_link(link):
    changed = owner_client(link.owner).patch(
        f"/api/v1/share-links/{link.pk}", {"permission": "view", "name": "Client (closed)"}, "application/json"
    )

    assert changed.status_code == 200, changed.content
    assert (changed.json()["permission"], changed.json()["name"]) == ("view", "Client (closed)")
    assert post_comment(link).status_code == 403
    assert guest().get(comments_url(link)).json()["can_comment"] is False


def test_revoked_and_expired_links_answer_404(link):
    post_comment(link)
    expired = ShareLinkFactory(permission="comment")
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    owner_client(link.owner).post(f"/api/v1/share-links/{link.pk}/revoke")

    for dead in (link, expired):
        assert guest().get(comments_url(dead)).status_code == 404
        assert post_comment(dead).status_code == 404


def test_a_password_link_needs_its_password_for_comments():
    locked = ShareLinkFactory(permission="comment", password="secret")

    assert guest().get(comments_url(locked)).status_code == 403
    assert post_comment(locked).status_code == 403
    assert post_comment(locked, client=guest(**{"X-Share-Password": "secret"})).status_code == 201


def test_comments_are_rate_limited_per_address(link, settings):
    settings.REVIEW_COMMENT_RATE_PER_ADDRESS = "2/min"

    answers = [post_comment(link).status_code for _ in range(3)]
    other_address = post_comment(link, client=guest(address="198.51.100.7"))

    assert answers == [201, 201, 429]
    refused = post_comment(link)
    assert refused.json()["error"]["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other_address.status_code == 201


def test_comments_are_rate_limited_per_link_across_addresses(link, settings):
    settings.REVIEW_COMMENT_RATE_PER_LINK = "3/min"
    other = ShareLinkFactory(comparison=link.comparison, permission="comment")

    answers = [post_comment(link, client=guest(address=f"198.51.100.{n}")).status_code for n in range(4)]

    assert answers == [201, 201, 201, 429]
    assert post_comment(other, client=guest(address="198.51.100.99")).status_code == 201


def test_nothing_a_link_reaches_writes_the_owners_objects_except_comments(link):
    comparison = link.comparison
    NoteFactory(owner=link.owner, video=comparison.video_b, start=1.0, text="Owner's note")

    def snapshot() -> list[dict]:
        rows = [
            *Comparison.objects.filter(pk=comparison.pk),
            *Video.objects.filter(owner=link.owner),
            *Note.objects.filter(owner=link.owner),
        ]
        link_row = ShareLink.objects.get(pk=link.pk)
        return [model_to_dict(row) for row in rows] + [
            {k: v for k, v in model_to_dict(link_row).items() if k != "last_opened_at"}
        ]

    before = snapshot()
    made = post_comment(link).json()
    post_comment(link, parent=made["id"])
    client = guest()
    base = comments_url(link)
    client.patch(f"{base}/{made['id']}", {"body": "edited"}, "application/json")
    client.put(base, {"body": "x"}, "application/json")
    client.post(f"/api/v1/comments/{made['id']}/resolve")
    client.delete(f"/api/v1/comments/{made['id']}")
    client.patch(f"/api/v1/share-links/{link.pk}", {"permission": "comment"}, "application/json")
    client.post(f"/api/v1/comparisons/{comparison.pk}/share-links", {"name": "mine now"}, "application/json")
    client.delete(f"/api/v1/comparisons/{comparison.pk}")

    assert snapshot() == before
    assert ShareLink.objects.count() == 1
    assert Comment.objects.get(pk=made["id"]).resolved_at is None


def test_the_owners_list_costs_the_same_queries_however_many_threads(link):
    owner = owner_client(link.owner)
    url = f"/api/v1/comparisons/{link.comparison_id}/comments"
    first = post_comment(link).json()
    post_comment(link, parent=first["id"])
    with CaptureQueriesContext(connection) as few:
        owner.get(url)
    for n in range(4):
        made = post_comment(link, client=guest(address=f"192.0.2.{n}"), start=float(n)).json()
        post_comment(link, client=guest(address=f"192.0.2.{n}"), parent=made["id"])
    with CaptureQueriesContext(connection) as many:
        listed = owner.get(url).json()["results"]

    assert len(listed) == 5 and all(len(c["replies"]) == 1 for c in listed)
    assert len(many) == len(few)


def test_a_stack_links_comments_go_on_its_newest_pair_and_stay_there():
    comparison = ComparisonFactory()
    stack = VideoStackFactory(owner=comparison.owner, title="Promo")
    Video.objects.filter(pk=comparison.video_a_id).update(stack=stack, version=1)
    Video.objects.filter(pk=comparison.video_b_id).update(stack=stack, version=2)
    Comparison.objects.filter(pk=comparison.pk).update(metric="cosine", alignment="cuts")
    link = ShareLinkFactory(stack=stack, name="Stack link", permission="comment")

    made = post_comment(link)

    assert made.status_code == 201, made.content
    assert made.json()["comparison_id"] == comparison.pk
    listed = owner_client(stack.owner).get(f"/api/v1/stacks/{stack.pk}/comments").json()["results"]
    assert [(c["id"], c["comparison_id"]) for c in listed] == [(made.json()["id"], comparison.pk)]


def test_operators_list_comments_without_key_digests_and_delete_them(link):
    made = post_comment(link, body="Spam spam spam").json()
    post_comment(link, parent=made["id"], body="reply")
    operator = owner_client(UserFactory(is_staff=True, is_superuser=True))

    listed = operator.get("/admin/reviews/comment/")
    opened = operator.get(f"/admin/reviews/comment/{made['id']}/change/")

    assert listed.status_code == 200 and b"Spam spam spam" in listed.content
    digest = Comment.objects.get(pk=made["id"]).author_key_digest
    assert digest.encode() not in listed.content and digest.encode() not in opened.content
    assert operator.get("/admin/reviews/comment/add/").status_code == 403
    operator.post(
        "/admin/reviews/comment/", {"action": "delete_selected", "_selected_action": [made["id"]], "post": "yes"}
    )
    assert not Comment.objects.exists()
