"""A drawing's still: the frame at the comment's time with the drawing over it, for members and a link's
guests, and in the exports (notes files, marker files, the ZIP with stills)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from reviews.models import Comment
from reviews.stills import still_key
from reviews.tasks import make_comment_still
from tests.factories import ComparisonFactory, ShareLinkFactory, UserFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db

KEY = "s" * 40
WIDTH, HEIGHT = 320, 180
# The video's picture: dark blue for its first second, then a light grey.
FIRST, SECOND = (20, 40, 160), (200, 200, 200)
RED = (0xE5, 0x39, 0x35)
# A red rectangle from 25 % to 75 % across and down, 0.02 of the height thick (3.6 px).
DRAWING = {"shapes": [{"tool": "rect", "color": "#e53935", "width": 0.02, "from": [0.25, 0.25], "to": [0.75, 0.75]}]}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stills") / "two-colours.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.time_base = Fraction(1, 10)
        for index in range(20):
            picture = np.full((HEIGHT, WIDTH, 3), FIRST if index < 10 else SECOND, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def stored_video(owner, clip: Path, settings, title: str) -> Video:
    video = VideoFactory(owner=owner, title=title, comparable=True, duration=2.0)
    key = f"videos/{video.pk}/original.mp4"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(clip.read_bytes())
    Video.objects.filter(pk=video.pk).update(storage_key=key)
    video.refresh_from_db()
    return video


@pytest.fixture
def comparison(user, clip, settings):
    return ComparisonFactory(
        owner=user,
        video_a=stored_video(user, clip, settings, "Cut A"),
        video_b=stored_video(user, clip, settings, "Cut B"),
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draw(client: Client, url: str, **fields) -> dict:
    body = {"side": "b", "start": 1.5, "body": "Too big", "drawing": DRAWING, **fields}
    made = client.post(url, body, content_type="application/json")
    assert made.status_code == 201, made.content
    return made.json()


def near(pixel, colour, tolerance: int = 24) -> bool:
    return all(abs(int(p) - c) <= tolerance for p, c in zip(pixel, colour, strict=True))


def test_the_still_is_the_frame_at_that_time_with_the_drawing_where_it_was_drawn(user, comparison):
    client = signed_in(user)
    comment = draw(client, f"/api/v1/comparisons/{comparison.pk}/comments")
    assert comment["has_still"] is True

    response = client.get(f"/api/v1/comments/{comment['id']}/still.png")

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    pixels = np.asarray(image)
    assert near(pixels[HEIGHT // 4 + 1, WIDTH // 2], RED)  # on the rectangle's top edge
    assert near(pixels[HEIGHT // 2, WIDTH // 4 + 1], RED)  # on its left edge
    assert near(pixels[HEIGHT // 2, WIDTH // 2], SECOND)  # inside: the picture at 1.5 s, not at 0 s
    assert near(pixels[5, 5], SECOND)
    # Kept: asked again, the stored file answers.
    assert any(name.endswith(".png") for name in default_storage.listdir("stills/comments")[1])
    assert client.get(f"/api/v1/comments/{comment['id']}/still.png").content == response.content


def test_only_the_workspace_and_the_links_own_guests_get_a_still(user, comparison):
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    other_link = ShareLinkFactory(comparison=comparison, permission="comment")
    guest = Client(headers={"X-Reviewer-Key": KEY}, REMOTE_ADDR="203.0.113.7")
    made = draw(guest, f"/api/v1/shared/{link.token}/comments", author_name="Ana", body="")
    members_only = draw(signed_in(user), f"/api/v1/comparisons/{comparison.pk}/comments")

    assert guest.get(f"/api/v1/shared/{link.token}/comments/{made['id']}/still.png").status_code == 200
    assert Client().get(f"/api/v1/shared/{other_link.token}/comments/{made['id']}/still.png").status_code == 404
    assert Client().get(f"/api/v1/shared/{link.token}/comments/{members_only['id']}/still.png").status_code == 404
    assert signed_in(UserFactory()).get(f"/api/v1/comments/{made['id']}/still.png").status_code == 404
    assert signed_in(user).get(f"/api/v1/comments/{made['id']}/still.png").status_code == 200


def test_a_comment_without_a_drawing_has_no_still(user, comparison):
    client = signed_in(user)
    plain = draw(client, f"/api/v1/comparisons/{comparison.pk}/comments", drawing=None)

    assert plain["has_still"] is False
    assert client.get(f"/api/v1/comments/{plain['id']}/still.png").status_code == 404


def test_the_notes_export_shows_the_still_under_the_comment(user, clip, settings):
    video = stored_video(user, clip, settings, "Solo")
    client = signed_in(user)
    comment = draw(client, f"/api/v1/videos/{video.pk}/comments", side="video", body="")

    markdown = client.get(f"/api/v1/videos/{video.pk}/notes/export.md").content.decode()
    exported = json.loads(client.get(f"/api/v1/videos/{video.pk}/notes/export.json").content)

    still = f"/api/v1/comments/{comment['id']}/still.png"
    assert ": (a drawing)\n" in markdown  # a drawing alone: the file says what it is
    assert f"  ![Drawing at 00:01]({'http://testserver'}{still})" in markdown
    [row] = exported["videos"][0]["comments"]
    assert row["still_url"].endswith(still)


def markers(client: Client, comparison, file_type: str, **query):
    return client.get(f"/api/v1/comparisons/{comparison.pk}/markers.{file_type}", query)


def test_marker_files_name_the_still_only_in_the_zip_that_holds_it(user, comparison):
    client = signed_in(user)
    comment = draw(client, f"/api/v1/comparisons/{comparison.pk}/comments")
    draw(client, f"/api/v1/comparisons/{comparison.pk}/comments", side="a", body="on A")

    rows = list(
        csv.DictReader(io.StringIO(markers(client, comparison, "csv", include="comments").content.decode("utf-8-sig")))
    )
    archive_response = markers(client, comparison, "edl", include="comments", stills="1")

    # A file alone names no still it does not hold: it says where the drawing is.
    assert [row["note"] for row in rows] == ["Too big | Drawing: on the review page"]
    assert archive_response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(archive_response.content))
    names = archive.namelist()
    assert names == [f"comparison-{comparison.pk}-markers-b.edl", f"stills/{comment['id']}.png"]  # B's only
    assert f"stills/{comment['id']}.png" in archive.read(names[0]).decode()
    png = Image.open(io.BytesIO(archive.read(names[1]))).convert("RGB")
    assert near(np.asarray(png)[HEIGHT // 4 + 1, WIDTH // 2], RED)


def stored_png(key: str) -> bytes:
    with default_storage.open(key, "rb") as stored:
        return bytes(stored.read())


def test_a_drawn_comment_has_its_still_made_by_a_task_before_anyone_asks(
    user, comparison, django_capture_on_commit_callbacks
):
    client = signed_in(user)
    with django_capture_on_commit_callbacks(execute=True):  # the tests' Celery runs tasks eagerly
        comment = draw(client, f"/api/v1/comparisons/{comparison.pk}/comments")
    key = still_key(Comment.objects.get(pk=comment["id"]))

    assert default_storage.exists(key)  # no request asked for it yet
    made = Image.open(io.BytesIO(stored_png(key))).convert("RGB")
    assert near(np.asarray(made)[HEIGHT // 4 + 1, WIDTH // 2], RED)
    # The request serves the stored file: it decodes nothing (a stand-in file shows it).
    default_storage.delete(key)
    default_storage.save(key, ContentFile(b"stored"))
    assert client.get(f"/api/v1/comments/{comment['id']}/still.png").content == b"stored"


def test_a_guests_drawing_has_its_still_made_ahead_too(comparison, django_capture_on_commit_callbacks):
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    guest = Client(headers={"X-Reviewer-Key": KEY}, REMOTE_ADDR="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        drawn = draw(guest, f"/api/v1/shared/{link.token}/comments", author_name="Ana", body="")

    assert default_storage.exists(still_key(Comment.objects.get(pk=drawn["id"])))


def test_the_still_task_is_idempotent_and_the_request_makes_the_still_when_it_has_not_run(user, comparison):
    client = signed_in(user)
    comment = draw(client, f"/api/v1/comparisons/{comparison.pk}/comments")  # its task never ran here
    plain = draw(client, f"/api/v1/comparisons/{comparison.pk}/comments", drawing=None)
    key = still_key(Comment.objects.get(pk=comment["id"]))
    assert not default_storage.exists(key)

    asked = client.get(f"/api/v1/comments/{comment['id']}/still.png")

    assert asked.status_code == 200 and stored_png(key) == asked.content  # made and kept by the request
    assert make_comment_still(comment["id"]) is False  # already there: nothing done again
    default_storage.delete(key)
    assert make_comment_still(comment["id"]) is True and stored_png(key) == asked.content
    assert make_comment_still(plain["id"]) is False  # no drawing: no still
    Comment.objects.filter(pk=comment["id"]).delete()
    assert make_comment_still(comment["id"]) is False  # gone: quietly nothing


def test_the_pages_marker_form_offers_the_stills_to_members_not_to_guests(user, comparison):
    member_page = signed_in(user).get(f"/compare/{comparison.pk}/").content.decode()
    link = ShareLinkFactory(comparison=comparison, permission="comment")
    guest_page = Client().get(f"/s/{link.token}/").content.decode()

    assert 'name="stills" value="1"' in member_page
    assert "Markers" in guest_page and 'name="stills"' not in guest_page
