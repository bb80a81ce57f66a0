"""Many reviewers on one shared comparison: page loads and live comments under load (issue 33, part 7).

Starts a daphne web process serving the real app (production-like, DEBUG off) on a bench database
and Redis, makes a user, a comparison and a share link that allows comments, then:

- baseline: the shared page (`/s/<token>/`) loaded by one reviewer, one request at a time;
- load: `--reviewers` guest sockets open on `/ws/shared/<token>/`; one comment posted through the guest
  API every `--interval` s for `--seconds` s (spread over a few reviewer keys) while the page is
  loaded again and again;
- figures: the page's p95 under load (goal ≤ 300 ms) and its ratio to the baseline; the time from a
  comment's POST being sent to each socket receiving it (p95 goal ≤ 200 ms); comments lost or
  repeated on any socket (goal 0). Exit 1 when a goal is missed.

The guests' rate limits are raised out of the way (the bench posts 10 a second through one link from
one address: refusals would count as lost comments).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.django_env import setup_django
from bench.results import Row, add_record_option, record  # found through the path above
from devtools import comparisons

BENCH_REDIS_DB = 13
GOAL_PAGE_P95_MS = 300.0
GOAL_DELIVERY_P95_MS = 200.0
REVIEWER_KEYS = 5
WEB_ENV = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "DB_CONN_MAX_AGE": "60",
    "REVIEW_COMMENT_RATE_PER_ADDRESS": "100000/min",
    "REVIEW_COMMENT_RATE_PER_LINK": "100000/min",
    "API_RATE_LIMIT": "100000/min",
}


def make_link() -> str:
    """A user, two ready videos, a refined comparison of them (rows only, the result from
    devtools.comparisons: the page reads no media) and a share link that allows comments; returns
    its token."""
    from accounts.models import User
    from reviews.services import share_link_create
    from videos.models import Comparison, Video
    from workspaces.current import personal_membership
    from workspaces.selectors import personal_workspace_of

    owner = User.objects.create_user(email="bench-review@example.com", display_name="Bench")
    video_a, video_b = (
        Video.objects.create(
            owner=owner,
            workspace=personal_workspace_of(owner),
            title=title,
            status=Video.Status.READY,
            duration=duration,
            fps=25.0,
            storage_key=f"videos/bench/{title}.mp4",
            backends={"clips": "local"},
        )
        for title, duration in (("Refined A", 20.0), ("Refined B", 23.4))
    )
    comparison = Comparison.objects.create(
        owner=owner,
        workspace=personal_workspace_of(owner),
        video_a=video_a,
        video_b=video_b,
        engine=3,
        threshold=0.15,
        offset=1.4,
        matched_spans=comparisons.REFINED_SPANS,
        segments=comparisons.REFINED_SEGMENTS,
        measured=comparisons.REFINED_MEASURED,
        counts=comparisons.REFINED_COUNTS,
        similarity=comparisons.REFINED_SIMILARITY,
        summary=comparisons.REFINED_SUMMARY,
        summary_backend="extractive",
        word_diff={"removed": [], "added": []},
    )
    member = personal_membership(owner)
    _, token = share_link_create(member=member, shared=comparison, name="Bench", permission="comment")
    return token


@dataclass(frozen=True)
class Figures:
    baseline: list[float]  # ms per page load, one reviewer
    loads: list[float]  # ms per page load under load
    delivery: list[float]  # ms from POST sent to a socket's frame, per socket and comment
    posted: int
    refused: int
    lost: int
    repeated: int


def median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


async def load_page(client: httpx.AsyncClient, url: str) -> float:
    started = time.perf_counter()
    response = await client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"the shared page answered {response.status_code}")
    return elapsed


async def run(base: str, token: str, arguments: argparse.Namespace) -> Figures:
    page_url = f"{base}/s/{token}/"
    comments_url = f"{base}/api/v1/shared/{token}/comments"
    ws_url = base.replace("http://", "ws://") + f"/ws/shared/{token}/"
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(5):  # warm-up: first requests pay imports and connections
            await load_page(client, page_url)
        baseline = [await load_page(client, page_url) for _ in range(arguments.baseline_loads)]

        sockets = []
        for _ in range(arguments.reviewers):
            sockets.append(await websockets.connect(ws_url, origin=base, max_size=None))  # type: ignore[arg-type]
        received: list[dict[str, list[float]]] = [{} for _ in sockets]
        sent_at: dict[str, float] = {}
        posted: set[str] = set()
        refused = 0

        async def listen(number: int, socket: websockets.ClientConnection) -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for frame in socket:
                    arrived = time.perf_counter()
                    event = json.loads(frame)
                    if event.get("type") == "comment.created":
                        received[number].setdefault(event["data"]["body"], []).append(arrived)

        listeners = [asyncio.ensure_future(listen(n, s)) for n, s in enumerate(sockets)]
        keys = [secrets.token_urlsafe(32) for _ in range(REVIEWER_KEYS)]

        async def post(number: int) -> None:
            nonlocal refused
            body = f"bench comment {number}"
            sent_at[body] = time.perf_counter()
            response = await client.post(
                comments_url,
                json={"side": "b", "start": (number % 200) / 10, "body": body, "author_name": f"Reviewer {number % 5}"},
                headers={"X-Reviewer-Key": keys[number % REVIEWER_KEYS]},
            )
            if response.status_code == 201:
                posted.add(body)
            else:
                refused += 1

        loads: list[float] = []
        stop = asyncio.Event()

        async def keep_loading() -> None:
            async with httpx.AsyncClient(timeout=30) as page_client:
                while not stop.is_set():
                    loads.append(await load_page(page_client, page_url))
                    await asyncio.sleep(arguments.page_gap)

        loader = asyncio.ensure_future(keep_loading())
        posts = []
        started = time.perf_counter()
        count = round(arguments.seconds / arguments.interval)
        for number in range(count):
            delay = started + number * arguments.interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            posts.append(asyncio.ensure_future(post(number)))
        await asyncio.gather(*posts)
        stop.set()
        await loader
        await asyncio.sleep(2)  # the last pushes
        for socket in sockets:
            await socket.close()
        for listener in listeners:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    delivery = [
        (arrivals[0] - sent_at[body]) * 1000 for got in received for body, arrivals in got.items() if body in sent_at
    ]
    lost = sum(1 for got in received for body in posted if body not in got)
    repeated = sum(len(arrivals) - 1 for got in received for arrivals in got.values())
    return Figures(baseline, loads, delivery, len(posted), refused, lost, repeated)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviewers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between comments")
    parser.add_argument("--baseline-loads", type=int, default=50)
    parser.add_argument("--page-gap", type=float, default=0.05, help="seconds between page loads under load")
    add_record_option(parser)
    arguments = parser.parse_args()

    setup_django("review", redis_db=BENCH_REDIS_DB)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from devtools.processes import BASE_DIR, VENV_BIN, daphne_process, server_env

    databases = setup_databases(verbosity=0, interactive=False)
    # DEBUG off serves pages with hashed static names from a manifest, as a deployment does after
    # collectstatic (the development settings keep no manifest: it is written with DEBUG off).
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=server_env(**WEB_ENV),
        check=True,
    )
    try:
        token = make_link()
        connection.close()
        with tempfile.TemporaryFile() as server_log:
            try:
                with daphne_process(WEB_ENV, stdout=subprocess.DEVNULL, stderr=server_log) as (base, web):
                    print(f"web process {web.pid} at {base}", flush=True)
                    figures = asyncio.run(run(base, token, arguments))
            finally:
                server_log.seek(0)
                errors = [line for line in server_log.read().decode(errors="replace").splitlines() if "ERROR" in line]
                for line in errors[:20]:
                    print("server:", line)
    finally:
        teardown_databases(databases, verbosity=0)

    baseline_p95, load_p95, delivery_p95 = p95(figures.baseline), p95(figures.loads), p95(figures.delivery)
    print(f"reviewers: {arguments.reviewers} sockets; comments posted: {figures.posted} "
          f"(refused {figures.refused}) over {arguments.seconds:.0f} s")  # fmt: skip
    print(f"shared page, 1 reviewer: p50 {median(figures.baseline):.1f} ms, p95 {baseline_p95:.1f} ms")
    print(
        f"shared page under load: p50 {median(figures.loads):.1f} ms, p95 {load_p95:.1f} ms "
        f"({len(figures.loads)} loads; ratio to 1 reviewer {load_p95 / baseline_p95:.2f}×)"
    )
    print(
        f"comment → other reviewers' sockets: p50 {median(figures.delivery):.1f} ms, p95 {delivery_p95:.1f} ms, "
        f"max {max(figures.delivery, default=float('nan')):.1f} ms ({len(figures.delivery)} deliveries)"
    )
    print(f"lost: {figures.lost}, repeated: {figures.repeated}")
    goals = [
        (f"goal shared page p95 ≤ {GOAL_PAGE_P95_MS:.0f} ms", load_p95 <= GOAL_PAGE_P95_MS),
        (f"goal comment delivery p95 ≤ {GOAL_DELIVERY_P95_MS:.0f} ms", delivery_p95 <= GOAL_DELIVERY_P95_MS),
        ("goal no lost or repeated comment", figures.lost == 0 and figures.repeated == 0),
        ("goal every comment accepted", figures.refused == 0),
    ]
    for name, met in goals:
        print(f"{name}: {'met' if met else 'not met'}")
    if arguments.record:
        record(
            bench="review",
            path=arguments.record,
            rows=[
                Row(
                    "shared page load, 1 reviewer (baseline, no goal)",
                    f"p50 {median(figures.baseline):.1f} ms, p95 {baseline_p95:.1f} ms",
                    None,
                ),
                Row(
                    f"shared page p95 ≤ {GOAL_PAGE_P95_MS:.0f} ms with {arguments.reviewers} sockets open and "
                    f"a comment every {arguments.interval * 1000:.0f} ms",
                    f"p95 {load_p95:.1f} ms ({load_p95 / baseline_p95:.2f}× the baseline)",
                    goals[0][1],
                ),
                Row(
                    f"comment POST → each other reviewer's socket p95 ≤ {GOAL_DELIVERY_P95_MS:.0f} ms",
                    f"p95 {delivery_p95:.1f} ms, max {max(figures.delivery, default=float('nan')):.1f} ms "
                    f"({len(figures.delivery):,} deliveries)",
                    goals[1][1],
                ),
                Row(
                    "no comment lost or repeated",
                    f"{figures.lost} / {figures.repeated} of {figures.posted}",
                    goals[2][1],
                ),
                Row("every comment accepted", f"{figures.refused} refused of {figures.posted}", goals[3][1]),
            ],
        )
    return 0 if all(met for _, met in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
