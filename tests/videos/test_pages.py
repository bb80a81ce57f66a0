"""The library, a video's page (player, transcript, cancel / retry / delete) and search across my
videos: who may see them, what they show, and what their buttons do."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.holds import hold_create
from billing.models import Hold, Wallet
from sage.formatting import clock
from tests.factories import TranscriptFactory, VideoFactory, chunk_rows
from tests.youtube_stub import VIDEO_ID, youtube_stub
from videos.models import Transcript, TranscriptSegment, Video
from videos.presenters import LIBRARY_PAGE_SIZE, highlight_words, start_time

pytestmark = pytest.mark.django_db

LIBRARY = "/videos/"
SEARCH = "/search/"
XSS_TITLE = '<script>alert("x")</script>'


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def video_page(video: Video) -> str:
    return f"/videos/{video.pk}/"


def card_titles(html: str) -> list[str]:
    return [unescape(title) for title in re.findall(r'class="video-card-title"><a href="[^"]+">([^<]*)</a>', html)]


def transcript_lines(html: str) -> list[tuple[str, str]]:
    return [
        (stamp, unescape(text))
        for stamp, text in re.findall(
            r'<span class="transcript-time">\[([\d:]+)\]</span> <span class="transcript-text">([^<]*)</span>', html
        )
    ]


# --- formatting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "00:00"), (9.99, "00:09"), (65, "01:05"), (3599, "59:59"), (3600, "1:00:00"), (-3, "00:00")],
)
def test_times_read_as_a_player_shows_them(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown


@pytest.mark.parametrize(
    ("raw", "duration", "start"),
    [("12.5", 60.0, 12.5), ("", 60.0, 0.0), ("abc", 60.0, 0.0), ("-4", 60.0, 0.0), ("nan", 60.0, 0.0),
     ("inf", 60.0, 0.0), ("999", 60.0, 60.0), ("30", None, 30.0)],
)  # fmt: skip
def test_the_start_time_is_a_number_of_seconds_inside_the_video(raw: str, duration, start: float) -> None:
    assert start_time(raw, duration) == start


def test_question_words_are_not_highlighted() -> None:
    assert str(highlight_words("Where do they cook? They cook here.", "where do they cook")) == (
        "Where do they <mark>cook</mark>? They <mark>cook</mark> here."
    )
    assert str(highlight_words("What <b>is</b> it?", "what is it")) == "What &lt;b&gt;is&lt;/b&gt; it?"


def test_query_words_are_highlighted_and_everything_else_is_escaped() -> None:
    highlighted = highlight_words("Cooking <b>pasta</b> & the cook's sauce", "cook SAUCE")

    assert str(highlighted) == (
        "<mark>Cooking</mark> &lt;b&gt;pasta&lt;/b&gt; &amp; the <mark>cook</mark>&#x27;s <mark>sauce</mark>"
    )


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LIBRARY, "/videos/{id}/", SEARCH])
def test_the_pages_require_login(client, user, path: str) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True)

    response = client.get(path.format(id=video.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("action", ["cancel", "retry", "delete"])
def test_another_users_video_is_a_404_for_the_page_and_every_action(signed_in, other_user, action: str) -> None:
    theirs = VideoFactory(owner=other_user, title="Holiday", ready=True, status=Video.Status.PROCESSING)

    assert signed_in.get(video_page(theirs)).status_code == 404
    assert signed_in.post(f"{video_page(theirs)}{action}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Video.Status.PROCESSING


def test_actions_only_answer_post(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True)

    for action in ("cancel", "retry", "delete"):
        assert signed_in.get(f"{video_page(video)}{action}/").status_code == 405
    assert Video.objects.filter(pk=video.pk).exists()


def test_the_nav_links_to_the_library_and_search(signed_in) -> None:
    html = signed_in.get(LIBRARY).content.decode()

    assert '<a href="/videos/" aria-current="page">Videos</a>' in html
    assert '<a href="/search/">Search</a>' in html


# --- library ---------------------------------------------------------------------------------------


def test_the_library_shows_my_videos_newest_first_and_nobody_elses(signed_in, user, other_user) -> None:
    VideoFactory(owner=user, title="First", ready=True)
    VideoFactory(owner=user, title="Second", ready=True)
    VideoFactory(owner=other_user, title="Not mine", ready=True)

    html = signed_in.get(LIBRARY).content.decode()

    assert card_titles(html) == ["Second", "First"]
    assert "Not mine" not in html
    assert "2 videos." in html


def test_a_card_shows_poster_duration_status_and_links_to_the_video(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True, poster_key="videos/1/poster.jpg", duration=245.4)
    youtube = VideoFactory(
        owner=user,
        title="Talk",
        ready=True,
        source=Video.Source.YOUTUBE,
        youtube_id="dQw4w9WgXcQ",
        poster_url="https://i.ytimg.com/x.jpg",
    )

    html = signed_in.get(LIBRARY).content.decode()

    assert f'<img src="/videos/{video.pk}/poster.jpg" alt=""' in html
    assert '<span class="video-card-duration">04:05</span>' in html
    assert 'class="badge video-status-badge badge-success" data-field="status">Ready</span>' in html
    assert f'href="/videos/{video.pk}/"' in html
    assert '<img src="https://i.ytimg.com/x.jpg" alt=""' in html
    assert f'data-video-id="{youtube.pk}"' in html


def test_a_processing_card_shows_its_stage_and_progress_bar(signed_in, user) -> None:
    VideoFactory(owner=user, title="Busy", ready=True, status=Video.Status.PROCESSING, stage="transcript", percent=40)
    VideoFactory(owner=user, title="Done", ready=True)

    html = signed_in.get(LIBRARY).content.decode()

    done, busy = re.findall(r'<li class="video-card".*?</li>', html, re.S)
    assert '<progress max="100" value="40" aria-label="Processing progress for Busy"' in busy
    assert "Transcribing" in busy
    assert "40%" in busy
    assert 'data-field="progress-block" hidden' in done
    assert 'data-field="progress-block" hidden' not in busy


def test_before_the_first_step_a_card_says_whether_a_worker_has_the_video(signed_in, user) -> None:
    VideoFactory(owner=user, title="Claimed", ready=True, status=Video.Status.PROCESSING, stage="")
    VideoFactory(owner=user, title="Waiting", ready=True, status=Video.Status.QUEUED, stage="")

    html = signed_in.get(LIBRARY).content.decode()

    waiting, claimed = re.findall(r'<li class="video-card".*?</li>', html, re.S)
    assert '<span data-field="stage">Waiting for a worker</span>' in waiting
    assert '<span data-field="stage">Starting</span>' in claimed


def test_the_library_filters_by_status_and_title(signed_in, user) -> None:
    VideoFactory(owner=user, title="Beach day", ready=True)
    VideoFactory(owner=user, title="Beach night", ready=True, status=Video.Status.FAILED)
    VideoFactory(owner=user, title="Mountain", ready=True, status=Video.Status.FAILED)

    assert card_titles(signed_in.get(LIBRARY, {"status": "failed"}).content.decode()) == ["Mountain", "Beach night"]
    assert card_titles(signed_in.get(LIBRARY, {"q": "beach"}).content.decode()) == ["Beach night", "Beach day"]
    both = signed_in.get(LIBRARY, {"q": "beach", "status": "failed"}).content.decode()
    assert card_titles(both) == ["Beach night"]
    assert "1 video matches these filters" in both
    # A status that does not exist drops that filter instead of failing.
    assert len(card_titles(signed_in.get(LIBRARY, {"status": "bogus", "q": "Mountain"}).content.decode())) == 1


def test_an_empty_filter_result_says_so(signed_in, user) -> None:
    VideoFactory(owner=user, title="Beach", ready=True)

    html = signed_in.get(LIBRARY, {"q": "volcano"}).content.decode()

    assert "No videos match these filters." in html


def test_the_library_is_paginated_keeping_the_filters_and_its_queries_do_not_grow(signed_in, user) -> None:
    VideoFactory(owner=user, title="Lake 0", ready=True)
    with CaptureQueriesContext(connection) as few:
        signed_in.get(LIBRARY)
    for number in range(1, LIBRARY_PAGE_SIZE + 3):
        VideoFactory(owner=user, title=f"Lake {number}", ready=True, poster_key="p.jpg")

    with CaptureQueriesContext(connection) as many:
        first = signed_in.get(LIBRARY, {"q": "lake"}).content.decode()
    second = signed_in.get(LIBRARY, {"q": "lake", "page": 2}).content.decode()

    assert len(card_titles(first)) == LIBRARY_PAGE_SIZE
    assert card_titles(second) == ["Lake 2", "Lake 1", "Lake 0"]
    assert "Page 1 of 2" in first
    assert 'href="?q=lake&amp;page=2" rel="next"' in first
    assert len(many) == len(few)


def test_titles_are_escaped_in_the_library(signed_in, user) -> None:
    VideoFactory(owner=user, title=XSS_TITLE, ready=True)

    html = signed_in.get(LIBRARY).content.decode()

    assert XSS_TITLE not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


# --- video page ------------------------------------------------------------------------------------


def test_a_ready_video_has_its_player_and_the_transcript_with_times(signed_in, user) -> None:
    video = VideoFactory(
        owner=user, title="Holiday", ready=True, poster_key="videos/1/poster.jpg", storage_key="videos/1/original.webm"
    )
    TranscriptFactory(
        video=video,
        lines=[(0.0, 3.5, "Welcome to the tour."), (12.25, 15.0, "Here is the kitchen."), (75.0, 80.0, "Bye")],
    )

    response = signed_in.get(video_page(video))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="/videos/{video.pk}/file"' in html
    assert f'poster="/videos/{video.pk}/poster.jpg"' in html
    assert transcript_lines(html) == [
        ("00:00", "Welcome to the tour."),
        ("00:12", "Here is the kitchen."),
        ("01:15", "Bye"),
    ]
    assert '<li class="transcript-line" data-start="12.25" data-end="15">' in html
    assert '<a href="?t=12.25">' in html  # works without JavaScript: reloads playing from there
    assert "Subtitle file" in html
    assert "Low confidence" not in html
    assert "Cancel processing" not in html
    assert "<progress" not in html
    assert "Delete permanently" in html


def test_t_starts_the_player_at_that_second(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True, duration=100.0)

    html = signed_in.get(video_page(video), {"t": "42.5"}).content.decode()

    assert f'src="/videos/{video.pk}/file#t=42.5"' in html
    assert 'data-start="42.5"' in html


def test_a_rough_transcript_is_labelled_low_confidence_and_the_summary_is_shown(signed_in, user) -> None:
    video = VideoFactory(
        owner=user, title="Holiday", ready=True, summary="A tour of the house.\n\nIt ends in the garden."
    )
    TranscriptFactory(
        video=video, lines=[(1.0, 2.0, "hello")], source=Transcript.Source.POCKETSPHINX, low_confidence=True
    )

    html = signed_in.get(video_page(video)).content.decode()

    assert '<span class="badge badge-warning">Low confidence</span>' in html
    assert "Offline speech recognition" in html
    assert "<p>A tour of the house.</p>" in html
    assert "<p>It ends in the garden.</p>" in html


def test_a_video_without_speech_says_so(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True)
    TranscriptFactory(video=video, source=Transcript.Source.NONE, language="")

    html = signed_in.get(video_page(video)).content.decode()

    assert "No speech was found in this video." in html


def test_a_processing_video_shows_live_progress_and_cancel_but_no_player_yet(signed_in, user) -> None:
    video = VideoFactory(
        owner=user, title="Holiday", ready=True, status=Video.Status.PROCESSING, stage="clips", percent=65
    )

    html = signed_in.get(video_page(video)).content.decode()

    assert "<video" not in html
    assert "The player appears when processing has finished." in html
    assert f'<progress max="100" value="65" aria-label="Processing progress for {video.title}"' in html
    assert "Analysing the picture and sound" in html
    assert f'action="/videos/{video.pk}/cancel/"' in html
    assert 'id="video-live-labels"' in html  # what video.js needs to show live events in the same words
    assert "Retry processing" not in html


def test_a_failed_video_shows_why_and_can_be_retried(signed_in, user) -> None:
    video = VideoFactory(
        owner=user,
        title="Holiday",
        ready=True,
        status=Video.Status.FAILED,
        error_message="The file's frames cannot be decoded.",
    )

    html = signed_in.get(video_page(video)).content.decode()

    assert "Processing failed." in html
    assert "The file&#x27;s frames cannot be decoded." in html
    assert f'action="/videos/{video.pk}/retry/"' in html
    assert "Cancel processing" not in html


def test_a_youtube_video_embeds_youtube_and_says_comparison_is_for_uploads(signed_in, user, settings) -> None:
    settings.YOUTUBE_BASE_URL = "https://www.youtube.com"
    video = VideoFactory(
        owner=user, title="Holiday", ready=True, source=Video.Source.YOUTUBE, youtube_id="dQw4w9WgXcQ", storage_key=""
    )
    TranscriptFactory(video=video, lines=[(3.0, 5.0, "Never gonna give you up")], source=Transcript.Source.YOUTUBE)

    html = signed_in.get(video_page(video), {"t": "64.8"}).content.decode()

    embed = re.search(r'<iframe class="player player-youtube" id="youtube-player" src="([^"]+)"', html)
    assert embed is not None
    assert unescape(embed.group(1)).startswith("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?enablejsapi=1&")
    assert unescape(embed.group(1)).endswith("&start=64")
    assert 'referrerpolicy="strict-origin-when-cross-origin"' in html  # YouTube refuses embeds without a referrer
    assert 'data-api-src="https://www.youtube.com/iframe_api"' in html
    assert "Comparison is for uploaded videos only" in html
    assert transcript_lines(html) == [("00:03", "Never gonna give you up")]
    assert "<video" not in html


def test_a_failed_youtube_video_offers_retry_and_retrying_fetches_its_captions_again(
    signed_in, user, settings, django_capture_on_commit_callbacks
) -> None:
    video = VideoFactory(
        owner=user,
        title="Holiday",
        ready=True,
        source=Video.Source.YOUTUBE,
        youtube_id=VIDEO_ID,
        storage_key="",
        status=Video.Status.FAILED,
        error_message="YouTube could not be reached. Retry in a few minutes.",
    )

    html = signed_in.get(video_page(video)).content.decode()
    assert f'action="/videos/{video.pk}/retry/"' in html

    with youtube_stub(settings, tracks=[("en", False)]), django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"{video_page(video)}retry/", follow=True)  # eager Celery runs it inline

    assert "Processing queued again." in response.content.decode()
    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    assert Transcript.objects.get(video=video).text.startswith("Never gonna give you up")


def test_a_failed_upload_whose_file_is_gone_offers_no_retry_and_says_why_when_asked(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True, status=Video.Status.FAILED, storage_key="")

    html = signed_in.get(video_page(video)).content.decode()
    response = signed_in.post(f"{video_page(video)}retry/", follow=True)

    assert "Retry processing" not in html
    video.refresh_from_db()
    assert video.status == Video.Status.FAILED
    assert "Only a video whose processing failed or was cancelled can be retried (an upload also needs its file)." in (
        unescape(response.content.decode())
    )


def test_the_api_says_a_failed_upload_whose_file_is_gone_must_be_uploaded_again(api_client, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True, status=Video.Status.FAILED, storage_key="")
    api_client.force_authenticate(user)

    response = api_client.post(f"/api/v1/videos/{video.pk}/retry")

    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "This upload's file is gone, so it cannot be processed again: upload it again."
    )
    video.refresh_from_db()
    assert video.status == Video.Status.FAILED


def test_transcripts_and_titles_are_escaped_on_the_video_page(signed_in, user) -> None:
    video = VideoFactory(owner=user, title=XSS_TITLE, ready=True, summary='<img src=x onerror="alert(1)">')
    TranscriptFactory(video=video, lines=[(0.0, 1.0, "<b onmouseover=alert(1)>hi</b>")])

    html = signed_in.get(video_page(video)).content.decode()

    assert XSS_TITLE not in html
    assert "<b onmouseover" not in html
    assert "<img src=x" not in html
    assert transcript_lines(html) == [("00:00", "<b onmouseover=alert(1)>hi</b>")]  # shown as text


def test_a_title_in_the_browsers_tab_is_isolated_from_the_sites_name(signed_in, user) -> None:
    # A title from YouTube may hold U+202E; the tab must still read "<title> · SAGE".
    video = VideoFactory(owner=user, title="Interview\u202e cut", ready=True)

    html = signed_in.get(video_page(video)).content.decode()

    shown = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert shown is not None
    assert unescape(shown.group(1)) == "\u2068Interview\u202e cut\u2069 · SAGE"
    assert "ISOLATE" not in html  # the template's comment stays out of the page


def test_cancel_through_the_page_stops_processing_and_refunds(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True, status=Video.Status.PROCESSING)
    before = Wallet.objects.get(user=user).balance
    hold = hold_create(user=user, amount=245, key=f"video:{video.pk}:test", ref=video, memo="Processing")
    Video.objects.filter(pk=video.pk).update(hold=hold)

    response = signed_in.post(f"{video_page(video)}cancel/")

    assert response.status_code == 302
    assert response["Location"] == video_page(video)
    video.refresh_from_db()
    assert video.status == Video.Status.CANCELLED
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.RELEASED
    assert Wallet.objects.get(user=user).balance == before
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Processing cancelled. The tokens held for it were refunded."
    ]


def test_cancelling_a_ready_video_changes_nothing_and_says_so(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True)

    response = signed_in.post(f"{video_page(video)}cancel/", follow=True)

    video.refresh_from_db()
    assert video.status == Video.Status.READY
    assert "nothing to cancel" in response.content.decode()


def test_retry_through_the_page_queues_the_video_again(signed_in, user) -> None:
    video = VideoFactory(
        owner=user,
        title="Holiday",
        ready=True,
        status=Video.Status.FAILED,
        error_code="undecodable",
        error_message="Bad frames.",
    )

    response = signed_in.post(f"{video_page(video)}retry/", follow=True)

    video.refresh_from_db()
    assert video.status == Video.Status.QUEUED
    assert video.error_message == ""
    assert "Processing queued again." in response.content.decode()


def test_delete_through_the_page_removes_the_video_and_its_file_and_returns_to_the_library(
    signed_in, user, settings, django_capture_on_commit_callbacks
) -> None:
    video = VideoFactory(owner=user, title="Old trip", ready=True, storage_key=f"videos/{user.pk}/original.mp4")
    stored = settings.MEDIA_ROOT / video.storage_key
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"video bytes")
    TranscriptFactory(video=video, lines=[(0.0, 1.0, "hello")])

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"{video_page(video)}delete/", follow=True)

    assert response.redirect_chain == [(LIBRARY, 302)]
    assert not Video.objects.filter(pk=video.pk).exists()
    assert not Transcript.objects.filter(video_id=video.pk).exists()
    assert not stored.exists()
    assert "“Old trip” was deleted." in response.content.decode()
    assert card_titles(response.content.decode()) == []


# --- search ----------------------------------------------------------------------------------------


def moments(html: str) -> list[tuple[str, str, str]]:
    return [
        (href, unescape(title), stamp)
        for href, title, stamp in re.findall(
            r'<a class="moment" href="([^"]+)">\s*<span class="moment-header">\s*'
            r'<span class="moment-video">([^<]*)</span>\s*<span class="citation">\[([\d:]+)\]</span>',
            html,
        )
    ]


def moment_texts(html: str) -> list[str]:
    return [
        unescape(re.sub(r"</?mark>", "", text)) for text in re.findall(r'<span class="moment-text">(.*?)</span>', html)
    ]


KITCHEN = [
    (0.0, 6.0, "Welcome back to the kitchen."),
    (6.0, 14.0, "Today we bake bread from scratch with flour and yeast."),
    (14.5, 24.0, "Now the sauce: simmer the tomatoes with garlic and olive oil for twenty minutes."),
    (24.0, 38.0, "Meanwhile, grate the parmesan and set the table for four."),
]


def test_search_shows_the_sentence_that_answers_at_the_moment_it_is_said(signed_in, user, other_user) -> None:
    cooking = VideoFactory(owner=user, title="Cooking show", ready=True)
    TranscriptFactory(video=cooking, lines=KITCHEN)
    chunk_rows(cooking, [(0.0, 38.0, " ".join(text for *_, text in KITCHEN))])
    garden = VideoFactory(owner=user, title="Garden tour", ready=True)
    chunk_rows(garden, [(80.0, 120.0, "These roses need pruning in early spring, just above an outward bud.")])
    # Another user's moment about the very same thing is never shown.
    chunk_rows(
        VideoFactory(owner=other_user, title="Their pasta", ready=True),
        [(0.0, 30.0, "Simmer tomatoes with garlic for the sauce.")],
    )

    response = signed_in.get(SEARCH, {"q": "how long should the tomato sauce simmer?"})

    assert response.status_code == 200
    html = response.content.decode()
    # The sentence that answers, when it starts: not the whole passage from its start.
    assert moments(html) == [(f"/videos/{cooking.pk}/?t=14", "Cooking show", "00:14")]
    assert moment_texts(html) == [KITCHEN[2][2]]
    assert "<mark>sauce</mark>" in html and "<mark>simmer</mark>" in html
    # Roses say nothing about sauce: unrelated passages are not results, however near the nearest.
    assert "Garden tour" not in html and "Their pasta" not in html
    assert "1 moment for “how long should the tomato sauce simmer?”" in html


def test_an_unrelated_question_finds_nothing_and_says_so(signed_in, user) -> None:
    cooking = VideoFactory(owner=user, title="Cooking show", ready=True)
    TranscriptFactory(video=cooking, lines=KITCHEN)
    chunk_rows(cooking, [(0.0, 38.0, " ".join(text for *_, text in KITCHEN))])

    html = signed_in.get(SEARCH, {"q": "Who won the football world cup in 1998?"}).content.decode()

    assert moments(html) == []
    assert "No moments found for “Who won the football world cup in 1998?”" in html
    assert "Nothing said or shown in your videos answers this" in html


def test_a_sentence_the_recogniser_was_unsure_of_says_so(signed_in, user) -> None:
    if "low_confidence" not in {field.name for field in TranscriptSegment._meta.fields}:
        pytest.skip("transcript lines carry no confidence yet")
    cooking = VideoFactory(owner=user, title="Cooking show", ready=True)
    TranscriptFactory(video=cooking, lines=KITCHEN)
    TranscriptSegment.objects.filter(transcript__video=cooking, index=2).update(low_confidence=True)
    chunk_rows(cooking, [(0.0, 38.0, " ".join(text for *_, text in KITCHEN))])

    html = signed_in.get(SEARCH, {"q": "how long should the tomato sauce simmer?"}).content.decode()

    assert moments(html)[0][2] == "00:14"
    assert "uncertain transcription" in html


def test_search_for_a_garden_question_puts_the_garden_first(signed_in, user) -> None:
    cooking = VideoFactory(owner=user, title="Cooking show", ready=True)
    garden = VideoFactory(owner=user, title="Garden tour", ready=True)
    chunk_rows(cooking, [(0.0, 40.0, "Today we bake bread from scratch with flour and yeast.")])
    chunk_rows(garden, [(95.0, 130.0, "These roses need pruning in early spring, just above an outward bud.")])

    found = moments(signed_in.get(SEARCH, {"q": "when do I cut back rose bushes"}).content.decode())

    assert found[0] == (f"/videos/{garden.pk}/?t=95", "Garden tour", "01:35")


def test_search_without_a_query_shows_the_form_only(signed_in, user) -> None:
    html = signed_in.get(SEARCH).content.decode()

    assert '<form class="search-form"' in html
    assert 'aria-current="page">Search</a>' in html
    assert "moment" not in html.split('<form class="search-form"')[1].split("</form>")[1]


def test_search_with_nothing_to_search_says_so(signed_in, user) -> None:
    VideoFactory(owner=user, title="Holiday", ready=True)

    html = signed_in.get(SEARCH, {"q": "anything"}).content.decode()

    assert "No moments found for “anything”" in html


def test_the_search_query_is_escaped(signed_in, user) -> None:
    chunk_rows(
        VideoFactory(owner=user, title="Holiday", ready=True), [(0.0, 10.0, "Scripts and alerts in the browser.")]
    )

    html = signed_in.get(SEARCH, {"q": XSS_TITLE}).content.decode()

    assert XSS_TITLE not in html
    assert "&lt;script&gt;" in html


def test_search_pages_see_only_a_bounded_number_of_moments(signed_in, user) -> None:
    video = VideoFactory(owner=user, title="Holiday", ready=True)
    chunk_rows(
        video, [(float(i * 30), float(i * 30 + 40), f"Part {i} of the story about a lighthouse.") for i in range(25)]
    )

    found = moments(signed_in.get(SEARCH, {"q": "lighthouse story"}).content.decode())

    assert len(found) == 10
