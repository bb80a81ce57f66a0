"""Where the owner meets reviewers' comments: on the page of the object they were made on."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from reviews.comments import comment_create_by_guest
from reviews.services import share_link_revoke
from tests.factories import ComparisonFactory, ShareLinkFactory

pytestmark = pytest.mark.django_db


def page_of(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def comments_config(html: str) -> dict | None:
    found = re.search(r'<script id="comments-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def test_a_video_page_lists_the_comments_of_its_links_for_the_owner():
    comparison = ComparisonFactory()
    video = comparison.video_b
    # No link yet: the card is there for the owner's own comments (a viewer's is served hidden,
    # listening, for the first link: tests/reviews/test_drawings_pages.py).
    before = page_of(video.owner, f"/videos/{video.pk}/")
    shown = comments_config(before)
    assert shown is not None and shown["hidden"] is False and shown["can_comment"] is True

    link = ShareLinkFactory(video=video, permission="comment")
    comment_create_by_guest(
        link=link, reviewer_key="k" * 40, body="Too loud here", author_name="Ana", side="video", start=1.0
    )
    config = comments_config(page_of(video.owner, f"/videos/{video.pk}/"))

    assert config == {
        "mode": "owner",
        "can_comment": True,
        "may_delete_any": True,  # the owner deletes anyone's comment (a commenter: only their own)
        "may_delete_own": True,
        "user_id": video.owner.pk,  # whose a pushed comment is, by its `author_id`
        "api_url": f"/api/v1/videos/{video.pk}/comments",
        # A member's own comments go to the same object, members only or on one of its live links.
        "post_url": f"/api/v1/videos/{video.pk}/comments",
        "links_url": f"/api/v1/videos/{video.pk}/share-links",
        "socket_url": "",
        "sides": [["video", "The video"]],
        "comparison_id": None,
        "video_id": video.pk,
        "hidden": False,
    }
    listed = Client()
    listed.force_login(video.owner)
    bodies = [c["body"] for c in listed.get(config["api_url"]).json()["results"]]
    assert bodies == ["Too loud here"]


def test_a_revoked_links_comments_stay_on_the_owners_comparison_page():
    link = ShareLinkFactory(permission="comment")
    comment_create_by_guest(link=link, reviewer_key="k" * 40, body="Cut earlier", author_name="Bo", side="b", start=2.0)
    share_link_revoke(link=link)

    config = comments_config(page_of(link.owner, f"/compare/{link.comparison_id}/"))

    assert config is not None and config["comparison_id"] == link.comparison_id
    listed = Client()
    listed.force_login(link.owner)
    assert [c["body"] for c in listed.get(config["api_url"]).json()["results"]] == ["Cut earlier"]
