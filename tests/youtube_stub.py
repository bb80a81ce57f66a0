"""A stub of the three YouTube requests youtube-transcript-api makes: the watch page (for the
innertube API key), the innertube player API (the caption tracks) and a caption track (timedtext XML)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers import RecordedRequest, StubServer, stub_server

VIDEO_ID = "dQw4w9WgXcQ"
API_KEY = "AIzaStubKey_123-abc"

# Caption files by (language, generated?): what the stub's timedtext route serves.
CAPTION_XML = {
    ("en", False): """<?xml version="1.0" encoding="utf-8" ?><transcript>
<text start="0.5" dur="2.1">Never gonna give you up</text>
<text start="2.6" dur="1.9">never gonna &amp;lt;i&amp;gt;let&amp;lt;/i&amp;gt; you down</text>
<text start="4.5" dur="0">   </text>
</transcript>""",
    ("en", True): """<?xml version="1.0" encoding="utf-8" ?><transcript>
<text start="0.4" dur="3.0">never gonna give</text>
<text start="2.9" dur="2.0">you up</text>
</transcript>""",
    ("de", False): """<?xml version="1.0" encoding="utf-8" ?><transcript>
<text start="1.0" dur="2.0">Ich werde dich nie aufgeben</text>
</transcript>""",
}


def caption_track(language: str, generated: bool) -> dict[str, Any]:
    # As YouTube lists them: absolute URLs on www.youtube.com, which the session must send to the stub.
    kind = "&kind=asr" if generated else ""
    track: dict[str, Any] = {
        "baseUrl": f"https://www.youtube.com/api/timedtext?v={VIDEO_ID}&lang={language}{kind}&fmt=srv3",
        "name": {"runs": [{"text": {"en": "English", "de": "German"}[language]}]},
        "languageCode": language,
        "isTranslatable": True,
    }
    if generated:
        track["kind"] = "asr"
    return track


@contextmanager
def youtube_stub(
    settings,
    *,
    tracks: list[tuple[str, bool]] | None,
    timedtext_status: int = 200,
    first_timedtext_statuses: Sequence[int] = (),
) -> Iterator[StubServer]:
    """A stub YouTube. `tracks`: (language, generated) caption tracks; None: captions disabled.
    The caption file answers `first_timedtext_statuses` in turn, then `timedtext_status`."""
    statuses = deque(first_timedtext_statuses)

    def watch_page(request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        html = f'<html><script>ytcfg.set({{"INNERTUBE_API_KEY": "{API_KEY}", "x": 1}});</script></html>'
        return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()

    def player(request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        body: dict[str, Any] = {"playabilityStatus": {"status": "OK"}, "videoDetails": {"videoId": VIDEO_ID}}
        if tracks is not None:
            body["captions"] = {
                "playerCaptionsTracklistRenderer": {
                    "captionTracks": [caption_track(language, generated) for language, generated in tracks],
                    "translationLanguages": [],
                }
            }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def timedtext(request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        query = parse_qs(urlsplit(request.path).query)
        key = (query["lang"][0], query.get("kind") == ["asr"])
        status = statuses.popleft() if statuses else timedtext_status
        if status != 200:
            return status, {"Content-Type": "text/plain"}, b"unavailable"
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, CAPTION_XML[key].encode()

    routes = {
        ("GET", "/watch"): watch_page,
        ("POST", "/youtubei/v1/player"): player,
        ("GET", "/api/timedtext"): timedtext,
    }
    with stub_server(routes) as stub:
        settings.YOUTUBE_BASE_URL = stub.url
        yield stub


def timedtext_queries(stub: StubServer) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(request.path).query) for request in stub.requests if request.path.startswith("/api/timedtext")
    ]
