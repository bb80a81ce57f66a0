"""Versions of one stack are told apart by their numbers wherever both are named: the comparison
page's title and heading (the owner's and a stack share link's), the comparisons list, and the
owner's e-mail digest. A new version usually keeps its title, so titles alone read the same twice."""

from __future__ import annotations

import html as html_text
import re

import pytest
from django.test import Client

from reviews.comments import comment_create_by_guest
from reviews.digest import comment_digests_send
from tests.factories import ComparisonFactory, ShareLinkFactory, UserFactory, VideoStackFactory
from videos.models import Comparison, Video

pytestmark = pytest.mark.django_db


def versions_compared(owner) -> Comparison:
    """v1 and v2 of "Walk base", both uploaded as "Walk base A", compared."""
    stack = VideoStackFactory(owner=owner, title="Walk base")
    comparison = ComparisonFactory(owner=owner, refined=True)
    Video.objects.filter(pk=comparison.video_a_id).update(stack=stack, version=1, title="Walk base A")
    Video.objects.filter(pk=comparison.video_b_id).update(stack=stack, version=2, title="Walk base A")
    return Comparison.objects.get(pk=comparison.pk)


def title_of(page: str) -> str:
    match = re.search(r"<title>(.*?)</title>", page, re.S)
    assert match is not None
    # The title is user text: isolated in U+2068 ... U+2069 so it cannot reorder " · SAGE" after it.
    return " ".join(html_text.unescape(match.group(1)).replace("\u2068", "").replace("\u2069", "").split())


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_stack_share_link_names_the_versions_not_the_same_title_twice():
    owner = UserFactory()
    comparison = versions_compared(owner)
    token = ShareLinkFactory(stack=comparison.video_a.stack, name="For the client").token

    html = Client().get(f"/s/{token}/").content.decode()

    assert title_of(html).startswith("Walk base — v1 and v2")
    assert "Walk base A and Walk base A" not in title_of(html)
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert heading is not None
    assert text_of(heading.group(1)) == "A Walk base A (v1) and B Walk base A (v2)"


def test_the_owners_comparison_page_and_list_name_the_versions():
    owner = UserFactory()
    comparison = versions_compared(owner)
    client = Client()
    client.force_login(owner)

    page = client.get(f"/compare/{comparison.pk}/").content.decode()
    listing = text_of(client.get("/compare/").content.decode())

    assert title_of(page).startswith("Walk base — v1 and v2")
    assert "A Walk base A (v1) B Walk base A (v2)" in listing


def test_videos_that_are_not_versions_keep_their_titles():
    comparison = ComparisonFactory()

    assert comparison.title == f"{comparison.video_a.title} and {comparison.video_b.title}"
    assert "(v" not in comparison.title


def test_the_digest_e_mail_names_the_versions(mailoutbox):
    owner = UserFactory()
    comparison = versions_compared(owner)
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    comment_create_by_guest(
        link=link, reviewer_key="k" * 40, body="Cut earlier", author_name="Ana", side="b", start=2.0
    )

    assert comment_digests_send() == 1

    assert "Comparison: Walk base — v1 and v2" in mailoutbox[0].body
