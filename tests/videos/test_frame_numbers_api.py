"""The API keeps seconds and says which frame they are (issue 62): a video's exact `frame_rate`, and on
comments and notes the `frame` on screen at their start, counted by `sage.timebase`'s rule (the one
the pages seek by), at 29.97 where a time's frame is easiest to get wrong."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import ComparisonFactory, ShareLinkFactory, VideoFactory
from videos.models import Video

KEY = "k" * 40
NTSC = 29.97002997  # as a probe measures 30000/1001


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_video_and_a_comparisons_videos_give_their_exact_frame_rate(user) -> None:
    a = VideoFactory(owner=user, status=Video.Status.READY, fps=NTSC, duration=10.0)
    b = VideoFactory(owner=user, status=Video.Status.READY, fps=25.0, duration=10.0)
    comparison = ComparisonFactory(owner=user, video_a=a, video_b=b)
    client = client_for(user)

    assert client.get(f"/api/v1/videos/{a.pk}").json()["frame_rate"] == "30000/1001"
    assert client.get(f"/api/v1/videos/{b.pk}").json()["frame_rate"] == "25"
    body = client.get(f"/api/v1/comparisons/{comparison.pk}").json()
    assert (body["video_a"]["frame_rate"], body["video_b"]["frame_rate"]) == ("30000/1001", "25")


@pytest.mark.parametrize(
    ("start", "frame"),
    [
        (3.0, 89),  # 02;29 is on screen until 3.003 s
        (3.036, 91),  # frame 91 starts at 3.03633 s: its start written to the millisecond
        (3.0197, 90),  # frame 90's middle, where the pages store a note made on it
    ],
)
def test_a_note_gives_the_frame_on_screen_at_its_start(user, start: float, frame: int) -> None:
    video = VideoFactory(owner=user, status=Video.Status.READY, fps=NTSC, duration=10.0)
    client = client_for(user)

    made = client.post(f"/api/v1/videos/{video.pk}/notes", {"start": start, "text": "here"}, format="json")

    assert made.status_code == 201, made.content
    assert made.json()["frame"] == frame
    assert [note["frame"] for note in client.get(f"/api/v1/videos/{video.pk}/notes").json()] == [frame]


@pytest.mark.django_db
def test_a_comment_and_its_replies_give_the_frame_on_screen_at_its_start_on_its_side() -> None:
    link = ShareLinkFactory(permission="comment")
    Video.objects.filter(pk=link.comparison.video_b_id).update(fps=NTSC)
    Video.objects.filter(pk=link.comparison.video_a_id).update(fps=25.0)
    guest = Client(HTTP_X_REVIEWER_KEY=KEY)
    url = f"/api/v1/shared/{link.token}/comments"  # ShareLinkFactory's token

    on_b = guest.post(url, {"side": "b", "start": 3.036, "body": "B", "author_name": "Ana"}, "application/json")
    on_a = guest.post(url, {"side": "a", "start": 3.036, "body": "A", "author_name": "Ana"}, "application/json")
    reply = {"side": "b", "start": 0, "body": "Agreed", "author_name": "Bo", "parent": on_b.json()["id"]}
    guest.post(url, reply, "application/json")

    assert (on_b.status_code, on_a.status_code) == (201, 201), on_b.content
    assert (on_b.json()["frame"], on_a.json()["frame"]) == (91, 75)  # 29.97 on B, 25 on A
    listed = {comment["side"]: comment for comment in guest.get(url).json()["results"]}
    assert (listed["b"]["frame"], listed["a"]["frame"]) == (91, 75)
    assert [reply["frame"] for reply in listed["b"]["replies"]] == [91]
