"""The library's filters look inside a version stack: filtering by a status the newest version
lacks shows the stack through its newest version that has it, and says which version that is."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, VideoFactory, VideoStackFactory
from videos.models import Video

pytestmark = pytest.mark.django_db


def library(user, **query: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("videos:library"), query).content.decode()


def card_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-video-card data-video-id="(\d+)"', html)]


def walk_base(owner) -> tuple[Video, Video, Video]:
    """v1 and v2 ready, v3 (the newest) failed."""
    stack = VideoStackFactory(owner=owner, title="Walk base")
    v1, v2, v3 = (
        VideoFactory(owner=owner, title="Walk base", stack=stack, version=number, status=status)
        for number, status in ((1, Video.Status.READY), (2, Video.Status.READY), (3, Video.Status.FAILED))
    )
    return v1, v2, v3


def test_filtering_by_a_status_the_newest_version_lacks_shows_the_newest_that_has_it():
    owner = UserFactory()
    _v1, v2, v3 = walk_base(owner)
    other = VideoFactory(owner=owner, title="House tour", status=Video.Status.READY)

    ready = library(owner, status="ready")
    failed = library(owner, status="failed")
    everything = library(owner)

    assert sorted(card_ids(ready)) == sorted([v2.pk, other.pk])
    assert "v2 matches; the newest is v3" in ready
    assert card_ids(failed) == [v3.pk] and "matches; the newest" not in failed
    assert v3.pk in card_ids(everything) and v2.pk not in card_ids(everything)
    assert "matches; the newest" not in everything


def test_a_stack_none_of_whose_versions_match_stays_hidden():
    owner = UserFactory()
    walk_base(owner)

    assert card_ids(library(owner, status="processing")) == []


def test_filtering_by_review_status_shows_what_needs_review_and_what_is_approved():
    owner = UserFactory()
    v1, v2, _v3 = walk_base(owner)
    Video.objects.filter(pk=v2.pk).update(review_status="needs_review")
    Video.objects.filter(pk=v1.pk).update(review_status="approved")
    done = VideoFactory(owner=owner, title="House tour", status=Video.Status.READY, review_status="approved")

    needs_review = library(owner, review="needs_review")
    approved = library(owner, review="approved")

    assert card_ids(needs_review) == [v2.pk] and "v2 matches; the newest is v3" in needs_review
    assert sorted(card_ids(approved)) == sorted([v1.pk, done.pk])
    assert card_ids(library(owner, review="changes_requested")) == []
    assert 'name="review"' in library(owner) and "Clear filters" in approved
