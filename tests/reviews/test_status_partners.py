"""A version and its automatic comparison with the version before share one review status (issue 65:
they were set apart and disagreed): approving v2 approves "what changed since v1", and the other
way round, each with its history, said once in the feed; a comparison someone made themselves
keeps its own status."""

from __future__ import annotations

import pytest
from django.test import Client

from activity.models import ActivityEvent
from tests.factories import ComparisonFactory
from tests.videos.test_versions import stack_of
from videos.models import Comparison, Video
from videos.tasks import compare_version_neighbours

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def statuses(*objects: Video | Comparison) -> list[str]:
    return [type(each).objects.get(pk=each.pk).review_status for each in objects]


def test_a_versions_status_and_its_comparisons_follow_each_other(user) -> None:
    _v1, v2, v3 = stack_of(user, 3, ready=(1, 2, 3))
    compare_version_neighbours(v2.pk)
    compare_version_neighbours(v3.pk)
    since_v1 = Comparison.objects.get(video_b=v2)
    since_v2 = Comparison.objects.get(video_b=v3)
    client = signed_in(user)

    client.post(f"/sharing/videos/{v3.pk}/review-status/", {"status": "approved"})
    assert statuses(v3, since_v2) == ["approved", "approved"]
    assert statuses(v2, since_v1) == ["in_progress", "in_progress"]  # the others are theirs

    client.post(f"/sharing/comparisons/{since_v1.pk}/review-status/", {"status": "changes_requested"})
    assert statuses(since_v1, v2) == ["changes_requested", "changes_requested"]
    assert since_v1.status_changes.count() == 1 and v2.status_changes.count() == 1  # each its history
    # One act, one line in the feed each time.
    assert ActivityEvent.objects.filter(verb=ActivityEvent.Verb.STATUS_CHANGED).count() == 2


def test_a_comparison_made_by_hand_keeps_its_own_status(user) -> None:
    _v1, v2 = stack_of(user, 2, ready=(1, 2))
    own = ComparisonFactory(owner=user, video_b=v2)

    signed_in(user).post(f"/sharing/comparisons/{own.pk}/review-status/", {"status": "approved"})

    assert statuses(own, v2) == ["approved", "in_progress"]
