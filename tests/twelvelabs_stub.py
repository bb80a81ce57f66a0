"""A local stand-in for the Twelve Labs Embed API (v1.3), just the calls the `twelvelabs` clip
backend makes: create a task with a multipart upload, poll its status, retrieve its segments.

Like the real service, the stub measures the uploaded video itself (with PyAV) and cuts it into
clips of the requested length, dropping a last piece shorter than 2 s. Each clip gets a
deterministic, deliberately unnormalised 1024-value vector per embedding option, derived from the
option and the clip's start (`TwelveLabsStub.vector`), so a test can tell exactly which segment a
clip's vector came from.

    with twelvelabs_stub() as stub:
        settings.TWELVELABS_BASE_URL = stub.base_url
        ...
        stub.uploads[0].fields["model_name"]   # what reached the stub
"""

from __future__ import annotations

import email.parser
import email.policy
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import av
import numpy as np

from tests.servers import RecordedRequest, StubServer, stub_server

API_PREFIX = "/v1.3"
TASK_ID = "66f1c0ffee0000000000beef"
DIMENSIONS = 1024
OPTIONS = ("visual-text", "audio")
MIN_SEGMENT_SECONDS = 2.0

Endpoint = Literal["create", "status", "retrieve"]
Response = tuple[int, dict[str, str], bytes]


@dataclass
class Upload:
    """One multipart create request as the stub parsed it."""

    fields: dict[str, list[str]]
    filename: str | None
    content_type: str | None
    video: bytes


@dataclass
class TwelveLabsStub:
    """The stub's behaviour (set before or during a test) and what it has seen."""

    # Status answers "processing" this many times before `outcome`.
    polls_before_done: int = 2
    outcome: Literal["ready", "failed", "processing"] = "ready"
    # Endpoint → HTTP status to answer with instead, with a Twelve Labs-style error body: every time,
    # or only the first `error_times[endpoint]` times when that is set.
    errors: dict[Endpoint, int] = field(default_factory=dict)
    error_times: dict[Endpoint, int] = field(default_factory=dict)
    options: tuple[str, ...] = OPTIONS
    server: StubServer | None = None
    uploads: list[Upload] = field(default_factory=list)
    status_polls: int = 0
    segments: list[dict[str, Any]] = field(default_factory=list)
    duration: float = 0.0

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return self.server.url + API_PREFIX

    @property
    def requests(self) -> list[RecordedRequest]:
        assert self.server is not None
        return self.server.requests

    @staticmethod
    def vector(option: str, start: float) -> np.ndarray:
        seed = zlib.crc32(f"{option}@{start:.3f}".encode())
        values: np.ndarray = np.random.default_rng(seed).normal(size=DIMENSIONS) * 3.0
        return values

    # --- routes ---------------------------------------------------------------------------------

    def create(self, request: RecordedRequest) -> Response:
        if self._fails("create"):
            return self._error(self.errors["create"])
        upload = parse_multipart(request)
        self.uploads.append(upload)
        if not upload.video or not upload.fields.get("model_name"):
            return self._json(400, {"code": "parameter_invalid", "message": "video_file and model_name are required"})
        clip_seconds = float(upload.fields.get("video_clip_length", ["6"])[0])
        self.duration = video_duration(upload.video)
        self.segments = self._segments(clip_seconds)
        return self._json(200, {"_id": TASK_ID})

    def status(self, request: RecordedRequest) -> Response:
        self.status_polls += 1
        if self._fails("status"):
            return self._error(self.errors["status"])
        status = "processing" if self.status_polls <= self.polls_before_done else self.outcome
        return self._json(200, {"_id": TASK_ID, "status": status, "model_name": self._model_name()})

    def retrieve(self, request: RecordedRequest) -> Response:
        if self._fails("retrieve"):
            return self._error(self.errors["retrieve"])
        metadata = {
            "input_filename": self.uploads[-1].filename,
            "video_clip_length": float(self.uploads[-1].fields["video_clip_length"][0]),
            "video_embedding_scope": self.uploads[-1].fields.get("video_embedding_scope", ["clip"]),
            "duration": self.duration,
        }
        payload = {
            "_id": TASK_ID,
            "model_name": self._model_name(),
            "status": "ready",
            "video_embedding": {"metadata": metadata, "segments": self.segments},
        }
        return self._json(200, payload)

    # --- helpers --------------------------------------------------------------------------------

    def _segments(self, clip_seconds: float) -> list[dict[str, Any]]:
        spans = []
        start = 0.0
        while start < self.duration:
            end = min(start + clip_seconds, self.duration)
            if end - start >= MIN_SEGMENT_SECONDS:  # Marengo drops a shorter last piece
                spans.append((start, end))
            start = end
        return [
            {
                "float": self.vector(option, start).tolist(),
                "start_offset_sec": start,
                "end_offset_sec": end,
                "embedding_option": option,
                "embedding_scope": "clip",
            }
            for option in self.options
            for start, end in spans
        ]

    def _model_name(self) -> str:
        return self.uploads[-1].fields["model_name"][0] if self.uploads else ""

    def _fails(self, endpoint: Endpoint) -> bool:
        if endpoint not in self.errors:
            return False
        if endpoint not in self.error_times:
            return True
        self.error_times[endpoint] -= 1
        return self.error_times[endpoint] >= 0

    def _json(self, status: int, payload: Any) -> Response:
        assert self.server is not None
        return self.server.reply_json(status, payload)

    def _error(self, status: int) -> Response:
        code, headers, body = self._json(status, {"code": "stub_error", "message": f"stub answered {status}"})
        return code, {**headers, "Retry-After": "0"}, body  # the SDK's retries need not wait


def parse_multipart(request: RecordedRequest) -> Upload:
    content_type = next(value for name, value in request.headers.items() if name.lower() == "content-type")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    )
    fields: dict[str, list[str]] = {}
    upload = Upload(fields=fields, filename=None, content_type=None, video=b"")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        if part.get_filename() is not None:
            upload.filename, upload.content_type, upload.video = part.get_filename(), part.get_content_type(), payload
        else:
            fields.setdefault(name, []).append(payload.decode())
    return upload


def video_duration(video: bytes) -> float:
    with tempfile.NamedTemporaryFile(suffix=".video") as file:
        file.write(video)
        file.flush()
        with av.open(file.name) as container:
            return float(container.duration or 0) / av.time_base


@contextmanager
def twelvelabs_stub(**behaviour: Any) -> Iterator[TwelveLabsStub]:
    stub = TwelveLabsStub(**behaviour)
    routes = {
        ("POST", f"{API_PREFIX}/embed/tasks"): stub.create,
        ("GET", f"{API_PREFIX}/embed/tasks/{TASK_ID}/status"): stub.status,
        ("GET", f"{API_PREFIX}/embed/tasks/{TASK_ID}"): stub.retrieve,
    }
    with stub_server(routes) as server:
        stub.server = server
        yield stub
