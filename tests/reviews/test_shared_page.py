"""The page a share link opens without an account: `/s/<token>/`, its password form and its JSON."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from reviews.models import ShareLink
from reviews.selectors import PASSWORD_ATTEMPTS
from reviews.services import share_link_revoke
from reviews.tokens import new_token
from tests.factories import (
    ComparisonFactory,
    NoteFactory,
    ShareLinkFactory,
    TranscriptFactory,
    UserFactory,
    VideoFactory,
    VideoStackFactory,
)
from videos.models import Video

pytestmark = pytest.mark.django_db

SHARED_HEADERS = {"Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex, nofollow"}


def guest() -> Client:
    return Client(enforce_csrf_checks=True)


def assert_shared_headers(response, *, page: bool = True) -> None:
    for name, value in SHARED_HEADERS.items():
        assert response[name] == value, name
    cache = response["Cache-Control"]
    assert "private" in cache and "no-store" in cache, cache
    if page and response.status_code == 200:
        html = response.content.decode()
        assert '<meta name="robots" content="noindex, nofollow">' in html
        assert '<meta name="referrer" content="same-origin">' in html


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


def owner_urls(html: str) -> list[str]:
    """Addresses on the page that belong to the owner's side of the site."""
    return re.findall(r"/(?:videos|compare|api/v1/(?:comparisons|videos|notes)|billing|chat|sharing)/[^\"' ]*", html)


# --- a comparison ------------------------------------------------------------------------------------


def test_a_comparison_link_opens_without_an_account_with_players_differences_and_summary():
    link = ShareLinkFactory(comparison=ComparisonFactory(refined=True), name="Client")
    comparison = link.comparison

    response = guest().get(f"/s/{link.token}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert comparison.video_a.title in html and comparison.video_b.title in html
    players = re.findall(r'<video[^>]*data-player="([ab])"[^>]*>', html)
    assert sorted(players) == ["a", "b"]
    sources = re.findall(r'<video[^>]*\ssrc="([^"]+)"', html)
    assert len(sources) == 2 and all(src.startswith(f"/s/{link.token}/media/") for src in sources), sources
    assert 'data-difference="3"' in html  # the four differences, listed
    summary = found(r'<p data-field="summary">([^<]+)</p>', html)
    assert "4 differences" in summary
    assert "Alignment" in html  # the card of matched spans (a refined comparison)
    assert f"/s/{link.token}/comparison.json" in html  # the slider judges through the link
    assert "js/reviews/shared_media.js" in html
    assert_shared_headers(response)
    link.refresh_from_db()
    assert link.last_opened_at is not None


def test_the_shared_comparison_shows_nothing_else_of_the_owners():
    link = ShareLinkFactory(comparison=ComparisonFactory(refined=True), show_owner_notes=True)
    NoteFactory(owner=link.owner, video=link.comparison.video_a, start=2.0, text="Shown note")

    html = guest().get(f"/s/{link.token}/").content.decode()

    assert owner_urls(html) == []
    assert "Your comparisons" not in html
    assert 'data-export="json"' not in html  # the owner's report
    # Markers for an editing program: the link's own, as the policy's `video.view` lets its guests export.
    assert f'href="/s/{link.token}/markers.edl?side=b"' in html
    assert 'id="share-links"' not in html  # the share panel
    assert "Compare with these settings" not in html  # the advanced form
    assert "Save as default threshold" in html  # present but hidden by the script in read-only mode
    assert "data-read-only" in html
    assert "tokens" not in html.split('<main id="main"')[0]  # no balance in the header


def test_the_owners_notes_show_only_when_the_link_says_so():
    comparison = ComparisonFactory(refined=True)
    NoteFactory(owner=comparison.owner, video=comparison.video_b, start=6.5, text="Logo too big here")
    hidden = ShareLinkFactory(comparison=comparison)
    shown = ShareLinkFactory(comparison=comparison, show_owner_notes=True)

    without = guest().get(f"/s/{hidden.token}/").content.decode()
    with_notes = guest().get(f"/s/{shown.token}/").content.decode()

    assert "Logo too big here" not in without and "data-compare-notes" not in without
    assert "Logo too big here" in with_notes
    assert 'href="?b=6.500"' in with_notes  # the note seeks this page, not the video's own


def test_the_comments_panel_and_its_timeline_lane_are_left_for_the_guest():
    link = ShareLinkFactory(permission=ShareLink.Permission.COMMENT)

    html = guest().get(f"/s/{link.token}/").content.decode()

    assert "data-timeline-comments" in html
    assert 'data-comments-mode="guest"' in html
    assert f"/api/v1/shared/{link.token}/comments" in html and f"/ws/shared/{link.token}/" in html


def test_the_owners_own_page_keeps_its_links_and_gets_the_comments_panel_once_a_link_exists():
    comparison = ComparisonFactory()
    owner = Client()
    owner.force_login(comparison.owner)

    before = owner.get(f"/compare/{comparison.pk}/").content.decode()
    ShareLinkFactory(comparison=comparison)
    after = owner.get(f"/compare/{comparison.pk}/").content.decode()

    assert "Your comparisons" in before and 'data-export="json"' in before
    assert f'href="/videos/{comparison.video_a_id}/"' in before
    # No link yet: the panel is there for the owner's own comments and drawings (a viewer's waits
    # hidden for the first link: tests/reviews/test_drawings_pages.py).
    assert not re.search(r'<section class="card comments-panel"[^>]*\shidden>', before)
    assert "Draw on the picture" in before
    assert not re.search(r'<section class="card comments-panel"[^>]*\shidden>', after)
    assert 'data-comments-mode="owner"' in after
    assert "noindex" not in after


@pytest.mark.parametrize("state", ["wrong", "revoked", "expired"])
def test_a_wrong_revoked_or_expired_link_is_the_same_plain_404(state):
    link = ShareLinkFactory()
    token = link.token
    if state == "wrong":
        token = new_token()
    elif state == "revoked":
        share_link_revoke(link=link)
    else:
        ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = guest().get(f"/s/{token}/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert link.comparison.video_a.title not in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"


def test_a_link_to_one_comparison_opens_nothing_of_another_nor_the_videos_own_pages():
    link = ShareLinkFactory()
    other = ComparisonFactory(owner=link.owner)
    client = guest()
    assert client.get(f"/s/{link.token}/").status_code == 200

    judged = client.get(f"/s/{link.token}/comparison.json").json()
    assert judged["id"] == link.comparison_id
    # The link's session opens none of the owner's pages, files or API.
    video = link.comparison.video_a
    for path in (f"/compare/{other.pk}/", f"/compare/{link.comparison_id}/", f"/videos/{video.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    for path in (f"/videos/{video.pk}/file", f"/videos/{video.pk}/poster.jpg", f"/videos/{video.pk}/captions.vtt"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    assert client.get(f"/api/v1/comparisons/{other.pk}").status_code in (401, 403)
    # Someone else signed in gets 404 for them, link or not.
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/s/{link.token}/").status_code == 200
    assert stranger.get(f"/compare/{link.comparison_id}/").status_code == 404
    assert stranger.get(f"/videos/{video.pk}/file").status_code == 404


# --- the password ------------------------------------------------------------------------------------


def test_a_password_link_asks_for_it_then_the_session_remembers():
    link = ShareLinkFactory(password="open sesame")
    client = guest()

    form = client.get(f"/s/{link.token}/")
    assert form.status_code == 403
    html = form.content.decode()
    assert 'type="password"' in html and link.comparison.video_a.title not in html
    assert_shared_headers(form)
    # The form's own CSRF token is required (a guest client enforcing checks refuses without it).
    csrf = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert client.post(f"/s/{link.token}/", {"password": "open sesame"}).status_code == 403

    wrong = client.post(f"/s/{link.token}/", {"password": "nope", "csrfmiddlewaretoken": csrf})
    assert wrong.status_code == 403 and "That password is not right." in wrong.content.decode()

    right = client.post(f"/s/{link.token}/", {"password": "open sesame", "csrfmiddlewaretoken": csrf})
    assert right.status_code == 302 and right["Location"] == f"/s/{link.token}/"
    page = client.get(f"/s/{link.token}/")
    assert page.status_code == 200 and link.comparison.video_a.title in page.content.decode()
    assert client.get(f"/s/{link.token}/comparison.json").status_code == 200

    # Another browser still needs it.
    assert guest().get(f"/s/{link.token}/").status_code == 403
    assert guest().get(f"/s/{link.token}/comparison.json").json()["error"]["code"] == "password_required"


def test_too_many_wrong_passwords_pause_the_form_with_when_to_retry():
    link = ShareLinkFactory(password="open sesame")
    client = Client()
    for _ in range(PASSWORD_ATTEMPTS):
        assert client.post(f"/s/{link.token}/", {"password": "guess"}).status_code == 403

    paused = client.post(f"/s/{link.token}/", {"password": "open sesame"})

    assert paused.status_code == 429
    assert int(paused["Retry-After"]) > 0
    assert "Try again in 15 minutes" in paused.content.decode()
    assert_shared_headers(paused)


# --- the JSON the slider asks --------------------------------------------------------------------------


def test_the_slider_judges_the_shared_comparison_at_another_threshold_without_saving():
    link = ShareLinkFactory(comparison=ComparisonFactory(refined=True))
    client = guest()

    judged = client.get(f"/s/{link.token}/comparison.json?threshold=0.5")
    refused = client.get(f"/s/{link.token}/comparison.json?threshold=-1")

    assert judged.status_code == 200
    assert [segment["kind"] for segment in judged.json()["segments"]] == ["only_b", "only_b", "both"]
    assert_shared_headers(judged, page=False)
    link.comparison.refresh_from_db()
    assert link.comparison.threshold == 0.15  # nothing saved
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["threshold"]


def test_the_json_of_a_revoked_link_is_a_404_in_the_api_shape():
    link = ShareLinkFactory()
    share_link_revoke(link=link)

    response = guest().get(f"/s/{link.token}/comparison.json")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert_shared_headers(response, page=False)


# --- a video ----------------------------------------------------------------------------------------


def ready_video(owner, title: str = "Interview cut") -> Video:
    video = VideoFactory(
        owner=owner,
        title=title,
        status=Video.Status.READY,
        duration=12.0,
        fps=25.0,
        storage_key=f"videos/{title}.mp4",
        poster_key=f"videos/{title}.jpg",
    )
    TranscriptFactory(video=video, lines=[(1.0, 3.0, "Hello from the set")])
    return video


def test_a_video_link_shows_the_player_and_transcript_and_nothing_else_of_the_owners():
    video = ready_video(UserFactory())
    NoteFactory(owner=video.owner, video=video, start=1.5, text="Private aside")
    link = ShareLinkFactory(video=video)

    response = guest().get(f"/s/{link.token}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert video.title in html and "Hello from the set" in html
    video_tag = found(r"(<video[^>]*>)", html)
    assert f'poster="/s/{link.token}/media/' in video_tag
    assert re.search(rf'<source src="/s/{link.token}/media/[^"]*" type="video/mp4" data-quality="full">', html)
    assert re.search(rf'<track[^>]*src="/s/{link.token}/media/', html)
    assert "Private aside" not in html
    assert owner_urls(html) == []
    assert "Compare with" not in html and "Delete" not in html and "data-notes-panel" not in html
    assert_shared_headers(response)


def test_a_video_link_with_notes_lists_them_read_only():
    video = ready_video(UserFactory())
    NoteFactory(owner=video.owner, video=video, start=1.5, text="Check the colour")
    link = ShareLinkFactory(video=video, show_owner_notes=True)

    html = guest().get(f"/s/{link.token}/").content.decode()

    assert "Check the colour" in html and 'href="?t=1.500"' in html
    assert "js/notes_panel.js" not in html and "data-note-edit" not in html


def test_a_youtube_video_link_shows_youtubes_player():
    video = VideoFactory(
        owner=UserFactory(),
        title="On YouTube",
        status=Video.Status.READY,
        source=Video.Source.YOUTUBE,
        youtube_id="dQw4w9WgXcQ",
        duration=30.0,
    )
    link = ShareLinkFactory(video=video)

    html = guest().get(f"/s/{link.token}/").content.decode()

    assert "youtube-nocookie.com/embed/dQw4w9WgXcQ" in html
    assert "<video" not in html


# --- a version stack --------------------------------------------------------------------------------


def test_a_stack_link_shows_the_newest_version_against_the_one_before():
    owner = UserFactory()
    stack = VideoStackFactory(owner=owner, title="Promo")
    comparison = ComparisonFactory(owner=owner, refined=True)
    Video.objects.filter(pk=comparison.video_a_id).update(stack=stack, version=1)
    Video.objects.filter(pk=comparison.video_b_id).update(stack=stack, version=2)
    token = ShareLinkFactory(stack=stack, name="Stack").token

    response = guest().get(f"/s/{token}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Refined A" in html and "Refined B" in html and 'data-difference="3"' in html
    assert guest().get(f"/s/{token}/comparison.json").json()["id"] == comparison.pk


def test_a_stack_link_with_one_version_shows_that_video():
    owner = UserFactory()
    stack = VideoStackFactory(owner=owner, title="Promo")
    video = ready_video(owner, "Promo v1")
    Video.objects.filter(pk=video.pk).update(stack=stack, version=1)
    token = ShareLinkFactory(stack=stack, name="Stack").token

    response = guest().get(f"/s/{token}/")

    assert response.status_code == 200 and "Promo v1" in response.content.decode()
    assert guest().get(f"/s/{token}/comparison.json").status_code == 404
