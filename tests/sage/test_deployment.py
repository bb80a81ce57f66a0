"""Several machines in one test: two web processes (daphne) and two Celery workers on separate
queues, against the same Postgres and Redis, as docs/operations.md's Production section deploys them.

A video is uploaded through web 1's API and processed by the `media` worker while its progress
arrives on web 2's socket; a question asked on web 2's chat socket is answered there and the same
answer reaches a socket on web 1 through the Redis channel layer. The session made once is accepted
by both processes (sessions live in the database), so no process is sticky to a user.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets

from billing.ledger import ledger_grant
from chat.models import Message
from devtools import processes
from sage.celery import app
from sage.synthetic_media import Cue, make_video
from tests.factories import ApiTokenFactory, empty_wallet_user
from videos.models import Video

CUES = [
    Cue(0.3, 2.0, "The lighthouse keeper climbs two hundred steps every evening."),
    Cue(2.2, 3.8, "At the top he lights the lamp for the fishing boats."),
]
QUESTION = "How many steps does the lighthouse keeper climb?"
SOCKET_TIMEOUT = 120  # seconds for one frame: processing and a cold model load on two busy cores


def _queue_of(task_name: str) -> str:
    """The queue Celery's router sends a task to (CELERY_TASK_ROUTES in sage/settings.py)."""
    return str(app.amqp.router.route({}, task_name, args=(), kwargs={})["queue"].name)


def _worker_stats_by_pid() -> dict[int, dict[str, Any]]:
    """Each live worker's `inspect stats` (tasks it received, by name) and `active_queues`, by its pid."""
    inspector = app.control.inspect(timeout=2)
    stats = inspector.stats() or {}
    queues = inspector.active_queues() or {}
    return {
        int(info["pid"]): {"total": info.get("total", {}), "queues": {queue["name"] for queue in queues.get(host, [])}}
        for host, info in stats.items()
    }


async def _frames_until(socket: Any, last: Any) -> list[dict[str, Any]]:
    """JSON frames from a real socket up to and including the first for which `last` is true."""
    frames: list[dict[str, Any]] = []
    while not frames or not last(frames[-1]):
        frames.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=SOCKET_TIMEOUT)))
    return frames


@pytest.fixture
def two_webs_two_queues(transactional_db) -> Iterator[dict[str, Any]]:
    """Web 1 and web 2 (daphne) and a `default` and a `media` worker (one task at a time each)."""
    with ExitStack() as stack:
        default_worker = stack.enter_context(processes.celery_worker("default"))
        media_worker = stack.enter_context(processes.celery_worker("media"))
        web1, _ = stack.enter_context(processes.daphne_process())
        web2, _ = stack.enter_context(processes.daphne_process())
        yield {"web1": web1, "web2": web2, "default_pid": default_worker.pid, "media_pid": media_worker.pid}
    # Every process stopped by its pid as the stack unwound (tests/servers.py).


@pytest.mark.worker
def test_an_upload_on_one_web_process_is_processed_by_the_media_worker_and_chatted_about_on_another(
    two_webs_two_queues: dict[str, Any], client, tmp_path: Path
) -> None:
    web1, web2 = two_webs_two_queues["web1"], two_webs_two_queues["web2"]
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="grant:deployment", memo="test")
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {ApiTokenFactory(user=user).secret}"
    client.force_login(user)  # one session row in the database, for both processes' sockets
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    data = make_video(tmp_path / "lighthouse.mp4", seconds=4, subtitles=CUES).read_bytes()

    # Upload through web 1's API, as docs/api.md's "Uploading a video" tells clients to.
    upload = api.post(f"{web1}/api/v1/uploads", json={"filename": "lighthouse.mp4", "size": len(data)}, timeout=30)
    assert upload.status_code == 201, upload.text
    upload_id, video_id, part_size = upload.json()["id"], upload.json()["video_id"], upload.json()["part_size"]
    for number in range(1, upload.json()["part_count"] + 1):
        part = data[(number - 1) * part_size : number * part_size]
        sent = api.put(f"{web1}/api/v1/uploads/{upload_id}/parts/{number}", data=part, timeout=30)
        assert sent.status_code in (200, 201, 204), sent.text

    async def complete_on_web1_and_watch_on_web2() -> list[dict[str, Any]]:
        progress_url = f"{web2.replace('http://', 'ws://')}/ws/videos/{video_id}/"
        headers = {"Cookie": cookie, "Origin": web2}
        async with websockets.connect(progress_url, additional_headers=headers) as progress:
            completed = await asyncio.to_thread(api.post, f"{web1}/api/v1/uploads/{upload_id}/complete", timeout=60)
            assert completed.status_code == 200, completed.text
            return await _frames_until(progress, lambda frame: frame["data"]["status"] in ("ready", "failed"))

    progress_frames = asyncio.run(complete_on_web1_and_watch_on_web2())

    video = Video.objects.get(pk=video_id)
    assert video.status == Video.Status.READY, video.error_message
    assert progress_frames[-1]["data"]["status"] == "ready"  # pushed by the worker, seen on web 2

    conversation = api.post(f"{web1}/api/v1/conversations", json={"video": video_id}, timeout=30)
    assert conversation.status_code == 201, conversation.text
    conversation_id = conversation.json()["id"]

    async def ask_on_web2_and_follow_on_web1() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        def chat_socket(web: str) -> Any:
            url = f"{web.replace('http://', 'ws://')}/ws/chat/{conversation_id}/"
            return websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": web})

        # The follower joins first: its process has subscribed to the conversation's group once the
        # socket is accepted (the consumer joins before it accepts).
        async with chat_socket(web1) as following, chat_socket(web2) as asking:
            await asking.send(json.dumps({"type": "message", "text": QUESTION, "client_id": "q1"}))
            return await asyncio.gather(
                _frames_until(asking, lambda frame: frame["type"] == "done"),
                _frames_until(following, lambda frame: frame["type"] == "done"),
            )

    asked, followed = asyncio.run(ask_on_web2_and_follow_on_web1())

    for frames in (asked, followed):  # the whole answer, in order, on both processes
        chunks = [frame for frame in frames if frame["type"] == "chunk"]
        done = frames[-1]["message"]
        assert done["status"] == "complete", done["error"]
        assert chunks and [frame["seq"] for frame in chunks] == list(range(1, len(chunks) + 1))
        assert "".join(frame["text"] for frame in chunks) == done["content"]
        assert "two hundred steps" in done["content"]
    assert followed == asked  # the question, the answer's pieces and its end, pushed to web 1 too
    answer = Message.objects.get(pk=asked[-1]["message"]["id"])
    assert answer.conversation_id == conversation_id and answer.status == Message.Status.COMPLETE

    # Which worker ran what: each consumed its own queue only; the media worker ran the video's
    # processing and nothing routed to `default`; the default worker ran what processing queued for it
    # (the video's waiting AI notes) and the start-up sweeps, and nothing routed to `media`.
    media_pid, default_pid = two_webs_two_queues["media_pid"], two_webs_two_queues["default_pid"]
    for _ in range(120):  # until both answered (a busy machine may miss a reply) and the notes task ran
        workers = _worker_stats_by_pid()
        answered = {media_pid, default_pid} <= workers.keys() and all(worker["queues"] for worker in workers.values())
        if answered and workers[default_pid]["total"].get("notes.tasks.fill_waiting_ai_notes"):
            break
        time.sleep(0.5)
    media, default = workers[media_pid], workers[default_pid]
    assert media["queues"] == {"media"} and default["queues"] == {"default"}
    assert media["total"].get("videos.tasks.process_video", 0) >= 1
    assert all(_queue_of(name) == "media" for name in media["total"])
    assert default["total"].get("notes.tasks.fill_waiting_ai_notes", 0) >= 1
    assert all(_queue_of(name) == "default" for name in default["total"])
