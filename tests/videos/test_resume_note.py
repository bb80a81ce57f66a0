"""What a person and an operator read while a video whose processing run died is taken over:
"Resuming after a crash (attempt n of 3)", where n is the number of the run that resumes since
processing was last asked for (the first run, plus one per run that died) and 3 is
VIDEO_MAX_ATTEMPTS: the third run to die fails the video and refunds it. On the video page as it
loads, in the live event that moves it (the takeover's own push), and in the admin's list and page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from tests.factories import UserFactory, VideoFactory
from videos.models import Video
from videos.pipeline import progress
from videos.services import videos_take_over_lapsed

pytestmark = pytest.mark.django_db

ONCE = "Resuming after a crash (attempt 2 of 3)"


def _processing(owner: User, **fields: Any) -> Video:
    fields = {"status": Video.Status.PROCESSING, **fields}
    return VideoFactory(owner=owner, title="Lecture", storage_key="videos/x/original.mp4", **fields)


def test_a_video_taken_over_once_says_it_resumes_on_its_second_attempt_of_three(settings) -> None:
    settings.VIDEO_MAX_ATTEMPTS = 3
    user = UserFactory()
    fresh = _processing(user)
    once = _processing(user, crashes=1)
    twice = _processing(user, crashes=2, status=Video.Status.QUEUED)
    finished = _processing(user, crashes=1, status=Video.Status.READY)

    assert fresh.resume_note == ""
    assert once.resume_note == ONCE
    assert twice.resume_note == "Resuming after a crash (attempt 3 of 3)"
    assert finished.resume_note == ""


def test_the_takeover_pushes_the_resume_note_to_the_video_page(
    settings, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    settings.VIDEO_MAX_ATTEMPTS = 3
    pushed: list[dict[str, Any]] = []
    monkeypatch.setattr(progress, "push_to_object", lambda kind, pk, event, data: pushed.append(data))
    video = _processing(
        UserFactory(), lease_owner="dead-run", lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks():  # the requeued task is not run: only the push is looked at
        assert videos_take_over_lapsed(max_attempts=3) == (1, 0)

    assert pushed[-1]["id"] == video.pk
    assert (pushed[-1]["status"], pushed[-1]["resume_note"]) == ("queued", ONCE)


def test_the_video_page_says_so_as_it_loads(client, settings) -> None:
    settings.VIDEO_MAX_ATTEMPTS = 3
    user = UserFactory()
    video = _processing(user, crashes=1)
    client.force_login(user)

    page = client.get(f"/videos/{video.pk}/").content.decode()

    assert f'data-field="resume-note">{ONCE}</p>' in page


def test_the_admin_says_so_in_the_list_and_on_the_video(admin_client, settings) -> None:
    settings.VIDEO_MAX_ATTEMPTS = 3
    video = _processing(UserFactory(), crashes=1)

    listed = admin_client.get("/admin/videos/video/").content.decode()
    shown = admin_client.get(f"/admin/videos/video/{video.pk}/change/").content.decode()

    assert ONCE in listed
    assert ONCE in shown
