"""A shared page's media: short-lived signed URLs, scoped to the link and to its object's videos."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from reviews.services import share_link_revoke
from reviews.shared import media_url
from tests.factories import ComparisonFactory, ShareLinkFactory, TranscriptFactory, UserFactory, VideoFactory
from tests.videos.conftest import moto_url, s3  # noqa: F401  # the suite's local S3 (moto_server)
from videos.models import Video

pytestmark = pytest.mark.django_db

MOVIE = bytes(range(256)) * 64  # 16 KiB standing in for an MP4
POSTER = b"\xff\xd8poster\xff\xd9"
SPRITE = b"\xff\xd8sprite\xff\xd9"


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored_video(owner, title: str) -> Video:
    """A ready upload whose file, poster and sprite are in storage, with a one-line transcript."""
    video = VideoFactory(owner=owner, title=title, status=Video.Status.READY, duration=8.0, fps=25.0)
    Video.objects.filter(pk=video.pk).update(
        storage_key=default_storage.save(f"videos/{video.pk}/original.mp4", ContentFile(MOVIE)),
        poster_key=default_storage.save(f"videos/{video.pk}/poster.jpg", ContentFile(POSTER)),
        sprite_key=default_storage.save(f"videos/{video.pk}/sprite.jpg", ContentFile(SPRITE)),
        sprite_meta={"count": 4, "columns": 2, "interval": 2.0, "tile_width": 160, "tile_height": 90},
    )
    TranscriptFactory(video=video, lines=[(1.0, 3.0, "Roll camera")])
    video.refresh_from_db()
    return video


@pytest.fixture
def shared():
    owner = UserFactory()
    comparison = ComparisonFactory(
        owner=owner, video_a=stored_video(owner, "Cut one"), video_b=stored_video(owner, "Cut two")
    )
    return ShareLinkFactory(comparison=comparison)


def page_media(client: Client, token: str) -> dict[str, str]:
    """The media URLs the shared page hands its players: A's file and poster, B's sprite."""
    html = client.get(f"/s/{token}/").content.decode()
    tags = re.findall(r"<video[^>]*>", html)
    files = {found(r'data-player="([ab])"', tag): found(r'\ssrc="([^"#]+)', tag) for tag in tags}
    posters = re.findall(r'<video[^>]*\sposter="([^"]+)"', html)
    sprite = found(r'"sprite_url": "([^"]+)"', html)
    return {"a": files["a"], "b": files["b"], "poster": posters[0], "sprite": sprite}


def test_the_page_plays_its_videos_through_signed_urls_with_byte_ranges(shared):
    client = Client()
    urls = page_media(client, shared.token)

    whole = client.get(urls["a"])
    part = client.get(urls["b"], HTTP_RANGE="bytes=100-199")

    assert whole.status_code == 200 and body(whole) == MOVIE
    assert whole["Content-Type"] == "video/mp4"
    assert part.status_code == 206 and body(part) == MOVIE[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(MOVIE)}"
    for response in (whole, part):
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_posters_sprites_and_captions_come_through_the_link_too(shared):
    client = Client()
    urls = page_media(client, shared.token)
    captions = media_url(shared.token, shared, shared.comparison.video_a, "captions")

    assert body(client.get(urls["poster"])) == POSTER
    assert body(client.get(urls["sprite"])) == SPRITE
    vtt = client.get(captions)
    assert vtt.status_code == 200 and vtt["Content-Type"].startswith("text/vtt")
    assert "Roll camera" in vtt.content.decode()


def test_a_video_outside_the_links_object_is_a_404_even_signed_for_the_link(shared):
    elsewhere = ComparisonFactory(
        owner=shared.owner,
        video_a=stored_video(shared.owner, "Not shared"),
        video_b=stored_video(shared.owner, "Not shared either"),
    )
    other_link = ShareLinkFactory(comparison=elsewhere)
    client = Client()

    # Signed for this link but naming another of the owner's videos.
    assert client.get(media_url(shared.token, shared, elsewhere.video_a, "file")).status_code == 404
    # Another link's good URL, under this link's token.
    foreign = media_url(other_link.token, other_link, elsewhere.video_a, "file")
    signed = foreign.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/s/{shared.token}/media/{signed}/").status_code == 404
    assert client.get(foreign).status_code == 200  # (it is good where it belongs)


def test_a_tampered_or_expired_signature_is_a_404(shared, monkeypatch, settings):
    client = Client()
    good = media_url(shared.token, shared, shared.comparison.video_a, "file")
    signed = good.rstrip("/").rsplit("/", 1)[1]
    payload, stamp, signature = signed.split(":")
    claims_b = signing.TimestampSigner(salt="another purpose").sign_object(
        {"l": shared.pk, "v": shared.comparison.video_b_id, "k": "file"}
    )
    tampered = [
        f"{payload}:{stamp}:{signature[:-2]}xx",
        f"{payload[:-2]}AA:{stamp}:{signature}",
        claims_b,  # signed, but not with the shared media's salt
    ]
    for bad in tampered:
        assert client.get(f"/s/{shared.token}/media/{bad}/").status_code == 404, bad

    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now - settings.SHARE_MEDIA_URL_SECONDS - 5)
    stale = media_url(shared.token, shared, shared.comparison.video_a, "file")
    monkeypatch.setattr("django.core.signing.time.time", lambda: now)
    response = client.get(stale)
    assert response.status_code == 404
    assert response["Referrer-Policy"] == "same-origin"
    assert client.get(good).status_code == 200


def test_revoking_the_link_kills_its_media_urls_at_once(shared):
    client = Client()
    urls = page_media(client, shared.token)
    assert client.get(urls["a"]).status_code == 200

    share_link_revoke(link=shared)

    assert client.get(urls["a"]).status_code == 404  # signed a moment ago, still within its lifetime
    assert client.get(urls["poster"]).status_code == 404
    assert client.get(f"/s/{shared.token}/media.json").status_code == 404
    assert client.get(f"/s/{shared.token}/").status_code == 404


def test_fresh_urls_are_handed_out_for_each_player_and_work(shared):
    client = Client()

    fresh = client.get(f"/s/{shared.token}/media.json")

    assert fresh.status_code == 200 and fresh["Cache-Control"].count("no-store") == 1
    fresh_urls = fresh.json()
    assert fresh_urls["expires_in"] == 600
    assert set(fresh_urls["media"]) == {"a", "b"}
    assert set(fresh_urls["media"]["a"]) == {"file", "poster", "sprite", "captions"}
    assert body(client.get(fresh_urls["media"]["b"]["file"])) == MOVIE


def test_a_password_links_media_need_the_unlocked_session():
    owner = UserFactory()
    video = stored_video(owner, "Locked cut")
    link = ShareLinkFactory(video=video, password="open sesame")
    url = media_url(link.token, link, video, "file")
    unlocked = Client()
    unlocked.post(f"/s/{link.token}/", {"password": "open sesame"})

    assert Client().get(url).status_code == 404
    assert unlocked.get(url).status_code == 200


def test_the_owners_own_file_routes_stay_closed_to_a_guest(shared):
    video = shared.comparison.video_a
    client = Client()
    page_media(client, shared.token)

    for name in ("file", "poster.jpg", "sprite.jpg", "captions.vtt"):
        response = client.get(f"/videos/{video.pk}/{name}")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/videos/{video.pk}/file").status_code == 404


def test_with_s3_the_media_url_redirects_to_a_presigned_url_of_the_same_short_life(
    s3,  # noqa: F811
    settings,
):
    settings.SHARE_MEDIA_URL_SECONDS = 120
    owner = UserFactory()
    video = VideoFactory(
        owner=owner, title="In the bucket", status=Video.Status.READY, duration=8.0, storage_key="videos/s3/cut.mp4"
    )
    s3.client.put_object(Bucket=s3.bucket, Key=video.storage_key, Body=MOVIE)
    link = ShareLinkFactory(video=video)

    response = Client().get(media_url(link.token, link, video, "file"))

    assert response.status_code == 302
    assert response["Referrer-Policy"] == "same-origin"
    location = response["Location"]
    query = parse_qs(urlparse(location).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert urlparse(location).path.endswith("/videos/s3/cut.mp4")
    fetched = requests.get(location, headers={"Range": "bytes=0-99"}, timeout=10)
    assert fetched.status_code == 206 and fetched.content == MOVIE[:100]


def test_with_s3_the_owners_original_download_keeps_its_name(s3):  # noqa: F811
    owner = UserFactory()
    video = VideoFactory(
        owner=owner,
        title="Zoë master",
        status=Video.Status.READY,
        duration=8.0,
        storage_key="videos/s3/master.mov",
    )
    s3.client.put_object(Bucket=s3.bucket, Key=video.storage_key, Body=MOVIE)
    client = Client()
    client.force_login(owner)

    response = client.get(f"/videos/{video.pk}/original")

    assert response.status_code == 302
    fetched = requests.get(response["Location"], timeout=10)
    # S3 answers with the disposition the presigned URL asked for: the browser saves, under the upload's name.
    disposition = fetched.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "Zo%C3%AB%20master.mov" in disposition
    assert fetched.content == MOVIE
