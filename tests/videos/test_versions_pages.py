"""Version stacks on pages and in the API: the versions card and "what changed", the upload page in
"new version" mode, the library showing a stack once, stack share links (form and API), the
stacks API's shapes, and another user's 404 on each."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.models import ShareLink
from tests.factories import ShareLinkFactory, VideoFactory
from tests.videos.test_versions import new_video, ready_clips, stack_of, stack_with
from videos.models import Comparison, Video
from videos.tasks import compare_version_neighbours

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the video page ----------------------------------------------------------------------------------


def test_a_versions_page_lists_the_versions_and_what_changed_since_the_one_before(user) -> None:
    v1, v2, v3 = stack_of(user, 3, ready=(1, 2, 3))
    compare_version_neighbours(v3.pk)
    made = Comparison.objects.get(video_a=v2, video_b=v3)

    html = browser(user).get(reverse("videos:video", args=[v3.pk])).content.decode()

    text = text_of(html)
    assert "Versions" in text and "v1" in text and "v2" in text and "v3 (this one)" in text
    assert f'href="{reverse("videos:video", args=[v1.pk])}"' in html
    assert "What changed since v2:" in text
    assert f'href="{reverse("compare:comparison", args=[made.pk])}"' in html
    assert "What changed since v1:" in text and "Compare v1 with this version" in text


def test_an_older_versions_page_says_at_its_top_that_a_newer_one_exists(user) -> None:
    v1, _v2, v3 = stack_of(user, 3, ready=(1, 2, 3))

    old = browser(user).get(reverse("videos:video", args=[v1.pk])).content.decode()
    newest = browser(user).get(reverse("videos:video", args=[v3.pk])).content.decode()

    notice = re.search(r"<p [^>]*data-newer-version[^>]*>(.*?)</p>", old, re.S)
    assert notice is not None
    said = re.sub(r"\s+([.,])", r"\1", " ".join(text_of(notice.group(1)).split()))
    assert said == f"This is v1: a newer version exists, v3 “{v3.title}”."
    assert f'href="{reverse("videos:video", args=[v3.pk])}"' in notice.group(1)
    assert "data-newer-version" not in newest


def test_while_the_automatic_comparison_is_made_the_page_says_so(user) -> None:
    _v1, v2 = stack_of(user, 2, ready=(1, 2))

    text = text_of(browser(user).get(reverse("videos:video", args=[v2.pk])).content.decode())

    assert "comparing v1 with this version" in text


def test_what_changed_since_v1_makes_that_comparison_and_opens_it(user) -> None:
    v1, _v2, v3 = stack_of(user, 3, ready=(1, 2, 3))

    response = browser(user).post(reverse("videos:compare_with_first", args=[v3.pk]))

    made = Comparison.objects.get(video_a=v1, video_b=v3)
    assert made.alignment == "cuts"
    assert response.status_code == 302 and response["Location"] == reverse("compare:comparison", args=[made.pk])
    again = browser(user).get(reverse("videos:video", args=[v3.pk])).content.decode()
    assert f'href="{reverse("compare:comparison", args=[made.pk])}"' in again, "the page links it from now on"


def test_another_users_version_pages_and_actions_are_404(user, other_user) -> None:
    _v1, v2 = stack_of(other_user, 2, ready=(1, 2))
    client = browser(user)

    assert client.get(reverse("videos:video", args=[v2.pk])).status_code == 404
    assert client.post(reverse("videos:compare_with_first", args=[v2.pk])).status_code == 404
    assert client.get(reverse("videos:upload"), {"version_of": v2.pk}).status_code == 404
    assert not Comparison.objects.exists()


def test_an_uploaded_videos_page_offers_a_new_version_and_the_upload_page_says_of_what(user) -> None:
    video = new_video(user, "Brand film")
    client = browser(user)

    page = client.get(reverse("videos:video", args=[video.pk])).content.decode()
    upload_url = f"{reverse('videos:upload')}?version_of={video.pk}"
    assert f'href="{upload_url}"' in page and "Upload a new version" in page

    upload_page = client.get(upload_url).content.decode()
    assert "New version of “<bdi>Brand film</bdi>”" in upload_page
    file_input = re.search(r'<input[^>]*id="upload-files"[^>]*>', upload_page)
    assert file_input is not None and "multiple" not in file_input.group(0), "one file: one new version"
    assert f'"version_of": {{"id": {video.pk}, "title": "Brand film", "stack_id": null}}' in upload_page


def test_a_youtube_video_offers_no_new_version(user) -> None:
    video = VideoFactory(owner=user, title="Talk", source=Video.Source.YOUTUBE, youtube_id="abcdefghijk")

    page = browser(user).get(reverse("videos:video", args=[video.pk])).content.decode()

    assert "Upload a new version" not in page


# --- the library -------------------------------------------------------------------------------------


def card_titles(html: str) -> list[str]:
    return re.findall(r'class="video-card-title"><a href="[^"]+">([^<]+)</a>', html)


def test_the_library_shows_a_stack_once_as_its_newest_version_with_queries_flat(user) -> None:
    new_video(user, "Other")
    client = browser(user)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("videos:library"))
    v1, _v2, v3 = stack_of(user, 3)
    for _ in range(3):
        stack_of(user, 2)

    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("videos:library")).content.decode()

    ids = re.findall(r'data-video-card data-video-id="(\d+)"', html)
    assert str(v3.pk) in ids and str(v1.pk) not in ids
    assert len(ids) == 1 + 1 + 3, "each stack once, beside the other video"
    assert ">v3</span>" in html
    assert len(many) == len(few)


# --- share links -------------------------------------------------------------------------------------


def test_a_versions_page_shares_the_stack_through_its_form_and_lists_the_link(user) -> None:
    _v1, v2 = stack_of(user, 2, ready=(1, 2))
    client = browser(user)

    response = client.post(
        reverse("reviews:video-share-link-create", args=[v2.pk]),
        {"name": "Client, round 2", "permission": "comment", "shares": "stack"},
    )

    assert response.status_code == 302
    link = ShareLink.objects.get(owner=user)
    assert link.stack == stack_with(v2) and link.video is None
    page = text_of(client.get(reverse("videos:video", args=[v2.pk])).content.decode())
    assert "Client, round 2" in page and "Newest version against the one before" in page


def test_a_video_is_shared_alone_by_default(user) -> None:
    video = new_video(user)

    form = {"name": "Editor", "permission": "view"}
    browser(user).post(reverse("reviews:video-share-link-create", args=[video.pk]), form)

    assert ShareLink.objects.get(owner=user).video == video


def test_a_stack_share_link_is_made_and_listed_through_the_api(user) -> None:
    v1, _v2 = stack_of(user, 2)
    stack = stack_with(v1)
    url = reverse("api-stack-share-links", args=[stack.pk])

    made = api(user).post(url, {"name": "Producer", "permission": "view"}, format="json")
    listed = api(user).get(url)

    assert made.status_code == 201, made.content
    assert made.json()["stack"] == stack.pk and made.json()["url"].startswith("http")
    assert [row["name"] for row in listed.json()] == ["Producer"]


def test_another_users_stack_links_are_404_by_api_and_form(user, other_user) -> None:
    v1, _v2 = stack_of(other_user, 2)
    stack = stack_with(v1)
    ShareLinkFactory(video=v1)

    assert api(user).get(reverse("api-stack-share-links", args=[stack.pk])).status_code == 404
    assert api(user).post(reverse("api-stack-share-links", args=[stack.pk]), {"name": "x"}).status_code == 404
    assert (
        browser(user).post(reverse("reviews:stack-share-link-create", args=[stack.pk]), {"name": "x"}).status_code
        == 404
    )
    response = browser(user).post(
        reverse("reviews:video-share-link-create", args=[v1.pk]), {"name": "x", "shares": "stack"}
    )
    assert response.status_code == 404
    assert ShareLink.objects.filter(owner=user).count() == 0


# --- the API -----------------------------------------------------------------------------------------


def test_the_stacks_api_lists_my_stacks_with_their_versions_and_neighbour_comparisons(user, other_user) -> None:
    v1, v2, v3 = stack_of(user, 3, ready=(1, 2, 3))
    stack_of(other_user, 2)
    for video in (v2, v3):
        compare_version_neighbours(video.pk)

    listed = api(user).get(reverse("api-stacks")).json()
    detail = api(user).get(reverse("api-stack-detail", args=[stack_with(v1).pk])).json()

    assert [(row["id"], row["version_count"], row["newest_version"]) for row in listed["results"]] == [
        (stack_with(v1).pk, 3, 3)
    ]
    assert [(row["id"], row["version"], row["status"]) for row in detail["versions"]] == [
        (v1.pk, 1, "ready"),
        (v2.pk, 2, "ready"),
        (v3.pk, 3, "ready"),
    ]
    assert [(row["version_a"], row["version_b"]) for row in detail["comparisons"]] == [(1, 2), (2, 3)]
    assert {"id", "similarity", "counts", "video_a", "video_b"} <= set(detail["comparisons"][0])


def test_a_videos_api_detail_says_its_stack_and_version(user) -> None:
    v1, v2 = stack_of(user, 2)
    lone = new_video(user)

    body = api(user).get(reverse("api-video-detail", args=[v2.pk])).json()
    lone_body = api(user).get(reverse("api-video-detail", args=[lone.pk])).json()

    assert (body["stack_id"], body["version"]) == (stack_with(v1).pk, 2)
    assert (lone_body["stack_id"], lone_body["version"]) == (None, None)


def test_another_users_stack_is_404_in_the_api(user, other_user) -> None:
    v1, _ = stack_of(other_user, 2)

    assert api(user).get(reverse("api-stack-detail", args=[stack_with(v1).pk])).status_code == 404
    assert api(user).get(reverse("api-stacks")).json()["results"] == []


def test_a_new_v2_becomes_ready_and_v1_is_listed_after_it(user) -> None:
    """The library card of a stack is its newest version even while that one is processing."""
    _v1, v2 = stack_of(user, 2, ready=(1,))
    ready_clips(v2, seed=2)

    html = browser(user).get(reverse("videos:library")).content.decode()

    assert card_titles(html) == [v2.title]


def test_an_operator_sees_a_stack_with_its_versions_in_the_admin(user, admin_client) -> None:
    v1, v2 = stack_of(user, 2)
    stack = stack_with(v1)

    listing = admin_client.get(reverse("admin:videos_videostack_changelist")).content.decode()
    page = admin_client.get(reverse("admin:videos_videostack_change", args=[stack.pk])).content.decode()

    assert stack.title in listing
    assert reverse("admin:videos_video_change", args=[v1.pk]) in page
    assert reverse("admin:videos_video_change", args=[v2.pk]) in page
