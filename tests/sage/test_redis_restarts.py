"""A Redis restart costs nothing already accepted (issue 61). Every client of the web process (the
cache's pool, the event loop's pool that chat answers stream through, the channel layer) sends a
command that met a connection closed by the restart once more, on a new connection; and an answer
being written treats what it asks of Redis (a cancel? its stream log for sockets that reconnect) as
a convenience while Redis is away.

Before, every answer being written when Redis restarted failed (`network:ConnectionError`) although
it had been accepted with a 201: its next cancel check, a tenth of a second away, met the restart.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from chat.models import Message
from devtools import processes
from devtools.fault_site import SERVER_ENV, FaultSite, fault_site_create
from devtools.faults import private_redis
from sage.cache_pool import loop_client
from tests.gemini_stub import GeminiReply, running_gemini_stub

PIECES = [f"The harbour, part {n} of what the video says. " for n in range(12)]
PIECE_SECONDS = 0.6  # between pieces: every answer is mid-stream for several seconds
ANSWERS_WITHIN = 120.0  # a fresh daphne loads the text model on the first question
RESTART_SECONDS = 2.0  # Redis away for several of each answer's pieces and cancel checks


def answers(site: FaultSite) -> list[Message]:
    conversations = [conversation for _sent, conversation in site.questions]
    return list(Message.objects.filter(conversation_id__in=conversations, role=Message.Role.ASSISTANT).order_by("pk"))


def wait_for(condition: object, *, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def ask(site: FaultSite, url: str) -> int:
    with httpx.Client(base_url=url, timeout=60) as client:
        return site.ask(client).status_code


def test_answers_accepted_before_redis_restarts_are_written_to_their_end(transactional_db, tmp_path: Path) -> None:
    site = fault_site_create()
    with running_gemini_stub() as gemini, private_redis(tmp_path / "redis") as redis_server:
        gemini.reply(GeminiReply(chunks=PIECES, chunk_delay=PIECE_SECONDS))
        env = {**SERVER_ENV, **gemini.env(), "REDIS_URL": redis_server.url}
        with (
            processes.daphne_process(env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as (url, _),
            httpx.Client(base_url=url, timeout=60) as client,
        ):
            # One answer first, so that the process's pools hold connections the restart will kill.
            assert site.ask(client).status_code == 201
            wait_for(lambda: all(a.status != Message.Status.STREAMING for a in answers(site)), within=ANSWERS_WITHIN)

            # The answer's body is sent once it is written, after its 201: three clients wait at once.
            with ThreadPoolExecutor(max_workers=3) as askers:
                asking = [askers.submit(ask, site, url) for _ in range(3)]
                # Each is being written: its model is streaming pieces, several seconds' worth.
                wait_for(lambda: len(gemini.requests) == 4, within=60)
                time.sleep(2 * PIECE_SECONDS)
                redis_server.stop()
                time.sleep(RESTART_SECONDS)  # a restart as a supervisor does it, with its delay
                redis_server.start()
                accepted = [future.result() for future in asking]

            # The cache's pool (the API's rate limits) and the channel layer (a guest's comment is
            # pushed) serve again too.
            read = site.read_videos(client)
            comment = site.post_comment(client)

    assert accepted == [201, 201, 201]
    assert [(a.status, a.content, a.error_message) for a in answers(site)] == [
        (Message.Status.COMPLETE, "".join(PIECES), "")
    ] * 4
    assert (read.status_code, comment.status_code) == (200, 201)


def test_the_event_loops_pool_sends_a_command_again_on_a_new_connection_after_a_restart(
    settings, tmp_path: Path
) -> None:
    """An event loop busy when Redis restarts (an answer ranking its sentences) has not read the
    closing of its pooled connections: the pool lends a dead one, and the command is sent again."""

    async def across_a_restart() -> bytes | str | None:
        client = loop_client()
        await client.set("restart-check", b"kept")  # Redis saves it on SIGTERM and reads it back
        redis_server.stop()  # while the loop is held, as a busy loop is
        redis_server.start()
        return await client.get("restart-check")

    with private_redis(tmp_path / "redis") as redis_server:
        settings.REDIS_URL = redis_server.url
        assert asyncio.run(across_a_restart()) == b"kept"
