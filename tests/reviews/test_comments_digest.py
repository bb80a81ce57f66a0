"""The owner's e-mail digest of reviewers' comments (console e-mail in development; mailoutbox here)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from reviews.comments import comment_create_by_guest, comment_reply_by_owner
from reviews.digest import comment_digests_send
from reviews.models import Comment
from reviews.tasks import send_comment_digests
from tests.factories import ShareLinkFactory, member_in

KEY = "k" * 40


def comment(link, body: str, **fields) -> Comment:
    return comment_create_by_guest(
        link=link, reviewer_key=KEY, body=body, author_name="Ana", **{"side": "b", "start": 2.0, **fields}
    ).comment


@pytest.mark.django_db
def test_the_owner_gets_one_digest_listing_new_comments_and_replies_by_object(mailoutbox, settings):
    settings.SITE_URL = "https://sage.example"
    link = ShareLinkFactory(permission="comment")
    first = comment(link, "The logo is too big")
    comment(link, "Agreed, and too early", parent_id=first.pk)
    comment_reply_by_owner(member=member_in(link.owner), comment=first, body="The owner's own reply")
    video_link = ShareLinkFactory(permission="comment", video=link.comparison.video_a)
    comment(video_link, "Colour is off here", side="video", start=1.0)

    assert send_comment_digests() == 1

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [link.owner.email]
    assert "3 new comments" in message.subject
    assert "The logo is too big" in message.body and "Agreed, and too early" in message.body
    assert "Colour is off here" in message.body
    assert "The owner's own reply" not in message.body
    assert f"https://sage.example/compare/{link.comparison_id}/" in message.body
    assert f"https://sage.example/videos/{link.comparison.video_a_id}/" in message.body
    assert not Comment.objects.filter(by_owner=False, notified_at__isnull=True).exists()


@pytest.mark.django_db
def test_at_most_one_digest_per_owner_in_the_period(mailoutbox, settings):
    settings.REVIEW_DIGEST_MINUTES = 5
    link = ShareLinkFactory(permission="comment")
    comment(link, "First")
    comment_digests_send()
    comment(link, "Second, a minute later")

    assert comment_digests_send(now=timezone.now() + timedelta(minutes=1)) == 0
    assert comment_digests_send(now=timezone.now() + timedelta(minutes=6)) == 1

    assert len(mailoutbox) == 2
    assert "Second, a minute later" in mailoutbox[1].body and "First" not in mailoutbox[1].body


@pytest.mark.django_db
def test_nothing_new_sends_nothing(mailoutbox):
    link = ShareLinkFactory(permission="comment")
    comment(link, "Once")
    comment_digests_send()

    assert comment_digests_send(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_digest(mailoutbox):
    link = ShareLinkFactory(permission="comment")
    comment(link, "Only once")
    start = threading.Barrier(2)
    sent: list[int] = []

    def worker() -> None:
        start.wait()
        try:
            sent.append(comment_digests_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(sent) == [0, 1]
    assert len(mailoutbox) == 1
