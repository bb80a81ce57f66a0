"""A version stack's own page: its newest pair (as the stack's links show their guests), with the
members' comments card through the stack, members only or on the thread of one of the stack's links."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from reviews.models import Comment
from tests.factories import ComparisonFactory, ShareLinkFactory, UserFactory, VideoStackFactory
from videos.models import Comparison, Video, VideoStack

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def comments_config(html: str) -> dict:
    found = re.search(r'<script id="comments-config" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None, "no comments card"
    return json.loads(found.group(1))


def stack_of_a_pair() -> tuple[VideoStack, Comparison]:
    comparison = ComparisonFactory()
    stack = VideoStackFactory(owner=comparison.owner, title="Promo")
    Video.objects.filter(pk=comparison.video_a_id).update(stack=stack, version=1)
    Video.objects.filter(pk=comparison.video_b_id).update(stack=stack, version=2)
    # The automatic comparison of neighbouring versions (videos.versions.selectors.neighbour_comparison).
    Comparison.objects.filter(pk=comparison.pk).update(metric="cosine", alignment="cuts")
    return stack, comparison


def test_a_stacks_page_shows_its_newest_pair_with_the_comments_card_through_the_stack():
    stack, comparison = stack_of_a_pair()

    page = signed_in(stack.owner).get(f"/videos/stacks/{stack.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-comparison-id="{comparison.pk}"' in html  # the compare page of v1 against v2
    assert "Version stack" in html and "v2 against v1" in html
    config = comments_config(html)
    assert config["hidden"] is False and config["can_comment"] is True
    assert config["api_url"] == f"/api/v1/comparisons/{comparison.pk}/comments"
    assert config["post_url"] == f"/api/v1/stacks/{stack.pk}/comments"
    assert config["links_url"] == f"/api/v1/stacks/{stack.pk}/share-links"
    assert config["comparison_id"] == comparison.pk and config["sides"] == [["a", "A"], ["b", "B"]]


def test_a_comment_from_the_stacks_page_on_a_stack_link_is_listed_there_and_seen_by_its_guests():
    stack, comparison = stack_of_a_pair()
    link = ShareLinkFactory(stack=stack, name="Client", permission="comment")
    member = signed_in(stack.owner)
    config = comments_config(member.get(f"/videos/stacks/{stack.pk}/").content.decode())

    offered = member.get(config["links_url"]).json()
    made = member.post(
        config["post_url"],
        {"side": "b", "start": 1.0, "body": "Client: see here", "link": link.pk},
        content_type="application/json",
    )

    assert [each["id"] for each in offered] == [link.pk]
    assert made.status_code == 201, made.content
    listed = member.get(config["api_url"]).json()["results"]
    assert [(c["body"], c["link_id"], c["link_name"]) for c in listed] == [("Client: see here", link.pk, "Client")]
    assert Comment.objects.get().comparison_id == comparison.pk


def test_a_stack_of_one_ready_version_shows_that_version_with_its_card():
    stack = VideoStackFactory(versions=1)
    only = Video.objects.get(stack=stack)

    config = comments_config(signed_in(stack.owner).get(f"/videos/stacks/{stack.pk}/").content.decode())

    assert config["video_id"] == only.pk and config["sides"] == [["video", "The video"]]
    assert config["post_url"] == f"/api/v1/stacks/{stack.pk}/comments"


def test_another_workspaces_stack_page_is_a_404_and_a_versions_card_links_to_it():
    stack, comparison = stack_of_a_pair()

    assert signed_in(UserFactory()).get(f"/videos/stacks/{stack.pk}/").status_code == 404
    version_page = signed_in(stack.owner).get(f"/videos/{comparison.video_b_id}/").content.decode()
    assert f'href="/videos/stacks/{stack.pk}/"' in version_page
