"""End to end with real parts: a stem sent through the API, recut by a real Celery worker, its
progress watched on the comparison's socket group, the result downloaded."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
import soundfile
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from devtools import processes
from sage.asgi import application
from tests.factories import ComparisonFactory
from videos.models import RecutJob

RATE = 48000


@pytest.mark.worker
def test_a_stem_is_recut_by_a_worker_and_its_progress_arrives_on_the_comparisons_socket(transactional_db) -> None:
    comparison = ComparisonFactory(matched_spans=[[0.0, 2.0, 0.0, 2.0], [4.0, 8.0, 2.0, 6.0]])  # v1 8 s, v2 6 s
    comparison.video_b.duration = 6.0
    comparison.video_b.save(update_fields=["duration"])
    stem = (np.random.default_rng(3).standard_normal((8 * RATE, 2)) * 0.1).astype(np.float32)
    sent = io.BytesIO()
    soundfile.write(sent, stem, RATE, subtype="PCM_24", format="WAV")
    sent.seek(0)
    sent.name = "FX.wav"
    client = APIClient()
    client.force_authenticate(comparison.owner)

    async def watch() -> tuple[int, list[dict]]:
        socket = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://localhost")])
        socket.scope["user"] = comparison.owner
        connected, _ = await socket.connect()
        assert connected
        await socket.send_json_to({"type": "subscribe", "group": f"comparison.{comparison.pk}"})
        assert (await socket.receive_json_from(timeout=10))["type"] == "subscribed"
        response = await database_sync_to_async(client.post)(
            f"/api/v1/comparisons/{comparison.pk}/recuts", {"file": sent, "stem": "effects"}, format="multipart"
        )
        assert response.status_code == 202, response.content
        events: list[dict] = []
        while not events or events[-1]["status"] not in ("ready", "failed"):
            message = await socket.receive_json_from(timeout=60)
            if message["type"] == "recut":
                events.append(message["data"])
        await socket.disconnect()
        return response.json()["id"], events

    with processes.celery_worker():
        job_id, events = asyncio.run(watch())

    job = RecutJob.objects.get(pk=job_id)
    assert job.status == RecutJob.Status.READY, job.error_message
    assert [event["status"] for event in events][-1] == "ready" and events[0]["status"] == "queued"
    download = client.get(f"/api/v1/recuts/{job_id}/file")
    recut, rate = soundfile.read(io.BytesIO(download.getvalue()), dtype="int32")
    original, _ = soundfile.read(io.BytesIO(sent.getvalue()), dtype="int32")
    assert rate == RATE and recut.shape == (6 * RATE, 2)
    assert np.array_equal(recut[2 * RATE + 200 :], original[4 * RATE + 200 :])
