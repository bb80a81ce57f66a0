"""The upload page: login, the plan's limits, the price, a YouTube link added without JavaScript, and
nobody else's data; the "compare two videos" page and what it offers to pick."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import Plan
from billing.plans import GIB, MIB
from billing.selectors import wallet_for_user
from tests.factories import UploadFactory, UserFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/videos/upload/"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_upload_page_lives_at_videos_upload() -> None:
    assert reverse("videos:upload") == UPLOAD_URL


def test_the_upload_page_requires_login(client) -> None:
    response = client.get(UPLOAD_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_upload_page_answers_get_and_the_youtube_forms_post_only(signed_in) -> None:
    assert signed_in.put(UPLOAD_URL).status_code == 405
    assert signed_in.delete(UPLOAD_URL).status_code == 405


def test_a_youtube_link_posted_without_javascript_adds_the_video_and_opens_it(
    signed_in, user, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # its processing is not run here
        response = signed_in.post(UPLOAD_URL, {"url": "https://youtu.be/dQw4w9WgXcQ"})

    video = Video.objects.get(owner=user)
    assert (video.source, video.youtube_id, video.status) == (Video.Source.YOUTUBE, "dQw4w9WgXcQ", Video.Status.QUEUED)
    assert response.status_code == 302
    assert response["Location"] == f"/videos/{video.pk}/"


def test_a_bad_youtube_link_is_refused_on_the_page_with_the_reason(signed_in, user) -> None:
    response = signed_in.post(UPLOAD_URL, {"url": "https://www.youtube.com/playlist?list=PL123"})

    assert response.status_code == 400
    assert "Playlists are not supported: add the videos one at a time." in response.content.decode()
    assert not Video.objects.filter(owner=user).exists()
    empty = signed_in.post(UPLOAD_URL, {"url": ""})
    assert empty.status_code == 400
    assert "Paste a YouTube link." in empty.content.decode()


def test_the_page_says_the_price_and_the_balance_before_anything_is_sent(signed_in) -> None:
    response = signed_in.get(UPLOAD_URL)

    html = response.content.decode()
    assert "Processing costs 1 token per second of video" in html
    assert '<strong class="balance-value">1,800</strong> tokens' in html
    config = response.context["upload_config"]
    assert (config["balance"], config["tokens_per_second"]) == (1800, 1)


def test_the_page_shows_the_plans_limits_and_storage_used(signed_in, user) -> None:
    VideoFactory(owner=user, title="Stored", size=300 * MIB, storage_key="videos/1/original.mp4")
    UploadFactory(owner=user, filename="half.mp4", size=212 * MIB)

    response = signed_in.get(UPLOAD_URL)

    assert response.status_code == 200
    limits = response.context["limits"]
    assert limits.plan_name == "Free"
    assert limits.max_upload_bytes == 500 * MIB
    assert limits.storage_used_bytes == 512 * MIB
    assert limits.storage_quota_bytes == 2 * GIB
    assert limits.storage_percent == 25
    html = response.content.decode()
    assert '<dd data-limit="max-upload">500 MB</dd>' in html
    assert '<dd data-limit="max-length">15 minutes</dd>' in html
    assert '<span class="storage-used">512 MB</span> of 2 GB used' in html
    assert "1.5 GB free" in html
    assert "Free plan" in html


def test_the_page_follows_a_change_of_plan(signed_in, user) -> None:
    wallet = wallet_for_user(user)
    wallet.plan = Plan.objects.get(slug="pro")
    wallet.save()

    html = signed_in.get(UPLOAD_URL).content.decode()

    assert '<dd data-limit="max-upload">5 GB</dd>' in html
    assert "of 100 GB used" in html
    assert "Pro plan" in html


def test_another_users_videos_uploads_and_plan_never_appear(signed_in) -> None:
    someone_else = UserFactory(display_name="Someone Else", email="someone.else@example.com")
    wallet = wallet_for_user(someone_else)
    wallet.plan = Plan.objects.get(slug="team")
    wallet.save()
    VideoFactory(owner=someone_else, title="Their secret talk", size=900 * MIB, storage_key="videos/9/original.mp4")
    UploadFactory(owner=someone_else, filename="their-draft.mp4", size=100 * MIB)

    response = signed_in.get(UPLOAD_URL)

    html = response.content.decode()
    assert response.context["limits"].storage_used_bytes == 0
    assert '<span class="storage-used">0 bytes</span> of 2 GB used' in html
    assert "Team" not in html
    assert "Their secret talk" not in html
    assert "their-draft.mp4" not in html
    assert "Someone Else" not in html
    assert "someone.else@example.com" not in html


def test_without_javascript_the_page_says_uploading_needs_it(signed_in) -> None:
    html = signed_in.get(UPLOAD_URL).content.decode()

    noscript = html.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert "Uploading files needs JavaScript" in noscript
    assert "YouTube links can be added below without it" in noscript
    # The drop zone and file input cannot work without the script, so they start hidden.
    assert 'id="upload-drop-zone" hidden' in html
    assert 'src="/static/js/upload.js"' in html
    assert 'type="module"' in html


def test_the_page_gives_the_script_the_api_and_a_csrf_token(signed_in) -> None:
    response = signed_in.get(UPLOAD_URL)

    html = response.content.decode()
    assert 'data-uploads-url="/api/v1/uploads"' in html
    token = response.context["csrf_token"]
    assert f'data-csrf-token="{token}"' in html
    assert 'accept=".mp4,.mov,.m4v,.webm,.mkv"' in html


def test_the_header_links_to_the_upload_page(signed_in) -> None:
    html = signed_in.get(UPLOAD_URL).content.decode()

    assert f'<a href="{UPLOAD_URL}" aria-current="page">Upload</a>' in html


COMPARE_TWO_URL = "/videos/upload/compare/"


def test_compare_two_requires_login(client) -> None:
    response = client.get(COMPARE_TWO_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_compare_two_offers_my_uploads_that_are_ready_or_on_their_way_and_nobody_elses(signed_in, user) -> None:
    ready = VideoFactory(owner=user, title="Cut one", status=Video.Status.READY)
    processing = VideoFactory(owner=user, title="Cut two", status=Video.Status.PROCESSING)
    VideoFactory(owner=user, title="Broken cut", status=Video.Status.FAILED)
    VideoFactory(owner=user, title="A talk", source=Video.Source.YOUTUBE, youtube_id="dQw4w9WgXcQ")
    VideoFactory(owner=UserFactory(), title="Their cut", status=Video.Status.READY)

    response = signed_in.get(COMPARE_TWO_URL)

    assert response.status_code == 200
    assert response.context["choices"] == [processing, ready]
    html = response.content.decode()
    assert html.count(f'<option value="{ready.pk}" data-title="Cut one">Cut one</option>') == 2  # A and B
    assert f'<option value="{processing.pk}" data-title="Cut two">Cut two (processing)</option>' in html
    for absent in ("Broken cut", "A talk", "Their cut"):
        assert absent not in html
    assert '"comparisons_api": "/api/v1/comparisons"' in html
