"""The transcript offered to the player: `/videos/<id>/captions.vtt` (WebVTT, owner only, through the
ownership selector), the <track> on the video page, and the summary's times as links."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory
from videos.captions import vtt_timestamp
from videos.models import Transcript, TranscriptSegment, Video
from videos.templatetags.summary import summary_with_times

pytestmark = pytest.mark.django_db


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def video_with_transcript(owner: User, lines: list[tuple[float, float, str]]) -> Video:
    video = Video.objects.create(owner=owner, title="Bread", status=Video.Status.READY, duration=4000.0)
    transcript = Transcript.objects.create(video=video, source=Transcript.Source.SIDECAR, language="en")
    TranscriptSegment.objects.bulk_create(
        TranscriptSegment(transcript=transcript, index=i, start=start, end=end, text=text)
        for i, (start, end, text) in enumerate(lines)
    )
    return video


def test_the_transcript_is_served_as_webvtt_cues_with_their_times() -> None:
    owner = UserFactory()
    video = video_with_transcript(
        owner,
        [
            (0.0, 2.5, "Welcome to the kitchen."),
            (2.5, 2.5, "A line with no duration is left out."),
            (3661.25, 3663.0, "Salt & <b>pepper</b> --> to taste."),
            (3663.0, 3665.0, "First line.\n\nAfter a blank line."),
        ],
    )

    response = signed_in(owner).get(f"/videos/{video.pk}/captions.vtt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode() == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:02.500\nWelcome to the kitchen.\n\n"
        "01:01:01.250 --> 01:01:03.000\nSalt &amp; &lt;b&gt;pepper&lt;/b&gt; --&gt; to taste.\n\n"
        "01:01:03.000 --> 01:01:05.000\nFirst line.\nAfter a blank line.\n"
    )


def test_someone_elses_captions_are_a_404_and_visitors_are_sent_to_log_in() -> None:
    owner, stranger = UserFactory(), UserFactory()
    video = video_with_transcript(owner, [(0.0, 2.0, "Private words.")])

    assert signed_in(stranger).get(f"/videos/{video.pk}/captions.vtt").status_code == 404
    assert signed_in(stranger).get("/videos/999999/captions.vtt").status_code == 404
    anonymous = Client().get(f"/videos/{video.pk}/captions.vtt")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_shared_samples_captions_are_readable_by_every_account() -> None:
    sample = video_with_transcript(UserFactory(is_sample_owner=True), [(0.0, 2.0, "Shared words.")])

    response = signed_in(UserFactory()).get(f"/videos/{sample.pk}/captions.vtt")

    assert response.status_code == 200 and "Shared words." in response.content.decode()


def test_a_video_without_a_transcript_has_an_empty_track() -> None:
    owner = UserFactory()
    video = Video.objects.create(owner=owner, title="Silent", status=Video.Status.READY, duration=10.0)

    assert signed_in(owner).get(f"/videos/{video.pk}/captions.vtt").content.decode() == "WEBVTT\n"


def test_vtt_timestamps_round_to_the_millisecond() -> None:
    assert vtt_timestamp(0) == "00:00:00.000"
    assert vtt_timestamp(59.9996) == "00:01:00.000"
    assert vtt_timestamp(36000.5) == "10:00:00.500"


def test_the_summarys_times_become_links_and_its_text_stays_escaped() -> None:
    html = str(summary_with_times("[00:05] Welcome <b>in</b>.\n[1:02:03] The end. [99:99] is not a time."))

    assert '<a class="summary-time" href="?t=5" data-summary-seek="5" aria-label="Play from 00:05">[00:05]</a>' in html
    assert 'href="?t=3723" data-summary-seek="3723"' in html
    assert "&lt;b&gt;in&lt;/b&gt;" in html and "<b>" not in html
    assert "[99:99] is not a time" in html
    assert html.startswith("<p>") and "<br>" in html


def test_the_video_page_offers_the_transcript_as_a_captions_track_and_links_summary_times(settings) -> None:
    owner = UserFactory()
    video = video_with_transcript(owner, [(0.0, 2.0, "Welcome.")])
    Video.objects.filter(pk=video.pk).update(storage_key=f"videos/{video.pk}/original.mp4", summary="[00:00] Welcome.")

    page = signed_in(owner).get(f"/videos/{video.pk}/").content.decode()

    assert f'<track kind="captions" src="/videos/{video.pk}/captions.vtt" srclang="en"' in page
    assert 'data-summary-seek="0"' in page
