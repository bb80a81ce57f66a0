"""Version stacks: a new upload made the next version of a video (through the real upload API), the
numbers under concurrency, ownership, and the automatic comparison of neighbouring ready versions.

Ready versions here have synthetic clip vectors (no file), as tests/videos/test_comparisons.py
makes them: the comparison service runs for real on them (on the clip grid). The pipeline's own
ready hook is tested with real processing in tests/browser/test_versions.py."""

from __future__ import annotations

import numpy as np
import pytest
from django.http import Http404
from rest_framework.test import APIClient

from tests.at_once import at_once
from tests.factories import UserFactory, VideoFactory, clip_rows, member_in
from videos.models import Comparison, Upload, Video, VideoStack
from videos.services import video_delete
from videos.tasks import compare_version_neighbours
from videos.versions.selectors import stack_get_for_user, stack_latest_pair, stack_versions
from videos.versions.services import version_add

UPLOADS = "/api/v1/uploads"
RNG = np.random.default_rng(33)


def ready_clips(video: Video, *, seed: int) -> Video:
    """Make `video` ready with five synthetic 2 s clips (what a comparison reads without fingerprints)."""
    clip_rows(video, np.random.default_rng(seed).normal(size=(5, 16)))
    Video.objects.filter(pk=video.pk).update(
        status=Video.Status.READY,
        duration=10.0,
        storage_key=f"videos/{video.pk}/original.mp4",
        backends={"clips": "local"},
    )
    video.refresh_from_db()
    return video


def new_video(owner, title: str = "Promo cut") -> Video:
    return VideoFactory(owner=owner, title=title)


def stack_of(owner, count: int, *, ready: tuple[int, ...] = ()) -> list[Video]:
    """v1…v`count` of one stack, made by the service; the versions numbered in `ready` made ready."""
    first = new_video(owner)
    versions = [first]
    for _ in range(count - 1):
        versions.append(version_add(previous=first, video=new_video(owner)))
    for video in versions:
        video.refresh_from_db()
        if video.version in ready:
            ready_clips(video, seed=video.version or 0)
    return versions


def stack_with(video: Video) -> VideoStack:
    video.refresh_from_db()
    assert video.stack is not None
    return video.stack


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def neighbour_pairs(stack: VideoStack) -> set[tuple[int | None, int | None]]:
    """(A's version, B's version) of every cuts comparison between versions of the stack."""
    rows = Comparison.objects.filter(video_b__stack=stack, alignment="cuts")
    return {(row.video_a.version, row.video_b.version) for row in rows.select_related("video_a", "video_b")}


# --- making versions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_uploading_a_new_version_through_the_api_makes_v1_and_v2_of_one_stack(user) -> None:
    original = new_video(user, "Brand film")
    Video.objects.filter(pk=original.pk).update(status=Video.Status.READY)

    response = client_for(user).post(
        UPLOADS, {"filename": "brand_film_final.mp4", "size": 1000, "version_of": original.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    new = Video.objects.get(pk=response.json()["video_id"])
    original.refresh_from_db()
    assert original.stack is not None and original.stack == new.stack
    assert (original.version, new.version) == (1, 2)
    assert original.stack.title == "Brand film" and original.stack.owner == user
    assert new.title == "Brand film", "a new version keeps the asset's title"


@pytest.mark.django_db
def test_a_new_version_of_any_version_gets_the_next_number_in_the_stack(user) -> None:
    v1, _v2 = stack_of(user, 2)

    response = client_for(user).post(UPLOADS, {"filename": "c.mp4", "size": 10, "version_of": v1.pk}, format="json")

    assert response.status_code == 201, response.content
    v3 = Video.objects.get(pk=response.json()["video_id"])
    assert (v3.stack_id, v3.version) == (v1.stack_id, 3)
    assert [video.version for video in stack_versions(stack_with(v3))] == [1, 2, 3]


@pytest.mark.django_db
def test_another_users_video_as_version_of_is_a_404_and_nothing_is_made(user, other_user) -> None:
    theirs = new_video(other_user)

    response = client_for(user).post(UPLOADS, {"filename": "a.mp4", "size": 10, "version_of": theirs.pk}, format="json")

    assert response.status_code == 404
    assert not Upload.objects.filter(owner=user).exists()
    assert not VideoStack.objects.exists()


@pytest.mark.django_db
def test_a_youtube_video_cannot_have_a_new_version(user) -> None:
    youtube = VideoFactory(owner=user, title="Talk", source=Video.Source.YOUTUBE, youtube_id="abcdefghijk")

    response = client_for(user).post(
        UPLOADS, {"filename": "a.mp4", "size": 10, "version_of": youtube.pk}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert "YouTube" in error["fields"]["version_of"][0]
    assert not Upload.objects.filter(owner=user).exists()


@pytest.mark.django_db(transaction=True)
def test_new_versions_made_at_once_get_distinct_numbers_in_one_stack() -> None:
    owner = UserFactory()
    first = new_video(owner)
    news = [new_video(owner, f"new {i}") for i in range(4)]

    results = at_once(4, lambda i: version_add(previous=first, video=news[i]))

    assert all(isinstance(result, Video) for result in results), results
    first.refresh_from_db()
    assert VideoStack.objects.count() == 1
    assert sorted(
        version or 0 for version in Video.objects.filter(stack=first.stack).values_list("version", flat=True)
    ) == [1, 2, 3, 4, 5]


# --- comparing neighbours ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_ready_v2_is_compared_with_v1_once_with_cuts_alignment(user) -> None:
    v1, v2 = stack_of(user, 2, ready=(1, 2))

    compare_version_neighbours(v2.pk)
    compare_version_neighbours(v2.pk)  # a retry, or a second ready event
    compare_version_neighbours(v1.pk)  # v1's own hook finds the same pair

    rows = Comparison.objects.filter(owner=user)
    assert rows.count() == 1
    row = rows.get()
    assert (row.video_a_id, row.video_b_id, row.alignment) == (v1.pk, v2.pk, "cuts")


@pytest.mark.django_db
def test_a_v2_ready_before_v1_is_compared_when_v1_becomes_ready(user) -> None:
    v1, v2 = stack_of(user, 2, ready=(2,))
    compare_version_neighbours(v2.pk)
    assert not Comparison.objects.exists(), "nothing to compare with while v1 is processing"

    ready_clips(v1, seed=1)
    compare_version_neighbours(v1.pk)

    assert neighbour_pairs(stack_with(v1)) == {(1, 2)}


@pytest.mark.django_db
def test_deleting_v2_makes_v1_and_v3_neighbours(user, django_capture_on_commit_callbacks) -> None:
    v1, v2, v3 = stack_of(user, 3, ready=(1, 2, 3))
    for video in (v1, v2, v3):
        compare_version_neighbours(video.pk)
    assert neighbour_pairs(stack_with(v1)) == {(1, 2), (2, 3)}

    with django_capture_on_commit_callbacks(execute=True):
        video_delete(video=v2)

    assert neighbour_pairs(stack_with(v1)) == {(1, 3)}
    assert [video.version for video in stack_versions(stack_with(v1))] == [1, 3]
    newest, comparison = stack_latest_pair(stack_with(v1))
    assert newest == v3 and comparison is not None
    assert (comparison.video_a_id, comparison.video_b_id) == (v1.pk, v3.pk)


@pytest.mark.django_db
def test_a_failed_version_is_skipped_when_neighbours_are_compared(user) -> None:
    v1, v2, v3 = stack_of(user, 3, ready=(1, 3))
    Video.objects.filter(pk=v2.pk).update(status=Video.Status.FAILED)

    compare_version_neighbours(v3.pk)

    assert neighbour_pairs(stack_with(v1)) == {(1, 3)}


# --- the newest pair ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_latest_pair_is_the_newest_ready_version_and_its_comparison_once_made(user) -> None:
    v1, v2, v3 = stack_of(user, 3, ready=(1, 2))
    stack = stack_with(v1)

    assert stack_latest_pair(stack) == (v2, None), "not compared yet"
    compare_version_neighbours(v2.pk)
    newest, comparison = stack_latest_pair(stack)
    assert newest == v2 and comparison is not None
    assert (comparison.video_a_id, comparison.video_b_id) == (v1.pk, v2.pk)

    ready_clips(v3, seed=3)
    compare_version_neighbours(v3.pk)
    newest, comparison = stack_latest_pair(stack)
    assert newest == v3 and comparison is not None and comparison.video_a_id == v2.pk


@pytest.mark.django_db
def test_the_latest_pair_of_one_ready_version_has_no_comparison(user) -> None:
    v1, _v2 = stack_of(user, 2, ready=(1,))

    assert stack_latest_pair(stack_with(v1)) == (v1, None)


@pytest.mark.django_db
def test_another_users_stack_is_a_404(user, other_user) -> None:
    v1, _ = stack_of(other_user, 2)

    with pytest.raises(Http404):
        stack_get_for_user(member_in(user), stack_with(v1).pk)
    assert stack_get_for_user(member_in(other_user), stack_with(v1).pk) == stack_with(v1)
