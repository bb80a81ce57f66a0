"""Adding YouTube videos by link, and the videos API: list, search, detail, delete, ownership."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.factories import VideoFactory
from tests.servers import stub_server
from videos.models import Video
from videos.youtube import YouTubeError, parse_youtube_id

pytestmark = pytest.mark.django_db

ID = "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "text",
    [
        ID,
        f"https://www.youtube.com/watch?v={ID}",
        f"https://youtube.com/watch?v={ID}&t=42s",
        f"https://m.youtube.com/watch?feature=share&v={ID}",
        f"https://www.youtube.com/watch?v={ID}&list=PL1234567890",
        f"https://youtu.be/{ID}?si=abc",
        f"youtu.be/{ID}",
        f"https://www.youtube.com/shorts/{ID}",
        f"https://www.youtube.com/embed/{ID}?start=10",
        f"https://www.youtube-nocookie.com/embed/{ID}",
        f"  https://www.youtube.com/live/{ID}  ",
    ],
)
def test_every_common_link_form_gives_the_video_id(text: str) -> None:
    assert parse_youtube_id(text) == ID


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://www.youtube.com/playlist?list=PL1234567890", "Playlists are not supported"),
        ("https://www.youtube.com/watch?list=PL1234567890", "Playlists are not supported"),
        ("https://vimeo.com/123456", "not a YouTube link"),
        ("https://www.youtube.com/watch?v=short", "does not name a video"),
        ("https://www.youtube.com/@somechannel", "does not name a video"),
        ("", "not a YouTube link"),
    ],
)
def test_links_that_are_not_one_video_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(YouTubeError, match=message):
        parse_youtube_id(text)


@given(st.text(max_size=80))
def test_any_text_either_gives_an_11_character_id_or_a_clear_refusal(text: str) -> None:
    try:
        video_id = parse_youtube_id(text)
    except YouTubeError as exc:
        assert str(exc)
    else:
        assert len(video_id) == 11


@pytest.fixture
def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def oembed_stub(status: int, payload: dict):
    def reply(request):
        return status, {"Content-Type": "application/json"}, __import__("json").dumps(payload).encode()

    return stub_server({("GET", "/oembed"): reply})


def test_adding_a_youtube_link_takes_title_and_thumbnail_from_oembed(client_for, settings) -> None:
    with oembed_stub(200, {"title": "Never Gonna", "thumbnail_url": "https://i.ytimg.com/vi/x/hq.jpg"}) as stub:
        settings.YOUTUBE_OEMBED_URL = f"{stub.url}/oembed"
        response = client_for.post("/api/v1/videos/youtube", {"url": f"https://youtu.be/{ID}"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["source"], body["youtube_id"]) == ("Never Gonna", "youtube", ID)
    assert body["poster_url"] == "https://i.ytimg.com/vi/x/hq.jpg"
    assert f"watch%3Fv%3D{ID}" in stub.requests[0].path


def test_adding_the_same_video_again_returns_the_first_record(client_for, settings) -> None:
    with oembed_stub(200, {"title": "T", "thumbnail_url": ""}) as stub:
        settings.YOUTUBE_OEMBED_URL = f"{stub.url}/oembed"
        first = client_for.post("/api/v1/videos/youtube", {"url": ID}, format="json")
        again = client_for.post(
            "/api/v1/videos/youtube", {"url": f"https://www.youtube.com/watch?v={ID}"}, format="json"
        )

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Video.objects.count() == 1


def test_a_private_or_missing_youtube_video_is_refused(client_for, settings) -> None:
    with oembed_stub(404, {}) as stub:
        settings.YOUTUBE_OEMBED_URL = f"{stub.url}/oembed"
        response = client_for.post("/api/v1/videos/youtube", {"url": ID}, format="json")

    assert response.status_code == 400
    assert "private, removed or does not exist" in response.json()["error"]["fields"]["url"][0]
    assert not Video.objects.exists()


def test_when_oembed_is_unreachable_the_video_is_added_with_a_plain_title(client_for) -> None:
    response = client_for.post("/api/v1/videos/youtube", {"url": ID}, format="json")

    assert response.status_code == 201
    assert response.json()["title"] == f"YouTube video {ID}"


def test_a_playlist_link_is_refused_over_the_api(client_for) -> None:
    response = client_for.post(
        "/api/v1/videos/youtube", {"url": "https://www.youtube.com/playlist?list=PL123"}, format="json"
    )

    assert response.status_code == 400
    assert "Playlists are not supported" in response.json()["error"]["message"]


def test_the_list_searches_titles_filters_by_status_and_shows_only_mine(client_for, user, other_user) -> None:
    VideoFactory(owner=user, title="Cat on a piano", status=Video.Status.READY)
    VideoFactory(owner=user, title="Dog in the park", status=Video.Status.FAILED)
    VideoFactory(owner=other_user, title="Cat elsewhere", status=Video.Status.READY)

    titles = [v["title"] for v in client_for.get("/api/v1/videos", {"q": "cat"}).json()["results"]]
    failed = [v["title"] for v in client_for.get("/api/v1/videos", {"status": "failed"}).json()["results"]]

    assert titles == ["Cat on a piano"]
    assert failed == ["Dog in the park"]


def test_the_list_makes_the_same_number_of_queries_for_many_videos(
    client_for, user, django_assert_max_num_queries
) -> None:
    VideoFactory.create_batch(30, owner=user)

    with django_assert_max_num_queries(4):
        assert client_for.get("/api/v1/videos").status_code == 200


def test_deleting_a_video_removes_its_file(client_for, user, settings, django_capture_on_commit_callbacks) -> None:
    stored = Path(settings.MEDIA_ROOT) / "videos" / "1" / "original.mp4"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"video bytes")
    video = VideoFactory(owner=user, title="gone", storage_key="videos/1/original.mp4", size=11)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for.delete(f"/api/v1/videos/{video.pk}")

    assert response.status_code == 204
    assert not Video.objects.filter(pk=video.pk).exists()
    assert not stored.exists()


def test_another_user_gets_404_for_my_video_and_cannot_delete_it(user, other_user) -> None:
    video = VideoFactory(owner=user, title="mine")
    intruder = APIClient()
    intruder.force_authenticate(other_user)

    assert intruder.get(f"/api/v1/videos/{video.pk}").status_code == 404
    assert intruder.delete(f"/api/v1/videos/{video.pk}").status_code == 404
    assert Video.objects.filter(pk=video.pk).exists()
