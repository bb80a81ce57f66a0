"""End to end with real parts: API upload → a real Celery worker → progress over a WebSocket."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from billing.ledger import ledger_grant
from billing.models import Wallet
from devtools import processes
from sage.asgi import application
from sage.synthetic_media import make_video
from tests.factories import VideoFactory, empty_wallet_user
from tests.socket_refusals import refused_with
from videos.models import Video

PART = 64 * 1024


@pytest.mark.worker
def test_an_uploaded_video_is_processed_by_a_worker_and_its_progress_arrives_live(
    transactional_db, settings, tmp_path: Path
) -> None:
    settings.UPLOAD_PART_SIZE = PART
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="grant:e2e", memo="test")
    data = make_video(tmp_path / "holiday.mp4", seconds=4.2).read_bytes()
    client = APIClient()
    client.force_authenticate(user)
    upload = client.post("/api/v1/uploads", {"filename": "holiday.mp4", "size": len(data)}, format="json").json()
    for number in range(1, upload["part_count"] + 1):
        chunk = data[(number - 1) * PART : number * PART]
        client.put(f"/api/v1/uploads/{upload['id']}/parts/{number}", chunk, content_type="application/octet-stream")

    async def watch_processing() -> list[dict]:
        socket = WebsocketCommunicator(
            application, f"/ws/videos/{upload['video_id']}/", headers=[(b"origin", b"http://localhost")]
        )
        socket.scope["user"] = user
        connected, _ = await socket.connect()
        assert connected
        completed = await database_sync_to_async(client.post)(f"/api/v1/uploads/{upload['id']}/complete")
        assert completed.status_code == 200
        events: list[dict] = []
        while not events or events[-1]["status"] not in ("ready", "failed"):
            message = await socket.receive_json_from(timeout=60)
            events.append(message["data"])
        await socket.disconnect()
        return events

    with processes.celery_worker():
        events = asyncio.run(watch_processing())

    video = Video.objects.get(pk=upload["video_id"])
    assert video.status == Video.Status.READY, video.error_message
    assert events[-1]["status"] == "ready"
    assert {"probe", "thumbnails"} <= {event["stage"] for event in events}
    assert Wallet.objects.get(user=user).balance == 100 - math.ceil(video.duration or 0)


def test_another_users_socket_for_my_video_is_closed(transactional_db, user, other_user) -> None:
    video = VideoFactory(owner=user, title="mine")

    async def attempt() -> int | None:
        socket = WebsocketCommunicator(
            application, f"/ws/videos/{video.pk}/", headers=[(b"origin", b"http://localhost")]
        )
        socket.scope["user"] = other_user
        connected, _ = await socket.connect()
        return await refused_with(socket, connected)

    assert asyncio.run(attempt()) == 4404
