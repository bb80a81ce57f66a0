"""Captions of a YouTube video, through `youtube-transcript-api`.

The library hard-codes https://www.youtube.com URLs (watch page, innertube player API, and the
caption track URLs YouTube hands back). Its requests go through a session whose adapter sends them
to settings.YOUTUBE_BASE_URL instead — a local stub in tests; in production that is
https://www.youtube.com itself and nothing is rewritten. The adapter also gives every request a
timeout, which the library does not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from xml.etree.ElementTree import ParseError

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response
from requests.utils import get_environ_proxies
from youtube_transcript_api import (
    AgeRestricted,
    CouldNotRetrieveTranscript,
    FetchedTranscript,
    InvalidVideoId,
    NoTranscriptFound,
    PoTokenRequired,
    RequestBlocked,
    Transcript,
    TranscriptList,
    TranscriptsDisabled,
    VideoUnavailable,
    VideoUnplayable,
    YouTubeTranscriptApi,
)

from sage.retrying import TRANSIENT_HTTP_STATUSES, RetryListener, call_with_retries
from videos.timed_text import TimedLine
from videos.transcripts.base import TranscriptError, TranscriptResult, clean_segments

logger = logging.getLogger(__name__)

YOUTUBE_ORIGIN = "https://www.youtube.com"
# (connect, read) seconds per request.
TIMEOUT_SECONDS = (5.0, 20.0)

# Answers that mean "this video has no captions we may read": asking again will not change them.
_NO_CAPTIONS = (
    TranscriptsDisabled,
    NoTranscriptFound,
    VideoUnavailable,
    InvalidVideoId,
    AgeRestricted,
    VideoUnplayable,
    PoTokenRequired,
)


class _RebasingAdapter(HTTPAdapter):
    """Sends requests for YOUTUBE_ORIGIN to `base_url` instead, with a default timeout."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        url = request.url or ""
        if self.base_url != YOUTUBE_ORIGIN and url.startswith(YOUTUBE_ORIGIN):
            request = request.copy()
            request.url = self.base_url + url[len(YOUTUBE_ORIGIN) :]
            # The session chose proxies for youtube.com; the new host may be one to reach directly.
            proxies = get_environ_proxies(request.url)
        return super().send(
            request,
            stream=stream,
            timeout=TIMEOUT_SECONDS if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def youtube_session() -> requests.Session:
    """A session whose requests to YouTube go to settings.YOUTUBE_BASE_URL, with timeouts."""
    session = requests.Session()
    session.mount(f"{YOUTUBE_ORIGIN}/", _RebasingAdapter(str(settings.YOUTUBE_BASE_URL)))
    return session


def fetch_youtube_transcript(youtube_id: str, *, on_retry: RetryListener | None = None) -> TranscriptResult | None:
    """The captions of YouTube video `youtube_id`: manually made English ones first, then YouTube's
    automatic English ones, then any language (made by hand before automatic).

    None when the video has no captions (disabled, none, private, removed, age-restricted): the
    pipeline then goes on without a transcript. When YouTube cannot be reached or refuses for now
    (429, 5xx) it is asked again a few times (sage.retrying; `on_retry` hears of each wait); then
    TranscriptError("youtube_unreachable", …) is raised, so the step can be tried again later."""
    with youtube_session() as session:
        api = YouTubeTranscriptApi(http_client=session)

        def attempt() -> FetchedTranscript | None:
            track = _preferred_track(api.list(youtube_id))
            return None if track is None else track.fetch()

        try:
            fetched = call_with_retries(attempt, service="YouTube", transient=_is_transient, on_retry=on_retry)
        except _NO_CAPTIONS as error:
            logger.info("no captions for YouTube video %s: %s", youtube_id, type(error).__name__)
            return None
        except (CouldNotRetrieveTranscript, requests.RequestException, ParseError) as error:
            # Network errors, HTTP errors, "too many requests"/bot checks, and pages or caption
            # files that did not parse (YouTube changes them; the library is updated to follow).
            logger.warning("YouTube captions for %s could not be fetched: %r", youtube_id, error)
            raise TranscriptError(
                "youtube_unreachable",
                "YouTube could not be reached to fetch this video's captions. Retry in a few minutes.",
            ) from error
    if fetched is None:
        return None
    segments = clean_segments(
        TimedLine(start=snippet.start, end=snippet.start + snippet.duration, text=snippet.text) for snippet in fetched
    )
    if not segments:
        return None
    # YouTube's automatic captions are speech recognition too: the page marks them like ours.
    return TranscriptResult(
        source="youtube", segments=segments, language=fetched.language_code, low_confidence=fetched.is_generated
    )


def _is_transient(error: BaseException) -> bool:
    """Worth asking again shortly: no connection, a timeout, or YouTube's "not now" (429, 5xx)."""
    if isinstance(error, requests.ConnectionError | requests.Timeout | RequestBlocked):
        return True  # RequestBlocked: YouTube answered 429 ("too many requests")
    # The library wraps YouTube's HTTP error (YouTubeRequestFailed) raised while handling it.
    for cause in (error, error.__cause__, error.__context__):
        if isinstance(cause, requests.HTTPError) and cause.response is not None:
            return cause.response.status_code in TRANSIENT_HTTP_STATUSES
    return False


def _is_english(track: Transcript) -> bool:
    code = track.language_code.lower()
    return code == "en" or code.startswith("en-")


_PREFERENCES: tuple[Callable[[Transcript], bool], ...] = (
    lambda track: _is_english(track) and not track.is_generated,
    lambda track: _is_english(track) and track.is_generated,
    lambda track: not track.is_generated,
    lambda track: True,
)


def _preferred_track(tracks: TranscriptList) -> Transcript | None:
    available = list(tracks)
    for preferred in _PREFERENCES:
        for track in available:
            if preferred(track):
                return track
    return None
