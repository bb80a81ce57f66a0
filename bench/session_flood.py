"""A flood of live-session sockets against a served site, with ordinary requests probed beside it
(issue 53: what a hostile or broken crowd of session pages does to everyone else).

    .venv/bin/python bench/session_flood.py [--guests 300] [--seconds 20] [--churn 100] [--record]

Fills a throwaway database (and Redis database 10): a studio on the Team plan, its owner, a ready
video, a comment link to it that lets its guests into sessions, a session the owner started with that
link, and an API token of the studio's. Serves the real app with one daphne as production does
(DEBUG off) and a Celery worker (`/healthz` asks for one), then runs four phases:

- warm (3 s): nothing but the probe;
- flood (`--seconds`): `--guests` guests open the session's socket through the link at once, say
  hello, and each sends clock pings, drawing drafts, presenter states it may not send, and junk (not
  JSON, unknown types) as fast as a script loop can (about 110 frames a second each);
- churn (`--seconds`): `--churn` loops at once open a socket to a session code that does not exist
  and wait for it to be closed, again and again;
- after (15 s, up to a minute more while the database still counts guests connected): quiet.

A probe asks `/healthz`, `/api/v1/videos` and `/api/v1/sessions` (the token) every 0.2 s throughout;
per phase it prints p50/p95/max and the answers by status (a request given up after 10 s is
"unanswered"). Every 0.5 s the bench counts the session's participants the database holds connected
(`open_sockets > 0`, what the seat limit counts; no Celery beat runs, so its sweep of participants
no web process keeps seen does not hide what the sockets fail to count out). At the end: how each
guest's socket ended (welcomed, then closed for flooding 4429; told the session is full; the
handshake failed; …), the churn's sockets by how they ended, and how long after the last guest's
socket closed the count of connected participants came back to 0 (and the count every 10 s).

Goals (printed met/missed, `--record`ed): no 5xx and no probe unanswered in any phase; probe p95 ≤ 1 s
during the flood and during the churn; 0 participants counted connected within 10 s of the flood's
end; every guest beyond REVIEW_SESSION_MAX_PARTICIPANTS told the session is full (every guest not
welcomed was told so, and no more than the limit were counted connected at once). Exits 1 when a goal
is missed. Every process started here is stopped by PID at the end. tests/review_sessions/
test_session_flood.py runs the same code small (a seat limit of 4, 2 s phases).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.django_env import setup_django
from bench.results import Row, add_record_option, record  # found through the path above

BENCH_REDIS_DB = 10
PHASES = ("warm", "flood", "churn", "after")
PROBE_ROUTES = ("/healthz", "/api/v1/videos", "/api/v1/sessions")
PROBE_EVERY_S = 0.2
PROBE_TIMEOUT_S = 10.0
COUNT_EVERY_S = 0.5
AFTER_WAIT_MORE_S = 60.0
GOAL_PROBE_P95_MS = 1000.0
GOAL_EMPTY_WITHIN_S = 10.0
NO_SUCH_CODE = "NOSUCHCODE000"
CLOSE_FLOODING = 4429  # review_sessions.consumers's; the bench reads the site from outside
CLOSE_NOT_FOUND = 4404
WEB_ENV = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "DB_CONN_MAX_AGE": "60",
    # The probe's two API routes every 0.2 s are 600 requests a minute from one token: the API's own
    # limit would answer some 429, which measures the limit, not the flood.
    "API_RATE_LIMIT": "100000/min",
}
# What a guest sends: its loop sleeps this long between rounds; every round a clock ping, every
# second a drawing draft, every third a presenter state (refused: a guest who does not present),
# every fifth a frame that is not JSON and one of an unknown type.
GUEST_ROUND_S = 0.02
DRAFT = {
    "side": "video",
    "time": 1.0,
    "shapes": [{"tool": "pen", "color": "#e53935", "width": 0.005, "points": [[0.1, 0.1], [0.2, 0.2]]}],
}


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The session the guests flood: its code and id, its link's token, and the probe's API token."""

    code: str
    session_id: int
    link_token: str
    api_token: str


def fill() -> Target:
    """A studio with a video, a comment link that allows sessions, a session on the video the owner
    started with that link, and an API token acting in the studio — made through the services."""
    from accounts.models import User
    from accounts.services import api_token_create
    from billing.models import Plan, Wallet
    from billing.wallets import wallet_change_plan
    from review_sessions.services import session_start
    from reviews.models import ShareLink
    from reviews.services import share_link_create
    from videos.models import Video
    from workspaces.current import membership_or_none
    from workspaces.services import workspace_create_team

    owner = User.objects.create_user(email="bench-flood-owner@example.com", display_name="Director")
    wallet_change_plan(wallet=Wallet.objects.get(user=owner), plan=Plan.objects.get(slug="team"))
    studio = workspace_create_team(user=owner, name="Flood Studio")
    in_studio = membership_or_none(owner, studio.pk)
    assert in_studio is not None
    video = Video.objects.create(
        owner=owner, workspace=studio, title="Cut 3", status=Video.Status.READY, duration=120.0, fps=25.0
    )
    _, api_token = api_token_create(user=owner, name="probe", scopes=["read"], workspace_id=studio.pk)
    link, link_token = share_link_create(
        member=in_studio, shared=video, name="client", permission=ShareLink.Permission.COMMENT, allow_sessions=True
    )
    session = session_start(member=in_studio, target=video, link_id=link.pk)
    return Target(code=session.code, session_id=session.pk, link_token=link_token, api_token=api_token)


def counted_connected(session_id: int) -> tuple[int, int]:
    """The session's participants the database counts connected (what the seat limit counts), and how
    many of them no web process keeps seen any more (stale: beat's sweep would count those out; no
    beat runs here, so what the sockets count out themselves is what shows). Run in a worker thread;
    its connection is closed before it returns, so none outlives the database."""
    from django.db import connection
    from django.utils import timezone

    from review_sessions.models import Participant
    from review_sessions.presenters import STALE_AFTER

    try:
        counted = Participant.objects.filter(session_id=session_id, open_sockets__gt=0)
        return counted.count(), counted.filter(last_seen_at__lt=timezone.now() - STALE_AFTER).count()
    finally:
        connection.close()


# --- the run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    phase: str
    route: str
    status: str  # "200", "503", or "unanswered: <why>"
    ms: float


@dataclass
class Guest:
    """One flooding guest: whether it was welcomed, and how its socket ended."""

    welcomed: bool = False
    told_full: bool = False
    sent: int = 0
    end: str = ""


@dataclass
class Run:
    """What one run left to be measured."""

    guests: list[Guest]
    probes: list[Probe] = field(default_factory=list)
    frames: Counter[str] = field(default_factory=Counter)  # frames the guests received, by type
    churn_ends: Counter[str] = field(default_factory=Counter)
    counts: list[tuple[float, int]] = field(default_factory=list)  # (monotonic s, counted connected)
    stale: int = 0  # of the last count, how many no web process keeps seen
    welcomed_at_once: int = 0  # the most guests welcomed and not yet closed, as the guests saw it
    flood_ended_at: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)  # each phase's length
    cpu: dict[str, float] = field(default_factory=dict)  # the web process's CPU seconds in each phase


def describe_close(error: websockets.ConnectionClosed) -> int | None:
    return error.rcvd.code if error.rcvd is not None else None


class Flood:
    """The phases against one served site; `phase` names where the run is for the probe's rows."""

    def __init__(self, base: str, target: Target, guests: int, churn: int, web_pid: int | None = None) -> None:
        self.base = base
        self.web = psutil.Process(web_pid) if web_pid is not None else None
        self.ws = base.replace("http://", "ws://")
        self.target = target
        self.churn = churn
        self.phase = "warm"
        self.run = Run(guests=[Guest() for _ in range(guests)])
        self.open_welcomed = 0

    def cpu_seconds(self) -> float:
        if self.web is None:
            return float("nan")
        used = self.web.cpu_times()
        return float(used.user + used.system)

    async def probe(self, stop: asyncio.Event) -> None:
        token = {"Authorization": f"Bearer {self.target.api_token}"}
        async with httpx.AsyncClient(base_url=self.base, timeout=PROBE_TIMEOUT_S) as client:
            while not stop.is_set():
                for route in PROBE_ROUTES:
                    phase, started = self.phase, time.monotonic()
                    try:
                        answer = await client.get(route, headers={} if route == "/healthz" else token)
                        status = str(answer.status_code)
                    except httpx.HTTPError as error:
                        status = f"unanswered: {type(error).__name__}"
                    self.run.probes.append(Probe(phase, route, status, (time.monotonic() - started) * 1000))
                await asyncio.sleep(PROBE_EVERY_S)

    async def count(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            connected, stale = await asyncio.to_thread(counted_connected, self.target.session_id)
            self.run.counts.append((time.monotonic(), connected))
            self.run.stale = stale
            await asyncio.sleep(COUNT_EVERY_S)

    async def guest(self, number: int, until: float) -> None:
        me = self.run.guests[number]
        url = f"{self.ws}/ws/sessions/{self.target.code}/?link={self.target.link_token}"
        try:
            socket = await websockets.connect(
                url, additional_headers={"Origin": self.base}, open_timeout=30, max_size=None
            )
        except websockets.InvalidStatus as refused:
            me.end = f"handshake refused: {refused.response.status_code}"
            return
        except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
            me.end = f"handshake failed: {type(error).__name__}"
            return
        reader = asyncio.ensure_future(self.read(socket, me))
        hello = {"type": "hello", "name": f"Flood {number}", "reviewer_key": f"flood-{number:035d}"}
        closed_with: int | None = None
        try:
            await socket.send(json.dumps(hello))
            rounds = 0
            while time.monotonic() < until:
                rounds += 1
                for frame in self.frames_of_round(rounds):
                    await socket.send(frame)
                    me.sent += 1
                await asyncio.sleep(GUEST_ROUND_S)
            me.end = "still open when the flood ended"
            await socket.close()
        except websockets.ConnectionClosed as closed:
            closed_with = describe_close(closed)
        await reader  # the frames before the close (a `session.left`) read first
        if me.welcomed:
            self.open_welcomed -= 1
        if me.end:
            return
        if me.told_full:
            me.end = f"told the session is full ({closed_with})"
        elif closed_with == CLOSE_FLOODING:
            me.end = f"closed for flooding ({closed_with})"
        else:
            me.end = f"closed by the server ({closed_with})"

    @staticmethod
    def frames_of_round(rounds: int) -> list[str]:
        frames = [json.dumps({"type": "clock.ping", "id": rounds, "t0": time.time() * 1000})]
        if rounds % 2 == 0:
            frames.append(json.dumps({"type": "drawing.draft", "data": DRAFT}))
        if rounds % 3 == 0:
            state = {"playing": True, "position": 3.0, "rate": 1.0, "at": time.time() * 1000}
            frames.append(json.dumps({"type": "state", "data": state}))
        if rounds % 5 == 0:
            frames += ["not json {", json.dumps({"type": "nonsense"})]
        return frames

    async def read(self, socket: Any, me: Guest) -> None:
        try:
            async for raw in socket:
                frame = json.loads(raw)
                kind = frame.get("type")
                self.run.frames[kind] += 1
                if kind == "welcome":
                    me.welcomed = True
                    self.open_welcomed += 1
                    self.run.welcomed_at_once = max(self.run.welcomed_at_once, self.open_welcomed)
                elif kind == "session.left" and frame.get("data", {}).get("reason") == "full":
                    me.told_full = True
        except websockets.ConnectionClosed:
            pass  # the sender reports how it ended

    async def churn_loop(self, until: float) -> None:
        url = f"{self.ws}/ws/sessions/{NO_SUCH_CODE}/"
        ends = self.run.churn_ends
        while time.monotonic() < until:
            try:
                async with websockets.connect(url, additional_headers={"Origin": self.base}, open_timeout=30) as socket:
                    await socket.recv()
                ends["answered a frame"] += 1
            except websockets.ConnectionClosed as closed:
                ends[f"closed {describe_close(closed)}"] += 1
            except websockets.InvalidStatus as refused:
                ends[f"handshake refused {refused.response.status_code}"] += 1
            except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
                ends[f"handshake failed: {type(error).__name__}"] += 1

    async def phases(self, *, seconds: float, churn_s: float, warm_s: float, after_s: float) -> Run:
        stop = asyncio.Event()
        background = [asyncio.ensure_future(self.probe(stop)), asyncio.ensure_future(self.count(stop))]
        marks = {"warm": time.monotonic()}
        cpu = {"warm": self.cpu_seconds()}
        await asyncio.sleep(warm_s)
        self.phase, marks["flood"], cpu["flood"] = "flood", time.monotonic(), self.cpu_seconds()
        until = time.monotonic() + seconds
        await asyncio.gather(*(self.guest(number, until) for number in range(len(self.run.guests))))
        self.run.flood_ended_at = time.monotonic()
        self.phase, marks["churn"], cpu["churn"] = "churn", time.monotonic(), self.cpu_seconds()
        until = time.monotonic() + churn_s
        await asyncio.gather(*(self.churn_loop(until) for _ in range(self.churn)))
        self.phase, marks["after"], cpu["after"] = "after", time.monotonic(), self.cpu_seconds()
        await asyncio.sleep(after_s)
        # Longer while the database still counts guests connected: how long they stay is the figure.
        limit = time.monotonic() + AFTER_WAIT_MORE_S
        while self.run.counts and self.run.counts[-1][1] > 0 and time.monotonic() < limit:
            await asyncio.sleep(COUNT_EVERY_S)
        marks["end"], cpu["end"] = time.monotonic(), self.cpu_seconds()
        stop.set()
        await asyncio.gather(*background)
        ends = [marks[name] for name in (*PHASES[1:], "end")]
        self.run.seconds = {name: end - marks[name] for name, end in zip(PHASES, ends, strict=True)}
        cpu_ends = [cpu[name] for name in (*PHASES[1:], "end")]
        self.run.cpu = {name: end - cpu[name] for name, end in zip(PHASES, cpu_ends, strict=True)}
        return self.run


def flood(
    base: str,
    target: Target,
    *,
    guests: int,
    seconds: float,
    churn: int,
    churn_s: float | None = None,
    warm_s: float = 3.0,
    after_s: float = 15.0,
    web_pid: int | None = None,
) -> Run:
    """The four phases against the site at `base` (served by `web_pid`, whose CPU time is read), the
    churn as long as the flood unless `churn_s` says; what they left to be measured."""
    flooding = Flood(base, target, guests, churn, web_pid)
    churn_s = seconds if churn_s is None else churn_s
    return asyncio.run(flooding.phases(seconds=seconds, churn_s=churn_s, warm_s=warm_s, after_s=after_s))


# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseFigures:
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    statuses: Counter[str]

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("5"))

    @property
    def unanswered(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("unanswered"))


@dataclass(frozen=True)
class Figures:
    phases: dict[str, PhaseFigures]
    seconds: dict[str, float]
    cpu: dict[str, float]
    guest_ends: Counter[str]
    welcomed: int
    told_full: int
    welcomed_at_once: int
    most_counted_connected: int
    connected_at_flood_end: int | None
    empty_after_s: float | None  # from the flood's end to the first count of 0; None: never
    connected_at_end: int | None
    stale_at_end: int
    draining: list[tuple[float, int]]  # (s after the flood's end, counted connected), every 10 s
    churn_ends: Counter[str]
    churn_per_s: float
    frames: Counter[str]
    frames_sent: int


def by_phase(probes: list[Probe], phase: str) -> PhaseFigures:
    rows = [probe for probe in probes if probe.phase == phase]
    times = np.array([probe.ms for probe in rows]) if rows else np.array([float("nan")])
    return PhaseFigures(
        count=len(rows),
        p50_ms=float(np.percentile(times, 50)),
        p95_ms=float(np.percentile(times, 95)),
        max_ms=float(times.max()),
        statuses=Counter(probe.status for probe in rows),
    )


def draining(counts: list[tuple[float, int]], since: float, every_s: float = 10.0) -> list[tuple[float, int]]:
    """The first count at or after each `every_s` from `since`: whether the count drains or sticks."""
    kept: list[tuple[float, int]] = []
    for at, connected in counts:
        if not kept or at - since >= kept[-1][0] + every_s:
            kept.append((at - since, connected))
    return kept


def measure(run: Run) -> Figures:
    counts_after = [(at, n) for at, n in run.counts if at >= run.flood_ended_at]
    empty = next((at - run.flood_ended_at for at, n in counts_after if n == 0), None)
    return Figures(
        phases={phase: by_phase(run.probes, phase) for phase in PHASES},
        seconds=run.seconds,
        cpu=run.cpu,
        guest_ends=Counter(guest.end for guest in run.guests),
        welcomed=sum(guest.welcomed for guest in run.guests),
        told_full=sum(guest.told_full for guest in run.guests),
        welcomed_at_once=run.welcomed_at_once,
        most_counted_connected=max((n for _, n in run.counts), default=0),
        connected_at_flood_end=counts_after[0][1] if counts_after else None,
        empty_after_s=empty,
        connected_at_end=run.counts[-1][1] if run.counts else None,
        stale_at_end=run.stale,
        draining=draining(counts_after, run.flood_ended_at),
        churn_ends=run.churn_ends,
        churn_per_s=sum(run.churn_ends.values()) / max(run.seconds.get("churn", 0.0), 1e-9),
        frames=run.frames,
        frames_sent=sum(guest.sent for guest in run.guests),
    )


def goals(figures: Figures, *, guests: int, max_participants: int) -> list[Row]:
    flood, churn = figures.phases["flood"], figures.phases["churn"]
    bad = {
        phase: (found.server_errors, found.unanswered)
        for phase, found in figures.phases.items()
        if found.server_errors or found.unanswered
    }
    not_welcomed = guests - figures.welcomed
    return [
        Row(
            "no 5xx and no probe unanswered in any phase",
            "none" if not bad else "; ".join(f"{phase}: {e} × 5xx, {u} unanswered" for phase, (e, u) in bad.items()),
            not bad,
        ),
        Row(
            f"probe p95 ≤ {GOAL_PROBE_P95_MS:.0f} ms during the flood, {guests} guests",
            f"p95 {flood.p95_ms:.0f} ms, p50 {flood.p50_ms:.0f} ms, max {flood.max_ms:.0f} ms "
            f"({flood.count} probes); quiet before: p95 {figures.phases['warm'].p95_ms:.0f} ms",
            flood.p95_ms <= GOAL_PROBE_P95_MS,
        ),
        Row(
            f"probe p95 ≤ {GOAL_PROBE_P95_MS:.0f} ms during the churn",
            f"p95 {churn.p95_ms:.0f} ms, p50 {churn.p50_ms:.0f} ms, max {churn.max_ms:.0f} ms; "
            f"{figures.churn_per_s:.0f} sockets opened and closed a second",
            churn.p95_ms <= GOAL_PROBE_P95_MS,
        ),
        Row(
            f"0 participants counted connected within {GOAL_EMPTY_WITHIN_S:.0f} s of the flood's end",
            f"{figures.connected_at_flood_end} at its end, 0 after "
            + (f"{figures.empty_after_s:.1f} s" if figures.empty_after_s is not None else "never")
            + f"; {figures.connected_at_end} at the run's end ({figures.stale_at_end} of them stale)",
            figures.empty_after_s is not None
            and figures.empty_after_s <= GOAL_EMPTY_WITHIN_S
            and figures.connected_at_end == 0,
        ),
        Row(
            f"every guest beyond the {max_participants} seats told the session is full",
            f"{figures.welcomed} welcomed, {figures.told_full} told full of {not_welcomed} not welcomed; "
            f"at most {figures.most_counted_connected} counted connected at once",
            figures.told_full == not_welcomed and figures.most_counted_connected <= max_participants,
        ),
    ]


def report(figures: Figures) -> None:
    for phase, found in figures.phases.items():
        statuses = ", ".join(f"{status} ×{n}" for status, n in sorted(found.statuses.items()))
        print(
            f"{phase:6s} {figures.seconds[phase]:4.1f} s, web CPU {figures.cpu[phase]:4.1f} s; "
            f"probes {found.count}: p50 {found.p50_ms:.0f} ms, p95 {found.p95_ms:.0f} ms, "
            f"max {found.max_ms:.0f} ms; {statuses}"
        )
    print(
        f"guests: {figures.welcomed} welcomed (at most {figures.welcomed_at_once} open at once), "
        f"{figures.told_full} told full; {figures.frames_sent} frames sent"
    )
    for end, n in figures.guest_ends.most_common():
        print(f"  {n} × {end}")
    print(f"frames the guests received: {dict(figures.frames.most_common())}")
    print(f"churn: {figures.churn_per_s:.0f} sockets a second; {dict(figures.churn_ends.most_common())}")
    print(
        f"counted connected: at most {figures.most_counted_connected}, {figures.connected_at_flood_end} when the "
        f"flood ended, 0 after {figures.empty_after_s} s, {figures.connected_at_end} at the end "
        f"({figures.stale_at_end} of them no longer kept seen by the web process)"
    )
    print("  after the flood's end: " + ", ".join(f"{at:.0f} s {n}" for at, n in figures.draining))


def load() -> str:
    """The machine's load averages (1, 5, 15 min): the machine is shared and the figures depend on it."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f} on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guests", type=int, default=300, help="guests flooding the session")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the flood and of the churn")
    parser.add_argument("--churn", type=int, default=100, help="sockets opened and dropped at once in the churn")
    add_record_option(parser)
    arguments = parser.parse_args()

    setup_django("session_flood", redis_db=BENCH_REDIS_DB)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    from django.conf import settings
    from django.db import connection

    from bench.databases import throwaway_database
    from bench.session import report_server_errors
    from devtools.processes import celery_worker, daphne_process

    max_participants = settings.REVIEW_SESSION_MAX_PARTICIPANTS
    with throwaway_database(announce=True):
        target = fill()
        connection.close()  # the bench holds no connection while it measures
        with tempfile.TemporaryFile() as server_log:
            try:
                with (
                    celery_worker(stderr=server_log),  # /healthz asks for one, as `make run` has
                    daphne_process(WEB_ENV, stdout=subprocess.DEVNULL, stderr=server_log) as (base, web),
                ):
                    print(f"web process {web.pid} at {base}, session {target.code}; {load()}", flush=True)
                    run = flood(
                        base,
                        target,
                        guests=arguments.guests,
                        seconds=arguments.seconds,
                        churn=arguments.churn,
                        web_pid=web.pid,
                    )
            finally:
                server_log.seek(0)
                report_server_errors(server_log.read().decode(errors="replace"))
    figures = measure(run)
    report(figures)
    print(f"\n{arguments.guests} guests, {arguments.seconds:.0f} s flood and churn of {arguments.churn}; {load()}")
    rows = goals(figures, guests=arguments.guests, max_participants=max_participants)
    for row in rows:
        print(f"{row.goal}: {row.figure} — {'met' if row.met else 'NOT MET'}")
    if arguments.record:
        ends = ", ".join(f"{n} {end}" for end, n in figures.guest_ends.most_common())
        rows.append(Row("how the guests' sockets ended (no goal)", f"{ends}; {load()} at the end", None))
        record(bench="session_flood", path=arguments.record, rows=rows)
    return 0 if all(row.met for row in rows if row.met is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
