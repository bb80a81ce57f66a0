"""Fifty people chatting at once over WebSockets, in extractive mode: time to the first chunk and to
the whole answer, whether every frame arrived once and in order, and the CPU each answer costs.

    .venv/bin/python bench/chat.py [--clients 50] [--rounds 3] [--questions 4] [--think 5]

Starts daphne serving the real app and a Celery worker (as the Procfile's `web` and `worker` do, for
`make run`; the worker embeds finished answers for message search) on a throwaway database — created
on the embedded Postgres (or `DATABASE_URL`'s server) with the migrations applied, dropped at the
end — and Redis database 15. Makes `--clients` people, each with a ready video (a four-part
transcript, chunks embedded with the real MiniLM model), a conversation about it and a signed-in
session; no GEMINI_API_KEY, so answers are extractive. A client sends a question and reads frames
until `done`: the saved question, the empty answer, chunks with seq 1, 2, …, then `done` with the
whole text, which must equal the chunks joined.

Three measurements, in one run:
- baseline: one client at a time (no contention);
- conversations: every client connected at once, each asking `--questions` questions one after
  another with a pause of `--think` seconds (± half, at random) to read each answer — fifty people
  chatting at the same time;
- burst: all clients send a question in the same instant, `--rounds` times (the worst case: every
  answer's work queues behind the others').
A warm-up question first loads the model in the server and the worker, so no figure pays for that.

Goal (issue 7): first chunk p95 ≤ 300 ms with 50 concurrent clients, and no lost or out-of-order frame.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psutil
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

BENCH_REDIS_DB = 15
GOAL_FIRST_CHUNK_P95_MS = 300.0
RECEIVE_TIMEOUT_SECONDS = 30
QUESTIONS = [
    "How hot should the oven be?",
    "When can I slice the bread?",
    "What do we clean while it bakes?",
    "What are we baking today?",
]
PASSAGES = [
    (0.0, 40.0, "Welcome to the kitchen. Today we bake sourdough bread from a starter we fed last night."),
    (40.0, 80.0, "Preheat the oven to two hundred and fifty degrees Celsius with the cast iron pot inside."),
    (80.0, 120.0, "While the loaf bakes, we clean up: wash the bowls and wipe the flour off the counter."),
    (120.0, 160.0, "Finally, let the bread cool on a rack for an hour before slicing, or the crumb is gummy."),
]


def with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.pop("GEMINI_API_KEY", None)  # extractive mode
    os.environ["TEST_DATABASE_NAME"] = f"bench_chat_{os.getpid()}"
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = with_redis_db(os.environ["REDIS_URL"], BENCH_REDIS_DB)
    else:
        os.environ["EMBEDDED_REDIS_DB"] = str(BENCH_REDIS_DB)
    import django

    django.setup()


@dataclass(frozen=True)
class Seat:
    """One client: a conversation and the session cookie of its owner."""

    conversation_id: int
    cookie: str


def make_seats(count: int) -> list[Seat]:
    from django.test import Client

    from accounts.guests import Viewer
    from accounts.models import User
    from billing.models import Plan, Wallet
    from billing.services import wallet_change_plan
    from chat.services import conversation_create
    from videos.models import Transcript, TranscriptChunk, Video
    from videos.text_embedding.model import embed_texts

    vectors = embed_texts([text for _, _, text in PASSAGES])
    plan = Plan.objects.order_by("-daily_chat_messages").first()
    assert plan is not None
    seats = []
    for number in range(count):
        user = User.objects.create_user(email=f"bench-chat-{number}@example.com")
        wallet_change_plan(wallet=Wallet.objects.get(user=user), plan=plan)
        video = Video.objects.create(owner=user, title="Sourdough", status=Video.Status.READY, duration=160)
        Transcript.objects.create(video=video, source=Transcript.Source.SIDECAR, text="…")
        TranscriptChunk.objects.bulk_create(
            TranscriptChunk(video=video, owner=user, index=index, start=start, end=end, text=text, embedding=vector)
            for index, ((start, end, text), vector) in enumerate(zip(PASSAGES, vectors, strict=True))
        )
        conversation = conversation_create(viewer=Viewer(user=user, guest_id=None), video=video)
        client = Client()
        client.force_login(user)
        seats.append(Seat(conversation_id=conversation.pk, cookie=f"sessionid={client.cookies['sessionid'].value}"))
    return seats


@dataclass(frozen=True)
class Site:
    url: str
    web: psutil.Process
    worker: psutil.Process

    def cpu_seconds(self) -> tuple[float, float, float]:
        """CPU time (user + system) so far of the web process with its question-embedding process,
        of the worker with its pool, and of the database server (this machine's Postgres processes:
        the embedded server, or a local DATABASE_URL's)."""
        web = [self.web, *self.web.children(recursive=True)]
        worker = [self.worker, *self.worker.children(recursive=True)]
        database = [process for process in psutil.process_iter(["name"]) if process.info["name"] == "postgres"]
        return tuple(sum(_cpu(process) for process in group) for group in (web, worker, database))  # type: ignore[return-value]


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:  # a pool child that was replaced
        return 0.0
    return times.user + times.system


@contextmanager
def site(server_log: IO[bytes]) -> Iterator[Site]:
    """The web server and the Celery worker, started as the Procfile starts them for `make run`."""
    from tests.servers import celery_worker, daphne_process

    with (
        daphne_process({"DB_CONN_MAX_AGE": "60"}, stdout=subprocess.DEVNULL, stderr=server_log) as (url, web),
        celery_worker(concurrency=2, stderr=server_log, DB_CONN_MAX_AGE="60") as worker,
    ):
        yield Site(url, psutil.Process(web.pid), psutil.Process(worker.pid))


@dataclass
class Asked:
    first_chunk_ms: float
    answer_ms: float
    problems: list[str]


def connect(url: str, seat: Seat) -> websockets.connect:
    """The seat's chat socket, opened as its browser would (session cookie, the site's origin)."""
    return websockets.connect(
        url.replace("http://", "ws://") + f"/ws/chat/{seat.conversation_id}/",
        additional_headers={"Cookie": seat.cookie, "Origin": url},
    )


async def ask(url: str, seat: Seat, question: str, client_id: str, *, delay: float = 0.0) -> Asked:
    """One question over a fresh socket (sent `delay` seconds after connecting)."""
    async with connect(url, seat) as socket:
        await asyncio.sleep(delay)
        return await ask_on(socket, question, client_id)


async def ask_on(socket: websockets.ClientConnection, question: str, client_id: str) -> Asked:
    """Send one question on an open socket and read its answer to `done`, checking every frame."""
    problems: list[str] = []
    sent_at = time.perf_counter()
    await socket.send(json.dumps({"type": "message", "text": question, "client_id": client_id}))
    first_chunk_at = None
    chunks: list[str] = []
    kinds: list[str] = []
    while True:
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=RECEIVE_TIMEOUT_SECONDS))
        except TimeoutError:
            problems.append(f"nothing for {RECEIVE_TIMEOUT_SECONDS} s after {len(chunks)} chunks: frames lost")
            done_at = time.perf_counter()
            break
        kinds.append(frame["type"])
        if frame["type"] == "chunk":
            first_chunk_at = first_chunk_at or time.perf_counter()
            if frame["seq"] != len(chunks) + 1:
                problems.append(f"chunk seq {frame['seq']} after {len(chunks)}")
            chunks.append(frame["text"])
        elif frame["type"] == "error":
            problems.append(f"error frame: {frame['message']}")
        elif frame["type"] == "done":
            done_at = time.perf_counter()
            if frame["message"]["content"] != "".join(chunks):
                problems.append("done's text is not the chunks joined")
            if frame["message"]["status"] != "complete":
                problems.append(f"answer {frame['message']['status']}")
            break
    if kinds[:2] != ["message", "message"]:
        problems.append(f"frames began {kinds[:2]}, not the question and the answer")
    if first_chunk_at is None:
        problems.append("no chunk")
        first_chunk_at = done_at
    return Asked((first_chunk_at - sent_at) * 1000, (done_at - sent_at) * 1000, problems)


async def converse(url: str, seat: Seat, number: int, *, questions: int, think: float) -> list[Asked]:
    """One person's conversation: connect, then ask, read the answer, pause, ask again."""
    pace = random.Random(number)  # noqa: S311 - pauses, not secrets; seeded so runs compare
    asked: list[Asked] = []
    async with connect(url, seat) as socket:
        await asyncio.sleep(pace.uniform(0, think))  # people do not all start typing in the same instant
        for turn in range(questions):
            asked.append(await ask_on(socket, QUESTIONS[(number + turn) % len(QUESTIONS)], f"talk-{turn}"))
            await asyncio.sleep(pace.uniform(think / 2, think * 1.5))
    return asked


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def answers_not_embedded(wait_seconds: float = 30) -> int:
    """Finished answers still without their search embedding, once the worker has had time."""
    from django.db import connection

    from chat.models import Message

    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            count = Message.objects.filter(
                role=Message.Role.ASSISTANT, status=Message.Status.COMPLETE, embedding__isnull=True
            ).count()
            if count == 0 or time.monotonic() > deadline:
                return count
            time.sleep(0.5)
    finally:
        connection.close()  # this thread's: the throwaway database is dropped at the end


@dataclass
class Phase:
    label: str
    results: list[Asked]
    cpu_seconds: tuple[float, float, float]  # web, worker, database: spent during the phase

    def percentile(self, field: str, q: float) -> float:
        return percentile([getattr(result, field) for result in self.results], q)

    def describe(self) -> None:
        web_ms, worker_ms, database_ms = (seconds * 1000 / len(self.results) for seconds in self.cpu_seconds)
        print(
            f"{self.label:<26} first chunk p50 {self.percentile('first_chunk_ms', 50):6.0f} ms  "
            f"p95 {self.percentile('first_chunk_ms', 95):6.0f} ms   whole answer p95 "
            f"{self.percentile('answer_ms', 95):6.0f} ms   CPU/answer: web {web_ms:3.0f} ms, "
            f"worker {worker_ms:3.0f} ms, database {database_ms:3.0f} ms"
        )


async def measure(label: str, site: Site, work: Awaitable[list[Asked]]) -> Phase:
    """Run `work`, with the CPU time the web process, the worker (it embeds each finished answer for
    message search) and the database spent meanwhile."""
    before = site.cpu_seconds()
    results = await work
    await asyncio.sleep(1)  # the worker's last embeddings
    after = site.cpu_seconds()
    spent = (after[0] - before[0], after[1] - before[1], after[2] - before[2])
    return Phase(label, results, spent)


async def run(site: Site, seats: list[Seat], arguments: argparse.Namespace) -> list[Phase]:
    url = site.url
    await ask(url, seats[0], "warm up: what is this video about?", "warm-up")
    await asyncio.to_thread(answers_not_embedded, 60)  # the worker loads the model too

    async def one_at_a_time() -> list[Asked]:
        return [await ask(url, seat, QUESTIONS[n % 4], "baseline") for n, seat in enumerate(seats[:10])]

    async def conversations() -> list[Asked]:
        talks = await asyncio.gather(
            *(
                converse(url, seat, n, questions=arguments.questions, think=arguments.think)
                for n, seat in enumerate(seats)
            )
        )
        return [asked for talk in talks for asked in talk]

    async def bursts() -> list[Asked]:
        asked: list[Asked] = []
        for round_number in range(arguments.rounds):
            asked += await asyncio.gather(
                *(
                    ask(url, seat, QUESTIONS[(n + round_number) % 4], f"round-{round_number}")
                    for n, seat in enumerate(seats)
                )
            )
        return asked

    return [
        await measure("baseline (one at a time)", site, one_at_a_time()),
        await measure(f"{len(seats)} people chatting", site, conversations()),
        await measure(f"{len(seats)} questions at once", site, bursts()),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="bursts of every client asking in the same instant")
    parser.add_argument("--questions", type=int, default=4, help="questions each person asks in the conversations")
    parser.add_argument("--think", type=float, default=5.0, help="seconds (± half) a person reads before asking again")
    arguments = parser.parse_args()

    configure_django()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    databases = setup_databases(verbosity=0, interactive=False)
    try:
        seats = make_seats(arguments.clients)
        connection.close()
        with tempfile.TemporaryFile() as server_log:
            try:
                with site(server_log) as running:
                    phases = asyncio.run(run(running, seats, arguments))
                    unembedded = answers_not_embedded()
            finally:
                # The server's warnings and errors, if any, explain a lost frame or a failed run.
                server_log.seek(0)
                problems_logged = [
                    line
                    for line in server_log.read().decode(errors="replace").splitlines()
                    if " WARNING " in line or " ERROR " in line or "Traceback" in line or line.startswith("  ")
                ]
                if problems_logged:
                    print("the server logged:\n" + "\n".join(problems_logged[-60:]))
    finally:
        teardown_databases(databases, verbosity=0)

    baseline, chatting, burst = phases
    print(
        f"{arguments.clients} clients, extractive answers over /ws/chat/: conversations of {arguments.questions} "
        f"questions {arguments.think:g} s (± half) apart; {arguments.rounds} bursts"
    )
    for phase in phases:
        phase.describe()
    for phase in (chatting, burst):
        ratio = phase.percentile("first_chunk_ms", 95) / baseline.percentile("first_chunk_ms", 95)
        print(f"first chunk p95, {phase.label} / baseline: {ratio:.1f}×")
    problems = [problem for phase in phases for result in phase.results for problem in result.problems]
    print(f"answers: {sum(len(phase.results) for phase in phases)}, lost/out-of-order/failed: {len(problems)}")
    print(f"finished answers the worker had not embedded for search by the end: {unembedded}")
    for problem in problems[:10]:
        print("  -", problem)
    verdicts = {}
    for phase in (chatting, burst):
        verdicts[phase.label] = phase.percentile("first_chunk_ms", 95) <= GOAL_FIRST_CHUNK_P95_MS and not problems
        verdict = "met" if verdicts[phase.label] else "NOT met"
        print(f"goal first chunk p95 ≤ {GOAL_FIRST_CHUNK_P95_MS:.0f} ms, no bad frame ({phase.label}): {verdict}")
    met = verdicts[chatting.label]
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
