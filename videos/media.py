"""Serving a video's stored files to its owner: what players play (the playable rendition, or the
original when it plays as it is), the small copy, the original for download, its poster and sprite.

Locally the bytes are streamed with HTTP Range support: a browser seeking in an MP4 asks for byte
ranges and needs 206 Partial Content back. They go out no faster than the viewer reads them
(sage/daphne_backpressure.py), so a viewer costs the web process about two chunks of memory however
slow it is. The Range header is parsed by Werkzeug's
`parse_range_header` (maintained, RFC 9110); one range is served, and a request for several gets the
whole file (RFC 9110 lets a server ignore Range). With S3 the browser is redirected to a presigned
URL and S3 serves the ranges itself, so no video bytes pass through Django.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, http_date
from django.views.decorators.http import require_safe
from werkzeug.http import parse_if_range_header, parse_range_header

from accounts.models import User
from videos.compare.markers import media_file_name
from videos.models import Video
from videos.selectors import video_get_to_view
from videos.viewing import require_view
from workspaces.current import acting_membership, request_actor

# A body streams with about this much read ahead plus Twisted's 64 KiB transport buffer per client
# (sage/daphne_backpressure.py): 200 viewers hold about 30 MB. Big enough that a fast reader is not
# slowed by each chunk's hand-off to a thread (hundreds of MB/s).
CHUNK_BYTES = 64 * 1024

# The containers uploads accept (videos.models.ALLOWED_EXTENSIONS); Python's table lacks some.
VIDEO_CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
}


def played_file(video: Video) -> tuple[str, str]:
    """The key and content type players are given: the playable file as video/mp4 (a MOV that plays
    as it is too: Firefox refuses video/quicktime, and every playable file is of the MP4 family);
    before that is known, the original as it is (API clients had it so before renditions)."""
    if video.playback_key:
        return video.playback_key, "video/mp4"
    return video.storage_key, content_type_for(video.storage_key)


def download_disposition(video: Video) -> str:
    """`Content-Disposition` that saves the original under the name it was uploaded with."""
    return content_disposition_header(as_attachment=True, filename=media_file_name(video)) or "attachment"


def content_type_for(key: str) -> str:
    suffix = Path(key).suffix.lower()
    if suffix in VIDEO_CONTENT_TYPES:
        return VIDEO_CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


class FileRangeResponse(StreamingHttpResponse):
    """`length` bytes of a file from `start`, read chunk by chunk as they are sent.

    Under ASGI (daphne) Django would read a synchronous iterator whole into a list before sending it
    (see `StreamingHttpResponse.__aiter__`): a 500 MB video in memory. Here each chunk is read in a
    worker thread as the previous one goes out. The file is closed by the response's `close()`,
    which Django calls however the response ends; not a generator's: when a viewer leaves, Django
    closes the response while a read may still run in its thread, and a running generator cannot be
    closed (the file then stayed open until the garbage collector found it).
    """

    def __init__(self, path: Path, *, start: int, length: int, status: int, content_type: str) -> None:
        self._file = path.open("rb")
        self._file.seek(start)
        self._remaining = length
        super().__init__(self._chunks(), status=status, content_type=content_type)
        self["Content-Length"] = str(length)

    def close(self) -> None:
        self._file.close()
        super().close()

    def _read_chunk(self) -> bytes:
        # A buffered file's close waits for a read under way in another thread (they share its lock).
        if self._remaining <= 0 or self._file.closed:
            return b""
        chunk = self._file.read(min(CHUNK_BYTES, self._remaining))
        self._remaining -= len(chunk)
        return chunk  # empty if the file shrank under us: the client sees a short body

    def _chunks(self) -> Iterator[bytes]:
        while chunk := self._read_chunk():
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        read_chunk = sync_to_async(self._read_chunk, thread_sensitive=False)
        while chunk := await read_chunk():
            yield chunk


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _etag(stat: os.stat_result) -> str:
    # Strong enough for If-Range: stored files are written once under their key and never edited.
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def _if_range_allows_partial(request: HttpRequest, etag: str, last_modified: int) -> bool:
    """A Range request carrying If-Range gets a part only if the file is still the one it names."""
    header = request.headers.get("If-Range")
    if not header:
        return True
    if header.startswith("W/"):
        return False  # If-Range compares strongly: a weak validator never matches
    if_range = parse_if_range_header(header)
    if if_range.etag is not None:
        return f'"{if_range.etag}"' == etag
    if if_range.date is not None:
        return int(if_range.date.timestamp()) == last_modified
    return False


def _kept_and_revalidated(response: HttpResponseBase) -> None:
    """The browser keeps its copy (never a shared cache: the bytes are one account's or one link's)
    and asks whether it is current before each use: a 304 costs no bytes, and a viewer who has lost
    access (a removed member, a revoked link) gets the 404 at once instead of a copy kept fresh."""
    patch_cache_control(response, private=True, no_cache=True)


def _set_headers(response: HttpResponseBase, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        response[name] = value


def serve_stored_file(
    request: HttpRequest,
    key: str,
    *,
    content_type: str,
    url_seconds: int | None = None,
    disposition: str | None = None,
) -> HttpResponseBase:
    """The file at `key` in default storage, for a GET or HEAD that may ask for a byte range.
    `url_seconds`: with S3, how long the presigned URL redirected to lasts (the storage's default
    otherwise); a share link's media ask for a short one. `disposition`: a `Content-Disposition` to
    answer with (a download); on S3 the presigned URL asks S3 to send it."""
    if not key:
        raise Http404("No such file.")
    if settings.AWS_STORAGE_BUCKET_NAME:
        # S3Storage.url takes `expire` and `parameters`; the base Storage type that default_storage
        # is stubbed as does not.
        storage: Any = default_storage
        parameters = {"ResponseContentDisposition": disposition} if disposition else None
        url = storage.url(key, parameters=parameters, expire=url_seconds)
        redirect = HttpResponseRedirect(url)
        patch_cache_control(redirect, private=True)
        return redirect
    path = Path(default_storage.path(key))
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise Http404("No such file.") from None
    size, etag, last_modified = stat.st_size, _etag(stat), int(stat.st_mtime)
    validators = {"ETag": etag, "Last-Modified": http_date(last_modified)}

    # 304 for a cached copy that is still current (If-None-Match / If-Modified-Since), 412 for a
    # failed If-Match / If-Unmodified-Since; None when the request sets no such condition.
    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if conditional is not None:
        _set_headers(conditional, validators)
        _kept_and_revalidated(conditional)
        return conditional

    start, length, status = 0, size, 200
    requested = parse_range_header(request.headers.get("Range"))
    if (
        requested is not None
        and requested.units == "bytes"
        and len(requested.ranges) == 1
        and _if_range_allows_partial(request, etag, last_modified)
    ):
        span = requested.range_for_length(size)
        if span is None:
            unsatisfiable = HttpResponse(status=416)
            unsatisfiable["Content-Range"] = f"bytes */{size}"
            return unsatisfiable
        start, stop = span
        length, status = stop - start, 206

    response: HttpResponseBase
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
        response["Content-Length"] = str(length)
    else:
        response = FileRangeResponse(path, start=start, length=length, status=status, content_type=content_type)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    response["Accept-Ranges"] = "bytes"
    _set_headers(response, validators)
    _kept_and_revalidated(response)
    if disposition:
        response["Content-Disposition"] = disposition
    return response


def _video(request: HttpRequest, video_id: int) -> Video:
    """The video whose file is asked for, on every request (a URL copied earlier is asked again: a
    member removed since gets 404), once the policy lets this member view it (`video.view`). Files
    and pictures are read-only: the shared sample's serve every account."""
    video = video_get_to_view(acting_membership(request), video_id)
    require_view(request_actor(request), video)
    return video


@require_safe
@login_required
def video_file(request: HttpRequest, video_id: int) -> HttpResponseBase:
    key, content_type = played_file(_video(request, video_id))
    return serve_stored_file(request, key, content_type=content_type)


@require_safe
@login_required
def video_small(request: HttpRequest, video_id: int) -> HttpResponseBase:
    return serve_stored_file(request, _video(request, video_id).small_key, content_type="video/mp4")


@require_safe
@login_required
def video_original(request: HttpRequest, video_id: int) -> HttpResponseBase:
    video = _video(request, video_id)
    return serve_stored_file(
        request,
        video.storage_key,
        content_type=content_type_for(video.storage_key),
        disposition=download_disposition(video),
    )


@require_safe
@login_required
def video_poster(request: HttpRequest, video_id: int) -> HttpResponseBase:
    return serve_stored_file(request, _video(request, video_id).poster_key, content_type="image/jpeg")


@require_safe
@login_required
def video_sprite(request: HttpRequest, video_id: int) -> HttpResponseBase:
    return serve_stored_file(request, _video(request, video_id).sprite_key, content_type="image/jpeg")
