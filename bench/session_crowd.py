"""A crowd joining one live review session at once, against a served site (issue 61: 300 people
joining within a second must each be welcomed or told the session is full within 2 s, nobody's socket
dropped unanswered, and the rest of the site answering meanwhile).

    .venv/bin/python bench/session_crowd.py [--people 300] [--baseline 50] [--within 1.0] [--record]

Fills a throwaway database (and Redis database 10): a studio on the Team plan, its owner, a ready
video, a comment link that lets its guests into sessions, a session the owner started with that
link, an API token of the studio's, and `--people` // 2 members of the studio signed in (commenters
acting in it; the rest of the crowd are the link's guests). Serves the real app with one daphne as
production does (DEBUG off) and a Celery worker (`/healthz` asks for one), then runs two crowds, one
after the other, each of members and guests in turn:

- warm: 5 people, not measured (a new process loads things on its first joins);
- baseline: `--baseline` people (default 50) open the session's socket, their starts spread evenly
  over `--within` seconds, and say hello as a page does; each waits for its answer (a `welcome`, or
  `session.left` with reason `full` then close 4403) and stays connected until everyone has one,
  then says bye; the bench waits for the database to count nobody connected;
- crowd: the same with `--people` (default 300), past the session's REVIEW_SESSION_MAX_PARTICIPANTS
  (100) seats.

Per crowd it prints the time from each person's start to their answer (p50/p95/max), how many were
welcomed and told full, and every other ending (a socket closed without an answer, a handshake
refused or timed out: "dropped unanswered"), the most participants the database counted connected
at once (sampled every 0.2 s), and a probe's p95 during the crowd: `/healthz` and `/api/v1/sessions`
(the token) asked in turn every 0.1 s from the crowd's first start to its last answer. The web
process's log is searched for sends on sockets already closed ("Attempt to send on a closed
protocol").

Goals (printed met/missed, `--record`ed): every one of `--people` answered within 2 s; 0 dropped
unanswered; exactly the seats welcomed (or everyone, in a crowd smaller than the seats) and never
more counted connected; probe p95 ≤ 1 s during the crowd; no send on a closed socket. Exits 1 when
a goal is missed. Every process started here is stopped by PID at the end.
tests/review_sessions/test_session_crowd.py runs the same code smaller.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import psutil
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.django_env import setup_django
from bench.results import Row, add_record_option, record  # found through the path above
from bench.session_flood import Target, counted_connected, load
from bench.session_flood import fill as fill_session

BENCH_REDIS_DB = 10
SESSION_COOKIE = "sessionid"
GOAL_ANSWER_S = 2.0
GOAL_PROBE_P95_MS = 1000.0
ANSWER_TIMEOUT_S = 30.0
PROBE_EVERY_S = 0.1
PROBE_TIMEOUT_S = 10.0
COUNT_EVERY_S = 0.2
WARM_PEOPLE = 5
CLOSED_PROTOCOL = "Attempt to send on a closed protocol"
WEB_ENV = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "DB_CONN_MAX_AGE": "60",
    # The probe asks the API ten times a second from one token: the API's own limit would answer
    # some 429, which measures the limit, not the crowd.
    "API_RATE_LIMIT": "100000/min",
}


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crowd:
    """The session, and who may join it: members' session cookies (acting in the studio)."""

    target: Target
    member_cookies: list[str]


def fill(members: int) -> Crowd:
    """bench/session_flood.py's studio and session, and `members` commenters of the studio signed in."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from review_sessions.models import ReviewSession
    from workspaces.current import SESSION_KEY as WORKSPACE_KEY
    from workspaces.models import Membership, Role

    target = fill_session()
    studio_id = ReviewSession.objects.values_list("workspace_id", flat=True).get(pk=target.session_id)
    people = User.objects.bulk_create(
        User(email=f"bench-crowd-{number}@example.com", display_name=f"Reviewer {number}") for number in range(members)
    )
    # Straight in, past the seat count: the bench measures a session of this size, whatever plan sells it.
    Membership.objects.bulk_create(
        Membership(workspace_id=studio_id, user=user, role=Role.COMMENTER) for user in people
    )
    cookies = []
    for user in people:
        # What a sign-in leaves in the session (django.contrib.auth.login), without a request per person.
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[WORKSPACE_KEY] = studio_id
        store.create()
        cookies.append(str(store.session_key))
    return Crowd(target=target, member_cookies=cookies)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Person:
    """One person of a crowd: a member (with a cookie) or a guest, and how their join ended."""

    cookie: str | None
    number: int
    answer: str = ""  # "welcome", "full", or how the socket ended without an answer
    answer_s: float = float("nan")  # from their start to their answer


@dataclass(frozen=True)
class Probe:
    route: str
    status: str
    ms: float


@dataclass
class CrowdRun:
    people: list[Person]
    probes: list[Probe] = field(default_factory=list)
    most_counted: int = 0
    seconds: float = 0.0
    cpu_s: float = float("nan")  # the web process's CPU time while the crowd joined


def member_cookie(cookies: list[str], number: int) -> str | None:
    """Person `number`'s session cookie: every other one is a member, while there are members."""
    return cookies[number // 2] if number % 2 == 0 and number // 2 < len(cookies) else None


class Joins:
    """One crowd against the site at `base`: every person starts at their moment within `within_s`."""

    def __init__(self, base: str, crowd: Crowd, people: int, within_s: float, web_pid: int | None) -> None:
        self.base = base
        self.web = psutil.Process(web_pid) if web_pid is not None else None
        self.ws = base.replace("http://", "ws://")
        self.crowd = crowd
        self.within_s = within_s
        cookies = crowd.member_cookies
        # Members and guests in turn, so both kinds meet the seats' end alike.
        self.people = [Person(cookie=member_cookie(cookies, number), number=number) for number in range(people)]
        self.answered = asyncio.Event()
        self.open = 0

    async def person(self, me: Person, start_at: float, leave: asyncio.Event) -> None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        started = time.monotonic()
        code, token = self.crowd.target.code, self.crowd.target.link_token
        if me.cookie is not None:
            url = f"{self.ws}/ws/sessions/{code}/"
            headers = {"Origin": self.base, "Cookie": f"{SESSION_COOKIE}={me.cookie}"}
            hello = {"type": "hello"}
        else:
            url = f"{self.ws}/ws/sessions/{code}/?link={token}"
            headers = {"Origin": self.base}
            hello = {"type": "hello", "name": f"Guest {me.number}", "reviewer_key": f"crowd-{me.number:034d}"}
        try:
            socket = await websockets.connect(
                url, additional_headers=headers, open_timeout=ANSWER_TIMEOUT_S, max_size=None
            )
        except websockets.InvalidStatus as refused:
            me.answer = f"handshake refused: {refused.response.status_code}"
            return
        except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
            me.answer = f"handshake failed: {type(error).__name__}"
            return
        try:
            await socket.send(json.dumps(hello))
            me.answer = await asyncio.wait_for(self.answer_of(socket), ANSWER_TIMEOUT_S)
            me.answer_s = time.monotonic() - started
            if me.answer == "welcome":
                await leave.wait()  # connected until the whole crowd has its answer: the seats hold
                await socket.send(json.dumps({"type": "bye"}))
        except TimeoutError:
            me.answer = f"no answer within {ANSWER_TIMEOUT_S:.0f} s"
        except websockets.ConnectionClosed as closed:
            me.answer = f"closed unanswered ({closed.rcvd.code if closed.rcvd else None})"
        finally:
            await socket.close()

    @staticmethod
    async def answer_of(socket: websockets.ClientConnection) -> str:
        """The first frame that answers a hello: a welcome or a `full` (presence frames come first)."""
        async for raw in socket:
            frame = json.loads(raw)
            if frame.get("type") == "welcome":
                return "welcome"
            if frame.get("type") == "session.left" and frame.get("data", {}).get("reason") == "full":
                return "full"
            if frame.get("type") == "error":
                return f"error frame: {frame.get('code')}"
        raise websockets.ConnectionClosed(None, None)

    async def probe(self, stop: asyncio.Event, run: CrowdRun) -> None:
        token = {"Authorization": f"Bearer {self.crowd.target.api_token}"}
        routes = ("/healthz", "/api/v1/sessions")
        asked = 0
        async with httpx.AsyncClient(base_url=self.base, timeout=PROBE_TIMEOUT_S) as client:
            while not stop.is_set():
                route = routes[asked % len(routes)]
                asked += 1
                started = time.monotonic()
                try:
                    answer = await client.get(route, headers={} if route == "/healthz" else token)
                    status = str(answer.status_code)
                except httpx.HTTPError as error:
                    status = f"unanswered: {type(error).__name__}"
                run.probes.append(Probe(route, status, (time.monotonic() - started) * 1000))
                await asyncio.sleep(PROBE_EVERY_S)

    async def count(self, stop: asyncio.Event, run: CrowdRun) -> None:
        while not stop.is_set():
            connected, _ = await asyncio.to_thread(counted_connected, self.crowd.target.session_id)
            run.most_counted = max(run.most_counted, connected)
            await asyncio.sleep(COUNT_EVERY_S)

    async def run(self) -> CrowdRun:
        run = CrowdRun(people=self.people)
        stop, leave = asyncio.Event(), asyncio.Event()
        background = [asyncio.ensure_future(self.probe(stop, run)), asyncio.ensure_future(self.count(stop, run))]
        first = time.monotonic() + 0.2
        cpu_before = self.cpu_seconds()
        step = self.within_s / max(1, len(self.people) - 1)
        joining = [
            asyncio.ensure_future(self.person(me, first + number * step, leave))
            for number, me in enumerate(self.people)
        ]
        while any(not me.answer for me in self.people) and not all(task.done() for task in joining):
            await asyncio.sleep(0.05)
        run.seconds = time.monotonic() - first
        run.cpu_s = self.cpu_seconds() - cpu_before
        stop.set()  # the probe measured the crowd joining; the leaving is not the figure
        await asyncio.gather(*background)
        leave.set()
        await asyncio.gather(*joining)
        await self.emptied()
        return run

    def cpu_seconds(self) -> float:
        if self.web is None:
            return float("nan")
        used = self.web.cpu_times()
        return float(used.user + used.system)

    async def emptied(self, within_s: float = 30.0) -> None:
        """Wait for the database to count nobody connected, so the next crowd starts from an empty room."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            connected, _ = await asyncio.to_thread(counted_connected, self.crowd.target.session_id)
            if connected == 0:
                return
            await asyncio.sleep(0.2)


def join_crowd(base: str, crowd: Crowd, *, people: int, within_s: float, web_pid: int | None = None) -> CrowdRun:
    """One crowd of `people` joining within `within_s` the session of the site at `base` (served by
    `web_pid`, whose CPU time is read)."""
    return asyncio.run(Joins(base, crowd, people, within_s, web_pid).run())


# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    people: int
    welcomed: int
    told_full: int
    unanswered: Counter[str]  # every other ending, by kind
    answer_p50_s: float
    answer_p95_s: float
    answer_max_s: float
    most_counted: int
    probe_count: int
    probe_p95_ms: float
    probe_max_ms: float
    probe_statuses: Counter[str]
    seconds: float
    cpu_s: float

    @property
    def dropped(self) -> int:
        return sum(self.unanswered.values())


def measure(run: CrowdRun) -> Figures:
    times = [me.answer_s for me in run.people if me.answer in ("welcome", "full")]
    answer_times = np.array(times) if times else np.array([float("nan")])
    probes = np.array([probe.ms for probe in run.probes]) if run.probes else np.array([float("nan")])
    return Figures(
        people=len(run.people),
        welcomed=sum(me.answer == "welcome" for me in run.people),
        told_full=sum(me.answer == "full" for me in run.people),
        unanswered=Counter(me.answer for me in run.people if me.answer not in ("welcome", "full")),
        answer_p50_s=float(np.percentile(answer_times, 50)),
        answer_p95_s=float(np.percentile(answer_times, 95)),
        answer_max_s=float(answer_times.max()),
        most_counted=run.most_counted,
        probe_count=len(run.probes),
        probe_p95_ms=float(np.percentile(probes, 95)),
        probe_max_ms=float(probes.max()),
        probe_statuses=Counter(probe.status for probe in run.probes),
        seconds=run.seconds,
        cpu_s=run.cpu_s,
    )


def describe(name: str, figures: Figures) -> str:
    statuses = ", ".join(f"{status} ×{n}" for status, n in sorted(figures.probe_statuses.items()))
    dropped = "; ".join(f"{n} × {end}" for end, n in figures.unanswered.most_common()) or "none"
    return (
        f"{name}: {figures.people} people in {figures.seconds:.1f} s (web CPU {figures.cpu_s:.1f} s): "
        f"{figures.welcomed} welcomed, "
        f"{figures.told_full} told full, dropped unanswered: {dropped}; answer p50 {figures.answer_p50_s:.2f} s, "
        f"p95 {figures.answer_p95_s:.2f} s, max {figures.answer_max_s:.2f} s; at most {figures.most_counted} "
        f"counted connected; probe p95 {figures.probe_p95_ms:.0f} ms, max {figures.probe_max_ms:.0f} ms "
        f"({figures.probe_count} probes: {statuses})"
    )


def goals(figures: Figures, baseline: Figures, *, seats: int, closed_sends: int) -> list[Row]:
    expected_welcomed = min(seats, figures.people)
    answered_in_time = figures.dropped == 0 and figures.answer_max_s <= GOAL_ANSWER_S
    return [
        Row(
            f"{figures.people} joining within a second each welcomed or told full within {GOAL_ANSWER_S:.0f} s",
            f"p50 {figures.answer_p50_s:.2f} s, p95 {figures.answer_p95_s:.2f} s, max {figures.answer_max_s:.2f} s; "
            f"baseline {baseline.people}: p95 {baseline.answer_p95_s:.2f} s, max {baseline.answer_max_s:.2f} s",
            answered_in_time,
        ),
        Row(
            "0 sockets dropped unanswered",
            f"{figures.dropped}"
            + (f" ({dict(figures.unanswered)})" if figures.dropped else "")
            + f"; baseline {baseline.dropped}",
            figures.dropped == 0 and baseline.dropped == 0,
        ),
        Row(
            f"exactly the {seats} seats welcomed, the rest told full, never more counted connected",
            f"{figures.welcomed} welcomed, {figures.told_full} told full; at most {figures.most_counted} counted "
            f"connected; baseline {baseline.welcomed} of {baseline.people} welcomed",
            figures.welcomed == expected_welcomed
            and figures.told_full == figures.people - expected_welcomed
            and figures.most_counted <= seats
            and baseline.welcomed == min(seats, baseline.people),
        ),
        Row(
            f"probe p95 ≤ {GOAL_PROBE_P95_MS:.0f} ms while {figures.people} join",
            f"p95 {figures.probe_p95_ms:.0f} ms, max {figures.probe_max_ms:.0f} ms ({figures.probe_count} probes); "
            f"baseline {baseline.people}: p95 {baseline.probe_p95_ms:.0f} ms",
            figures.probe_p95_ms <= GOAL_PROBE_P95_MS
            and not any(status.startswith(("5", "unanswered")) for status in figures.probe_statuses),
        ),
        Row("no send on a socket already closed (web log)", f"{closed_sends} × “{CLOSED_PROTOCOL}”", closed_sends == 0),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=300, help="people joining at once")
    parser.add_argument("--baseline", type=int, default=50, help="people joining at once in the baseline crowd")
    parser.add_argument("--within", type=float, default=1.0, help="seconds over which each crowd's starts spread")
    add_record_option(parser)
    arguments = parser.parse_args()

    setup_django("session_crowd", redis_db=BENCH_REDIS_DB)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    from django.conf import settings
    from django.db import connection

    from bench.databases import throwaway_database
    from bench.session import report_server_errors
    from devtools.processes import celery_worker, daphne_process

    seats = settings.REVIEW_SESSION_MAX_PARTICIPANTS
    with throwaway_database(announce=True):
        crowd = fill(members=(max(arguments.people, arguments.baseline) + 1) // 2)
        connection.close()  # the bench holds no connection while it measures
        with tempfile.TemporaryFile() as server_log:
            try:
                with (
                    celery_worker(stderr=server_log),  # /healthz asks for one, as `make run` has
                    # A loaded machine (the benches run beside other work) can take longer than 30 s to start it.
                    daphne_process(WEB_ENV, stdout=subprocess.DEVNULL, stderr=server_log, start_timeout=180) as (
                        base,
                        web,
                    ),
                ):
                    print(f"web process {web.pid} at {base}, session {crowd.target.code}; {load()}", flush=True)
                    # A few first, unmeasured: the first joins of a new process pay for what it loads once.
                    join_crowd(base, crowd, people=WARM_PEOPLE, within_s=arguments.within)
                    baseline = measure(
                        join_crowd(base, crowd, people=arguments.baseline, within_s=arguments.within, web_pid=web.pid)
                    )
                    print(describe("baseline", baseline), flush=True)
                    figures = measure(
                        join_crowd(base, crowd, people=arguments.people, within_s=arguments.within, web_pid=web.pid)
                    )
                    print(describe("crowd", figures), flush=True)
            finally:
                server_log.seek(0)
                log = server_log.read().decode(errors="replace")
                report_server_errors(log)
    closed_sends = log.count(CLOSED_PROTOCOL)
    print(f"\n{load()}")
    rows = goals(figures, baseline, seats=seats, closed_sends=closed_sends)
    for row in rows:
        print(f"{row.goal}: {row.figure} — {'met' if row.met else 'NOT MET'}")
    if arguments.record:
        rows.append(Row("machine load at the end (no goal)", load(), None))
        record(bench="session_crowd", path=arguments.record, rows=rows)
    return 0 if all(row.met for row in rows if row.met is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
