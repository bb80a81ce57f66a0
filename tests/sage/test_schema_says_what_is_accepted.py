"""Inputs where the OpenAPI schema once accepted what the server refuses (schemathesis's ST202,
"schema-valid request rejected"): for each, the published schema and the server now agree, both on
what they refuse and on what they accept. Checked with the schema as served, so the patterns tested
are those an extension's generated client reads."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import NoteFactory, UserFactory, VideoFactory
from tests.sage.schemathesis_runner import SCHEMA, _a_rule_beyond_the_schema
from videos.models import Video

pytestmark = pytest.mark.django_db
YOUTUBE_ID = "dQw4w9WgXcQ"


@pytest.fixture
def components() -> dict[str, Any]:
    schema = Client().get(SCHEMA, {"format": "json"}).json()
    return schema["components"]


def schema_accepts(components: dict[str, Any], name: str, body: dict[str, Any]) -> bool:
    resolver_schema = {**components["schemas"][name], "components": components}
    return OAS30Validator(resolver_schema).is_valid(body)


@pytest.fixture
def user() -> User:
    return UserFactory()


@pytest.fixture
def client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_note_changed_to_empty_text_is_refused_by_the_schema_as_by_the_server(components, user, client) -> None:
    video = VideoFactory(owner=user, title="Bread", status=Video.Status.READY, duration=60.0)
    note = NoteFactory(owner=user, video=video, start=1.0, text="Knead.")
    url = f"/api/v1/notes/{note.pk}"

    for empty in ("", "   ", "\n\t"):
        assert not schema_accepts(components, "PatchedNoteUpdateInputRequest", {"text": empty})
        response = client.patch(url, {"text": empty}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {"text": ["A note cannot be emptied; delete it instead."]}
    assert schema_accepts(components, "PatchedNoteUpdateInputRequest", {"text": "  - indented\n"})
    assert client.patch(url, {"text": "  - indented\n"}, format="json").status_code == 200


def test_a_note_time_the_server_cannot_read_is_refused_by_the_schema(components, user, client) -> None:
    video = VideoFactory(owner=user, title="Bread", status=Video.Status.READY, duration=4000.0)
    url = f"/api/v1/videos/{video.pk}/notes"

    for unreadable in ("µ[", "", "1:2:3:4", "-5", "1:60", "9e2", " ", 400_000, -1):
        assert not schema_accepts(components, "NoteCreateInputRequest", {"start": unreadable, "text": "x"}), unreadable
        assert client.post(url, {"start": unreadable, "text": "x"}, format="json").status_code == 400, unreadable
    for readable, seconds in (("1:02.5", 62.5), (" 90 ", 90.0), ("1:00:00", 3600.0), (12.25, 12.25), ("0", 0.0)):
        assert schema_accepts(components, "NoteCreateInputRequest", {"start": readable, "text": "x"}), readable
        response = client.post(url, {"start": readable, "text": "x"}, format="json")
        assert response.status_code == 201 and response.json()["start"] == seconds


def test_an_upload_of_a_file_that_is_not_a_video_is_refused_by_the_schema(components, client) -> None:
    for filename in ("0", "notes.txt", ".mp4", "clip.mp4/", "clip .mp4x", " "):
        assert not schema_accepts(components, "UploadCreateInputRequest", {"filename": filename, "size": 10}), filename
        response = client.post("/api/v1/uploads", {"filename": filename, "size": 10}, format="json")
        assert response.status_code == 400 and "filename" in response.json()["error"]["fields"], filename
    for filename in ("holiday.MP4", "C:\\fakepath\\take 2.mov", " cut.webm ", "..mkv"):
        assert schema_accepts(components, "UploadCreateInputRequest", {"filename": filename, "size": 10}), filename
        response = client.post("/api/v1/uploads", {"filename": filename, "size": 10}, format="json")
        assert response.status_code == 201, (filename, response.content)


def test_text_that_names_no_youtube_video_is_refused_by_the_schema(components, client) -> None:
    for text in ("0", "any string", "https://vimeo.com/1", f"ftp://youtube.com/watch?v={YOUTUBE_ID}", "watch?v=x"):
        assert not schema_accepts(components, "YouTubeInputRequest", {"url": text}), text
        assert client.post("/api/v1/videos/youtube", {"url": text}, format="json").status_code == 400, text
    links = (
        YOUTUBE_ID,
        f"https://youtu.be/{YOUTUBE_ID}?si=abc",
        f"HTTPS://M.YouTube.com/watch?feature=share&v={YOUTUBE_ID}#t=3",
        f" www.youtube.com/shorts/{YOUTUBE_ID} ",
    )
    for text in links:
        assert schema_accepts(components, "YouTubeInputRequest", {"url": text}), text
        response = client.post("/api/v1/videos/youtube", {"url": text}, format="json")
        assert response.status_code in (200, 201) and response.json()["youtube_id"] == YOUTUBE_ID, text


def test_the_contract_run_excuses_a_refusal_of_valid_input_only_for_a_rule_the_schema_cannot_state() -> None:
    label, check = "POST /api/v1/videos/{ref}/notes", "positive_data_acceptance"
    refused = SimpleNamespace(failure=SimpleNamespace(status_code=400))

    def answer(**fields: list[str]) -> bytes:
        return json.dumps({"error": {"code": "invalid", "message": "…", "fields": fields}}).encode()

    end_before_start = "The end (00:01) is before the start (00:02)."
    unreadable = "Give the time as seconds (90 or 90.5), mm:ss (1:30) or hh:mm:ss (1:01:30)."
    assert _a_rule_beyond_the_schema(label, check, refused, answer(end=[end_before_start]))
    assert not _a_rule_beyond_the_schema(label, check, refused, answer(start=[unreadable]))
    assert not _a_rule_beyond_the_schema(label, check, refused, answer(end=[end_before_start], start=[unreadable]))
    assert not _a_rule_beyond_the_schema("POST /api/v1/videos/youtube", check, refused, answer(end=[end_before_start]))
