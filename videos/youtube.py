"""YouTube as a video source: recognising ids in the many URL forms, and oEmbed metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import requests
from django.conf import settings

from sage.errors import FieldInvalid

_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
_PATH_FORMS = ("/shorts/", "/embed/", "/v/", "/live/")
_OEMBED_TIMEOUT_SECONDS = 5


class YouTubeError(FieldInvalid, ValueError):
    """The text is not a single YouTube video; the message says why (the API names the `url` field)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, field="url")


def parse_youtube_id(text: str) -> str:
    """The 11-character video id in a bare id or any common YouTube URL form."""
    value = text.strip()
    if _ID.match(value):
        return value
    try:
        url = urlparse(value if "://" in value else f"https://{value}")
        host = (url.hostname or "").lower()
    except ValueError:  # e.g. an unbalanced "[" taken for an IPv6 host
        raise YouTubeError("This is not a YouTube link or video id.") from None
    query = parse_qs(url.query)
    candidate: str | None = None
    if host in ("youtu.be", "www.youtu.be"):
        candidate = url.path.lstrip("/").split("/", 1)[0]
    elif host in _HOSTS:
        if url.path in ("/watch", "/watch/"):
            candidate = next(iter(query.get("v", [])), None)
        else:
            for prefix in _PATH_FORMS:
                if url.path.startswith(prefix):
                    candidate = url.path[len(prefix) :].split("/", 1)[0]
        if candidate is None and ("list" in query or url.path.startswith("/playlist")):
            raise YouTubeError("Playlists are not supported: add the videos one at a time.")
    else:
        raise YouTubeError("This is not a YouTube link or video id.")
    if not candidate or not _ID.match(candidate):
        raise YouTubeError("This YouTube link does not name a video.")
    return candidate


def watch_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


@dataclass(frozen=True)
class YouTubeMetadata:
    title: str
    thumbnail_url: str


def fetch_metadata(video_id: str) -> YouTubeMetadata | None:
    """Title and thumbnail from YouTube's oEmbed endpoint; None when it cannot be reached.

    A video that is private or does not exist raises YouTubeError (oEmbed answers 401/403/404).
    """
    try:
        response = requests.get(
            settings.YOUTUBE_OEMBED_URL,
            params={"url": watch_url(video_id), "format": "json"},
            timeout=_OEMBED_TIMEOUT_SECONDS,
        )
    except requests.RequestException:
        return None
    if response.status_code in (401, 403, 404):
        raise YouTubeError("This YouTube video is private, removed or does not exist.")
    if not response.ok:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return YouTubeMetadata(title=str(data.get("title") or "")[:200], thumbnail_url=str(data.get("thumbnail_url") or ""))
