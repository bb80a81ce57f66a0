"""End to end with real parts: an AI note queued on commit, written by a real Celery worker through
the real google-genai client (against the stub), and pushed live to the owner's events socket."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from devtools import processes
from notes.models import Note
from sage.asgi import application
from tests.factories import TranscriptFactory, VideoFactory
from tests.gemini_stub import gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture
from tests.notes.conftest import balance, funded_user
from videos.models import Video


@pytest.mark.worker
def test_an_ai_note_is_written_by_a_worker_and_arrives_live(transactional_db, gemini_stub, settings) -> None:
    settings.TOKEN_COST_AI_NOTE = 5
    gemini_stub.reply("The baker shapes the loaf.")
    user = funded_user(100)
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    TranscriptFactory(video=video, lines=[(55.0, 65.0, "Now shape the dough into a loaf.")])
    client = APIClient()
    client.force_authenticate(user)

    async def add_note_and_watch() -> tuple[dict[str, Any], dict[str, Any]]:
        socket = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])
        socket.scope["user"] = user
        connected, _ = await socket.connect()
        assert connected
        created = await database_sync_to_async(client.post)(
            f"/api/v1/videos/{video.pk}/notes", {"start": 60}, format="json"
        )
        assert created.status_code == 201
        while True:
            message = await socket.receive_json_from(timeout=60)
            if message["type"] == "note" and message["data"]["ai_status"] in ("done", "failed"):
                await socket.disconnect()
                return created.json(), message["data"]

    with processes.celery_worker(TOKEN_COST_AI_NOTE="5", **gemini_stub.env()):
        created, pushed = asyncio.run(add_note_and_watch())

    assert created["ai_status"] == "generating"
    assert (pushed["id"], pushed["ai_status"], pushed["text"]) == (created["id"], "done", "The baker shapes the loaf.")
    assert pushed["html"] == "<p>The baker shapes the loaf.</p>\n"
    assert Note.objects.get(pk=created["id"]).ai_status == "done"
    assert "Now shape the dough into a loaf." in gemini_stub.last.prompt
    assert balance(user) == 95
