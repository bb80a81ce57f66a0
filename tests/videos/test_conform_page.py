"""The change list's page as the server renders it: the events with their timecodes and comments, the
blocks of both cuts, the links to it, and who may open it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.clients import client_in
from tests.factories import (
    CommentFactory,
    ComparisonFactory,
    ShareLinkFactory,
    UserFactory,
    VideoStackFactory,
)
from tests.videos.conform_pair import SPANS, made

pytestmark = pytest.mark.django_db


def test_the_page_lists_each_event_with_both_timecodes_and_the_comments_made_on_it() -> None:
    comparison = made()
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    CommentFactory(link=link, side="b", start=15.0, body="Music sting here?")

    response = client_in(comparison.owner).get(reverse("compare:changes", args=[comparison.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="change-row ') == 5
    assert "01:00:10:00 – 01:00:12:00" in html  # the removal on v1
    assert "at 01:00:10:00" in html  # where v2 no longer has it
    assert "Music sting here?" in html
    assert 'data-seek-a="10.02" data-seek-b="10.02"' in html  # the removal: both players at the cut
    assert html.count('<rect class="change-block') == 4 + 4  # v1 has no insertion, v2 no removal
    assert f"/compare/{comparison.pk}/?b=14.000" in html  # commenting on the insertion


def test_the_comparison_page_links_to_its_change_list() -> None:
    comparison = made()
    html = client_in(comparison.owner).get(reverse("compare:comparison", args=[comparison.pk])).content.decode()
    assert reverse("compare:changes", args=[comparison.pk]) in html


def test_another_person_gets_404_and_a_comparison_with_no_result_says_so() -> None:
    comparison = made()
    assert client_in(UserFactory()).get(reverse("compare:changes", args=[comparison.pk])).status_code == 404

    waiting = made(engine=0, matched_spans=[])
    response = client_in(waiting.owner).get(reverse("compare:changes", args=[waiting.pk]))
    assert response.status_code == 409
    assert "no result yet" in response.content.decode()


def test_a_new_versions_page_links_to_the_change_list_of_its_automatic_comparison() -> None:
    stack = VideoStackFactory(versions=2)
    first, second = stack.versions.order_by("version")
    comparison = ComparisonFactory(owner=stack.owner, video_a=first, video_b=second, matched_spans=SPANS)

    html = client_in(stack.owner).get(reverse("videos:video", args=[second.pk])).content.decode()

    assert reverse("compare:changes", args=[comparison.pk]) in html
