"""Every action that exists today leaves its event in the feed or its entry in the audit log, made
through the same pages, API and services people use; an undone action leaves nothing, and a record
that cannot be written never undoes the action."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from accounts.models import ApiToken
from activity.models import ActivityEvent, AuditEntry
from activity.services import Target, Verb, activity_record
from billing.models import Wallet
from billing.pack_credits import PackPayment, pack_purchase_credit
from billing.stripe_client import PACK_METADATA_KEY, USER_METADATA_KEY
from reviews.models import ShareLink
from reviews.services import share_link_create
from tests.activity.conftest import team_of
from tests.clients import client_in
from tests.factories import (
    ComparisonFactory,
    ShareLinkFactory,
    TokenPackFactory,
    UserFactory,
    VideoFactory,
    member_in,
)
from videos.models import Video
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.7"


def feed_of(workspace_id: int) -> list[tuple[str, str, str, str]]:
    return [
        (event.actor_name, event.verb, event.target_kind, event.target_label)
        for event in ActivityEvent.objects.filter(workspace_id=workspace_id).order_by("id")
    ]


def audit_of(workspace_id: int) -> list[tuple[str, str]]:
    return [(e.action, e.actor_email) for e in AuditEntry.objects.filter(workspace_id=workspace_id).order_by("id")]


def test_sharing_a_video_is_in_the_feed_and_making_and_revoking_the_link_in_the_audit() -> None:
    ana = UserFactory(display_name="Ana")
    video = VideoFactory(owner=ana, title="Cut 3", ready=True)
    client = client_in(ana, address=ADDRESS)
    personal = personal_workspace_of(ana).pk

    made = client.post(f"/api/v1/videos/{video.pk}/share-links", {"name": "Client"}, content_type="application/json")
    assert made.status_code == 201, made.content
    revoked = client.post(f"/api/v1/share-links/{made.json()['id']}/revoke")
    assert revoked.status_code == 200, revoked.content
    client.post(f"/api/v1/share-links/{made.json()['id']}/revoke")  # again: nothing more happened

    assert feed_of(personal) == [("Ana", "shared", "video", "Cut 3")]
    assert audit_of(personal) == [("link_created", ana.email), ("link_revoked", ana.email)]
    created = AuditEntry.objects.get(action="link_created")
    assert created.target_label == "Client (Cut 3)"
    assert created.client_address == ADDRESS  # the request's
    assert created.details["link_id"] == made.json()["id"]


def test_sharing_while_acting_in_a_team_records_it_in_the_team() -> None:
    ana = UserFactory(display_name="Ana")
    team = team_of(ana)
    video = VideoFactory(owner=ana, workspace=team, title="Cut 3", ready=True)

    made = client_in(ana, team).post(
        f"/api/v1/videos/{video.pk}/share-links", {"name": "Client"}, content_type="application/json"
    )

    assert made.status_code == 201, made.content
    assert feed_of(team.pk) == [("Ana", "shared", "video", "Cut 3")]
    assert feed_of(personal_workspace_of(ana).pk) == []


def test_a_guests_comment_and_the_owners_reply_are_in_the_owners_feed() -> None:
    link = ShareLinkFactory(permission="comment")
    owner = link.owner
    guest = Client(headers={"X-Reviewer-Key": "k" * 40})

    posted = guest.post(
        f"/api/v1/shared/{link.token}/comments",
        {"side": "b", "start": 1.5, "body": "Logo too big", "author_name": "Bea"},
        content_type="application/json",
    )
    assert posted.status_code == 201, posted.content
    replied = client_in(owner).post(
        f"/api/v1/comments/{posted.json()['id']}/replies", {"body": "Fixed in v2"}, content_type="application/json"
    )
    assert replied.status_code == 201, replied.content

    title = link.comparison.title
    events = feed_of(personal_workspace_of(owner).pk)
    assert events[1:] == [("Bea", "commented", "comparison", title), (owner.name, "commented", "comparison", title)]
    guest_event = ActivityEvent.objects.get(actor_name="Bea")
    assert guest_event.actor_id is None and guest_event.details["guest"] is True


def test_an_upload_that_becomes_a_video_is_in_the_feed(settings) -> None:
    settings.UPLOAD_PART_SIZE = 1024
    ana = UserFactory(display_name="Ana")
    client = client_in(ana)
    data = b"\0" * 1500

    upload = client.post(
        "/api/v1/uploads", {"filename": "cut.mp4", "size": len(data), "title": "Cut 3"}, content_type="application/json"
    ).json()
    for number, chunk in ((1, data[:1024]), (2, data[1024:])):
        sent = client.put(
            f"/api/v1/uploads/{upload['id']}/parts/{number}", chunk, content_type="application/octet-stream"
        )
        assert sent.status_code == 200, sent.content
    assert ActivityEvent.objects.count() == 0  # announced, not yet uploaded
    completed = client.post(f"/api/v1/uploads/{upload['id']}/complete")
    client.post(f"/api/v1/uploads/{upload['id']}/complete")  # a retried request: still one upload

    assert completed.status_code == 200, completed.content
    assert feed_of(personal_workspace_of(ana).pk) == [("Ana", "uploaded", "video", "Cut 3")]
    assert ActivityEvent.objects.get().target_id == str(upload["video_id"])


def test_a_comparison_made_is_in_the_feed_once() -> None:
    ana = UserFactory(display_name="Ana")
    video_a = VideoFactory(owner=ana, title="Intro", comparable=True)
    video_b = VideoFactory(owner=ana, title="Intro v2", comparable=True)
    client = client_in(ana)
    pair = {"video_a": video_a.pk, "video_b": video_b.pk}

    made = client.post("/api/v1/comparisons", pair, content_type="application/json")
    again = client.post("/api/v1/comparisons", pair, content_type="application/json")

    assert (made.status_code, again.status_code) == (201, 200), made.content
    assert feed_of(personal_workspace_of(ana).pk) == [("Ana", "compared", "comparison", "Intro and Intro v2")]


def test_tokens_bought_are_in_the_buyers_audit() -> None:
    buyer = UserFactory()
    pack = TokenPackFactory(name="Small pack", tokens=600, amount=500, currency="usd")
    payment = PackPayment(
        payment_intent_id="pi_123",
        amount=500,
        currency="usd",
        metadata={PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(buyer.pk)},
        customer_id="",
    )

    pack_purchase_credit(payment=payment)
    pack_purchase_credit(payment=payment)  # the webhook again: credited once, recorded once

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_email, entry.workspace_id) == (
        "tokens_bought",
        buyer.email,
        personal_workspace_of(buyer).pk,
    )
    assert entry.details["tokens"] == 600 and entry.target_label == "Small pack (600 tokens)"
    assert entry.client_address is None  # a webhook's task: no request
    assert Wallet.objects.get(user=buyer).balance >= 600


def test_making_and_revoking_an_api_token_are_audited() -> None:
    ana = UserFactory()
    client = client_in(ana, address=ADDRESS)

    made = client.post("/api/v1/tokens", {"name": "CLI", "scopes": ["read"]}, content_type="application/json")
    assert made.status_code == 201, made.content
    token = ApiToken.objects.get(pk=made.json()["id"])
    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code in (200, 204)

    assert audit_of(personal_workspace_of(ana).pk) == [("token_created", ana.email), ("token_revoked", ana.email)]
    entry = AuditEntry.objects.get(action="token_created")
    assert entry.target_label == f"CLI ({token.prefix}…)"
    assert entry.details["scopes"] == ["read"] and entry.client_address == ADDRESS


def test_an_action_undone_by_its_transaction_leaves_no_event() -> None:
    comparison = ComparisonFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        share_link_create(member=member_in(comparison.owner), shared=comparison, name="Client")
        raise RuntimeError("the caller's next step failed")

    assert not ShareLink.objects.exists()
    assert not ActivityEvent.objects.exists() and not AuditEntry.objects.exists()


def test_a_refused_action_leaves_no_event() -> None:
    ana = UserFactory()
    video = VideoFactory(owner=ana, ready=True)

    refused = client_in(ana).post(
        f"/api/v1/videos/{video.pk}/share-links", {"name": ""}, content_type="application/json"
    )

    assert refused.status_code == 400
    assert not ActivityEvent.objects.exists() and not AuditEntry.objects.exists()


def test_an_event_that_cannot_be_written_does_not_undo_the_action() -> None:
    ana = UserFactory()
    workspace_id = personal_workspace_of(ana).pk

    with transaction.atomic():
        video = VideoFactory(owner=ana, title="Kept")
        # Postgres refuses a NUL in text: the event's insert fails inside the caller's transaction.
        recorded = activity_record(
            workspace_id=workspace_id, actor=ana, verb=Verb.UPLOADED, target=Target("video", video.pk, "bad\x00label")
        )
        Video.objects.filter(pk=video.pk).update(title="Kept, and the transaction still works")

    assert recorded is None
    assert Video.objects.get(pk=video.pk).title == "Kept, and the transaction still works"
    assert not ActivityEvent.objects.exists()
