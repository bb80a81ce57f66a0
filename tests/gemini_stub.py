"""A local stand-in for the Gemini REST API, good enough for the real `google-genai` client.

It answers `POST /{v1,v1beta}/models/{model}:generateContent` (one JSON answer) and
`POST /{v1,v1beta}/models/{model}:streamGenerateContent?alt=sse` (Server-Sent Events, one event per piece),
records every request with its parsed JSON body, and answers as the test scripts it:

    def test_something(gemini_stub):
        gemini_stub.reply("A fixed answer.")                          # every request from now on
        gemini_stub.reply(lambda request: f"echo: {request.prompt}")  # built from the request
        gemini_stub.reply(GeminiReply(chunks=["Hel", "lo"]))          # these stream pieces
        gemini_stub.reply(GeminiReply(status=429))                    # an error status
        gemini_stub.reply(GeminiReply(text="late", delay=5))          # a slow answer
        gemini_stub.queue(GeminiReply(status=503), "then fine")       # the next requests, in turn

A test module gets the `gemini_stub` fixture with `from tests.gemini_stub import gemini_stub_fixture`
(a differently named import, so linters do not call the test's argument a redefinition); outside
pytest fixtures, `running_gemini_stub()` is the plain context manager.

It listens on a real port (`gemini_stub.url`, `gemini_stub.env()`), so a daphne or Celery subprocess
can use it too. In this process the fixture also shortens the client's retry back-off to milliseconds.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

API_KEY = "test-gemini-key"
# google-genai 3.x calls the stable `v1` API by default (older releases, and the docs, use `v1beta`).
_ROUTE = re.compile(
    r"^/(?P<version>v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"
)
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


@dataclass(frozen=True)
class GeminiRequest:
    """One request as the stub saw it."""

    path: str
    model: str
    stream: bool
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def api_key(self) -> str | None:
        return self.headers.get("x-goog-api-key")

    @property
    def prompt(self) -> str:
        """The text parts of every turn, in order, one per line."""
        return "\n".join(
            part["text"]
            for content in self.body.get("contents", [])
            for part in content.get("parts", [])
            if "text" in part
        )

    @property
    def system(self) -> str | None:
        instruction = self.body.get("systemInstruction")
        if not instruction:
            return None
        return "\n".join(part.get("text", "") for part in instruction.get("parts", []))

    @property
    def generation_config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.body.get("generationConfig", {})
        return config

    @property
    def inline_data(self) -> list[tuple[str, bytes]]:
        """(MIME type, bytes) of each file sent inline."""
        return [part for part in self.parts if isinstance(part, tuple)]

    @property
    def parts(self) -> list[str | tuple[str, bytes]]:
        """Every part of every turn, in the order sent: a text part as its text, a file sent inline as
        (MIME type, bytes), so a test sees which words introduced which picture."""
        found: list[str | tuple[str, bytes]] = []
        for content in self.body.get("contents", []):
            for part in content.get("parts", []):
                if "text" in part:
                    found.append(part["text"])
                elif "inlineData" in part or "inline_data" in part:
                    found.append(_blob(part.get("inlineData") or part["inline_data"]))
        return found


def _blob(blob: dict[str, Any]) -> tuple[str, bytes]:
    # Protobuf JSON takes both spellings, and google-genai sends `mime_type` inside `inlineData`;
    # its bytes are URL-safe base64 (pydantic's), which the API accepts as well as the standard kind.
    return blob.get("mimeType") or blob["mime_type"], base64.urlsafe_b64decode(_standard_to_urlsafe(blob["data"]))


def _standard_to_urlsafe(data: str) -> str:
    return data.replace("+", "-").replace("/", "_")


@dataclass(frozen=True)
class GeminiReply:
    """How to answer one request. `text` is split into a few stream pieces for a streaming request
    unless `chunks` gives them; a non-streaming request gets the pieces joined. `status` ≥ 400 answers
    with Gemini's error body. `delay` seconds pass before the answer (and between stream pieces when
    `chunk_delay` is set). `block_reason` answers as a prompt blocked by safety filters."""

    text: str = ""
    chunks: Sequence[str] | None = None
    status: int = 200
    error_message: str = "scripted failure"
    delay: float = 0.0
    chunk_delay: float = 0.0
    finish_reason: str = "STOP"
    block_reason: str | None = None

    def pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        words = self.text.split(" ")
        if len(words) < 3:
            return [self.text]
        third = max(1, len(words) // 3)
        cuts = [0, third, 2 * third, len(words)]
        # Each piece but the first starts with the space that separated it from the one before.
        pieces = [" ".join(words[first:last]) for first, last in itertools.pairwise(cuts)]
        return [pieces[0], *(" " + piece for piece in pieces[1:])]


Reply = str | GeminiReply | Callable[[GeminiRequest], "str | GeminiReply"]


@dataclass
class GeminiStub:
    url: str = ""
    requests: list[GeminiRequest] = field(default_factory=list)
    default: Reply = "Stub answer."
    scripted: deque[Reply] = field(default_factory=deque)
    # Exceptions raised by test-supplied reply functions; re-raised when the stub stops.
    handler_errors: list[BaseException] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, reply: Reply) -> None:
        """Answer every following request with `reply` (after any queued ones)."""
        self.default = reply

    def queue(self, *replies: Reply) -> None:
        """Answer the next requests with these, one each, in order; then the default again."""
        with self._lock:
            self.scripted.extend(replies)

    def env(self) -> dict[str, str]:
        """Environment for a subprocess (daphne, a Celery worker) that should use this stub."""
        return {"GEMINI_API_KEY": API_KEY, "GEMINI_BASE_URL": self.url}

    @property
    def last(self) -> GeminiRequest:
        assert self.requests, "Gemini stub received no request"
        return self.requests[-1]

    def _next_reply(self, request: GeminiRequest) -> GeminiReply:
        with self._lock:
            self.requests.append(request)
            reply = self.scripted.popleft() if self.scripted else self.default
        if callable(reply):
            reply = reply(request)
        return GeminiReply(text=reply) if isinstance(reply, str) else reply


def _candidate(text: str, finish_reason: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    return candidate


def _answer(reply: GeminiReply, text: str, *, model: str, finish_reason: str | None) -> dict[str, Any]:
    usage = {"promptTokenCount": 10, "candidatesTokenCount": max(1, len(text) // 4)}
    usage["totalTokenCount"] = usage["promptTokenCount"] + usage["candidatesTokenCount"]
    if reply.block_reason:
        return {"promptFeedback": {"blockReason": reply.block_reason}, "usageMetadata": usage, "modelVersion": model}
    return {"candidates": [_candidate(text, finish_reason)], "usageMetadata": usage, "modelVersion": model}


def _error_body(reply: GeminiReply) -> dict[str, Any]:
    status = _STATUS_NAMES.get(reply.status, "UNKNOWN")
    return {"error": {"code": reply.status, "message": reply.error_message, "status": status}}


@contextmanager
def running_gemini_stub() -> Iterator[GeminiStub]:
    """Start the stub on 127.0.0.1 (one thread per request); stop it on exit."""
    stub = GeminiStub()
    closing = threading.Event()  # wakes replies that are sleeping out a `delay`

    class _Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: the end of a streamed answer is the end of the connection, no chunked encoding.
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:
            address = urlsplit(self.path)
            route = _ROUTE.match(address.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if route is None:
                self._send(404, "application/json", json.dumps({"error": {"code": 404, "status": "NOT_FOUND"}}))
                return
            stream = route["method"] == "streamGenerateContent"
            request = GeminiRequest(
                path=self.path,
                model=route["model"],
                stream=stream,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=json.loads(body or b"{}"),
            )
            try:
                reply = stub._next_reply(request)
            except Exception as error:  # a broken reply function: fail the test, not silently
                stub.handler_errors.append(error)
                self._send(500, "application/json", json.dumps({"error": {"code": 500, "message": repr(error)}}))
                return
            if reply.delay and closing.wait(reply.delay):
                return
            try:
                if reply.status >= 400:
                    self._send(reply.status, "application/json", json.dumps(_error_body(reply)))
                elif stream:
                    if "sse" not in parse_qs(address.query).get("alt", []):
                        raise AssertionError("google-genai streams with ?alt=sse")
                    self._stream(reply, model=request.model)
                else:
                    answer = _answer(
                        reply, "".join(reply.pieces()), model=request.model, finish_reason=reply.finish_reason
                    )
                    self._send(200, "application/json", json.dumps(answer))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

        def _send(self, status: int, content_type: str, text: str) -> None:
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, reply: GeminiReply, *, model: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            pieces = reply.pieces()
            for index, piece in enumerate(pieces):
                if index and reply.chunk_delay and closing.wait(reply.chunk_delay):
                    return
                final = index == len(pieces) - 1
                event = _answer(reply, piece, model=model, finish_reason=reply.finish_reason if final else None)
                self.wfile.write(f"data: {json.dumps(event)}\r\n\r\n".encode())
                self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        closing.set()
        server.shutdown()
        server.server_close()
    if stub.handler_errors:
        raise AssertionError(f"a Gemini stub reply function failed: {stub.handler_errors[0]!r}")


@pytest.fixture(name="gemini_stub")
def gemini_stub_fixture(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[GeminiStub]:
    """The stub, with settings pointing the app's Gemini client at it and quick retries. A test module
    gets it as `gemini_stub` by importing `gemini_stub_fixture` (unless tests/conftest.py loads this
    module as a plugin)."""
    with running_gemini_stub() as stub:
        settings.GEMINI_API_KEY = API_KEY
        settings.GEMINI_BASE_URL = stub.url
        # The real back-off (seconds) would only slow the suite; what is retried stays the same.
        settings.OUTSIDE_RETRY_FIRST_WAIT_SECONDS = 0
        yield stub


__all__ = ["API_KEY", "GeminiReply", "GeminiRequest", "GeminiStub", "gemini_stub_fixture", "running_gemini_stub"]
