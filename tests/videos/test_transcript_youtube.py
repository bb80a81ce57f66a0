"""YouTube captions through youtube-transcript-api, against a local stub of the three requests it
makes: the watch page (for the innertube API key), the innertube player API (the caption tracks),
and the caption track itself (timedtext XML)."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest

from devtools.processes import free_port
from sage.retrying import RetryNotice
from tests.servers import RecordedRequest
from tests.youtube_stub import API_KEY, VIDEO_ID, timedtext_queries, youtube_stub
from videos.timed_text import TimedLine
from videos.transcripts import TranscriptError, fetch_youtube_transcript, youtube_captions


def test_manual_english_captions_are_preferred_and_read_into_segments(settings) -> None:
    with youtube_stub(settings, tracks=[("de", False), ("en", True), ("en", False)]) as stub:
        result = fetch_youtube_transcript(VIDEO_ID)

    assert result is not None
    assert (result.source, result.language, result.low_confidence) == ("youtube", "en", False)
    assert result.segments == [
        TimedLine(0.5, 2.6, "Never gonna give you up"),
        TimedLine(2.6, 4.5, "never gonna let you down"),
    ]
    assert result.text == "Never gonna give you up never gonna let you down"
    # The three requests the library makes, all sent to the stub rather than to youtube.com.
    assert [(request.method, urlsplit(request.path).path) for request in stub.requests] == [
        ("GET", "/watch"),
        ("POST", "/youtubei/v1/player"),
        ("GET", "/api/timedtext"),
    ]
    assert stub.requests[0].path == f"/watch?v={VIDEO_ID}"
    assert stub.requests[1].path == f"/youtubei/v1/player?key={API_KEY}"
    assert stub.requests[1].json()["videoId"] == VIDEO_ID
    assert timedtext_queries(stub) == [{"v": [VIDEO_ID], "lang": ["en"]}]


def test_youtubes_generated_english_captions_are_used_when_there_are_no_manual_ones(settings) -> None:
    with youtube_stub(settings, tracks=[("en", True)]) as stub:
        result = fetch_youtube_transcript(VIDEO_ID)

    assert result is not None
    assert (result.language, result.low_confidence) == ("en", True)  # YouTube's speech recognition
    assert result.segments == [TimedLine(0.4, 3.4, "never gonna give"), TimedLine(2.9, 4.9, "you up")]
    assert timedtext_queries(stub) == [{"v": [VIDEO_ID], "lang": ["en"], "kind": ["asr"]}]


def test_captions_in_another_language_are_used_when_there_are_no_english_ones(settings) -> None:
    with youtube_stub(settings, tracks=[("de", False)]):
        result = fetch_youtube_transcript(VIDEO_ID)

    assert result is not None
    assert (result.language, result.text) == ("de", "Ich werde dich nie aufgeben")


def test_a_video_with_captions_disabled_has_no_transcript(settings) -> None:
    with youtube_stub(settings, tracks=None) as stub:
        result = fetch_youtube_transcript(VIDEO_ID)

    assert result is None
    assert not timedtext_queries(stub)


def test_an_unavailable_video_has_no_transcript(settings) -> None:
    def unavailable(request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        body = {"playabilityStatus": {"status": "ERROR", "reason": "This video is unavailable"}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    with youtube_stub(settings, tracks=[("en", False)]) as stub:
        stub.routes = {**stub.routes, ("POST", "/youtubei/v1/player"): unavailable}
        result = fetch_youtube_transcript(VIDEO_ID)

    assert result is None


def test_youtube_out_of_reach_is_an_error_to_retry_later(settings) -> None:
    settings.YOUTUBE_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with pytest.raises(TranscriptError) as caught:
        fetch_youtube_transcript(VIDEO_ID)

    assert caught.value.code == "youtube_unreachable"
    assert "Retry in a few minutes" in caught.value.message


def test_youtube_failing_mid_way_is_an_error_to_retry_later(settings) -> None:
    with youtube_stub(settings, tracks=[("en", False)], timedtext_status=503), pytest.raises(TranscriptError) as caught:
        fetch_youtube_transcript(VIDEO_ID)

    assert caught.value.code == "youtube_unreachable"


def test_youtube_refusing_with_too_many_requests_is_an_error_to_retry_later(settings) -> None:
    with youtube_stub(settings, tracks=[("en", False)], timedtext_status=429), pytest.raises(TranscriptError) as caught:
        fetch_youtube_transcript(VIDEO_ID)

    assert caught.value.code == "youtube_unreachable"


def test_a_youtube_that_never_answers_times_out_as_an_error_to_retry_later(settings, monkeypatch) -> None:
    # The library sets no timeout of its own; the session's adapter does. A socket that listens but
    # never accepts: connecting works (the kernel's backlog), an answer never comes.
    monkeypatch.setattr(youtube_captions, "TIMEOUT_SECONDS", (0.5, 0.2))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.YOUTUBE_BASE_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(TranscriptError) as caught:
            fetch_youtube_transcript(VIDEO_ID)
        waited = time.monotonic() - started

    assert caught.value.code == "youtube_unreachable"
    assert waited < 2.0


def test_youtube_busy_for_a_while_is_asked_again_and_the_captions_come(settings) -> None:
    settings.OUTSIDE_RETRY_ATTEMPTS = 3
    notices: list[RetryNotice] = []
    with youtube_stub(settings, tracks=[("en", False)], first_timedtext_statuses=[429, 503]) as stub:
        result = fetch_youtube_transcript(VIDEO_ID, on_retry=notices.append)

    assert result is not None and result.segments
    assert len(timedtext_queries(stub)) == 3
    assert [notice.message for notice in notices] == [
        "YouTube is busy; retrying now (try 2 of 3).",
        "YouTube is busy; retrying now (try 3 of 3).",
    ]


def test_youtube_busy_every_time_is_asked_no_more_than_the_cap(settings) -> None:
    settings.OUTSIDE_RETRY_ATTEMPTS = 3
    with (
        youtube_stub(settings, tracks=[("en", False)], timedtext_status=503) as stub,
        pytest.raises(TranscriptError) as caught,
    ):
        fetch_youtube_transcript(VIDEO_ID)

    assert caught.value.code == "youtube_unreachable"
    assert len(timedtext_queries(stub)) == 3


def test_a_caption_file_youtube_refuses_outright_is_not_asked_again(settings) -> None:
    with youtube_stub(settings, tracks=[("en", False)], timedtext_status=403) as stub, pytest.raises(TranscriptError):
        fetch_youtube_transcript(VIDEO_ID)

    assert len(timedtext_queries(stub)) == 1
