"""YouTube as a video source: recognising ids in the many URL forms, and oEmbed metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import requests
from django.conf import settings

from sage.api.fields import SPACE_CHARACTERS, any_case
from sage.errors import FieldInvalid

_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


_VIDEO_ID = r"[A-Za-z0-9_-]{11}"
_TAIL = rf"[^\u0000{SPACE_CHARACTERS}]*"  # whatever follows the id in a link: a query, a fragment
_SCHEME = rf"(?:{any_case('http')}[sS]?://)?"
_YOUTUBE_HOST = rf"(?:(?:{any_case('www.')}|{any_case('m.')}|{any_case('music.')})?{any_case('youtube.com')}"
_YOUTUBE_HOST += rf"|(?:{any_case('www.')})?{any_case('youtube-nocookie.com')})"
_SHORT_HOST = rf"(?:{any_case('www.')})?{any_case('youtu.be')}"
# Every form of one video that is accepted, the id in the one group it matches (plain groups: a
# schema's pattern is ECMAScript, which writes named ones otherwise): a bare id; youtu.be/<id>;
# youtube.com/watch?…v=<id>…; youtube.com/{shorts,embed,v,live}/<id> (any scheme-less or http(s)
# link, any query or fragment after the id). Spaces around are allowed (they are stripped). The API
# publishes this as the `url` field's pattern, so the schema says exactly what is accepted.
YOUTUBE_REF_PATTERN = (
    rf"^[{SPACE_CHARACTERS}]*(?:({_VIDEO_ID})"
    rf"|{_SCHEME}{_SHORT_HOST}/({_VIDEO_ID})(?:[/?#]{_TAIL})?"
    rf"|{_SCHEME}{_YOUTUBE_HOST}/watch/?\?(?:[^#\u0000{SPACE_CHARACTERS}]*&)?v=({_VIDEO_ID})(?:[&#]{_TAIL})?"
    rf"|{_SCHEME}{_YOUTUBE_HOST}/(?:shorts|embed|v|live)/({_VIDEO_ID})(?:[/?#]{_TAIL})?"
    rf")[{SPACE_CHARACTERS}]*$"
)
_YOUTUBE_REF = re.compile(YOUTUBE_REF_PATTERN)
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
    """The 11-character video id in a bare id or any common YouTube URL form (YOUTUBE_REF_PATTERN);
    for anything else, YouTubeError saying why."""
    if match := _YOUTUBE_REF.fullmatch(text):
        return next(video_id for video_id in match.groups() if video_id)
    _refuse(text.strip())
    raise YouTubeError("This is not a YouTube link or video id.")  # a form the pattern does not name


def _refuse(value: str) -> None:
    """Raise YouTubeError with the reason `value` names no video: not YouTube, a playlist, or a
    YouTube link without a video id."""
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
