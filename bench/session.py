"""Everyone in step in a review session: followers against the presenter's picture (issue 62,
part 4), and the simulated crowd's drift and seek-to-all (issue 53, part 2).

    .venv/bin/python bench/session.py [--runs 3] [--cpu both|idle|busy] [--quick] [--trace]
        [--simulated [--followers 50] [--no-browser] [--seed 53]] [--record]

Fills a throwaway database (and Redis database 11): a studio on the Team plan, its owner (the
presenter) and one commenter per follower, a ready video at 29.97 fps whose frames show their
numbers (`sage.synthetic_media.numbered_videos`); serves the real app with daphne as production does
(DEBUG off, static files collected); then, `--runs` times with the CPU idle and as many times with
every core kept busy by a spinning process (`--cpu`), each on a session of its own started through
the API: the presenter's Chromium page and two Chromium followers, the presenter's player used as a
person would (play, seeks while playing, rate 1.5 and back, pause, a seek while paused, play, pause);
bench/session_picture.py says what is measured. Goals (issue 62): after every presenter action every
follower within one frame of the presenter's picture within 500 ms; while playing, within one frame
(p95). Each run's figures are printed, then all runs' together with the spread; with `--trace`,
each action's timeline (bench/session_picture.py `trace_text`).

With `--simulated`, as before (issue 53):

- 1 presenter and `--followers` simulated followers (devtools/session_client.py: sockets driven
  by a headless client whose players follow the contract's Client sync rules, each on a device
  clock off by up to ±2 s and drifting 50 ppm, each jump stalled by a random 0–40 ms of decoding)
  and 3 real Chromium followers on the session page `/sessions/<code>/`;
- a scripted review: play 20 s, 5 seeks 4 s apart, rate 1.5 for 10 s, rate 1, pause, play again;
- twice: with every frame each way delayed 20–80 ms (order kept; Playwright's `route_web_socket`
  for the browsers) and without (the baseline), each on a session of its own.

Figures (a follower's error: its player's position minus the presenter's ideal playhead at the
same wall time, read by this process, which shares the machine's clock with every participant):
- drift while playing: p50/p95/max of |error| over ticks (every 250 ms) after the first 2 s that
  follow each change (play, seek, rate), split by the change before them; the first 2 s are
  "settling" (counted once the follower has the change's state: before it, a seek's error is the
  seek's distance, which seek-to-all measures);
- seek-to-all: from the presenter's seek being sent to each follower's jump (a Chromium page's
  `seeking`); p95 over followers and seeks, and the max (the seek's arrival at the last follower),
  with the share spent between the presenter's socket and each simulated follower's (the server);
- Chromium: the same against the page's `video` currentTime read with `Date.now()` in the page, and
  the page's own `data-session-error-ms` beside it (their p95 difference: the cross-check); a page
  that stops following by itself (its `following` turns false though nobody used its player) is
  counted apart (goal: none), its reads after that left out of drift.
Goals (issue 53): drift p95 ≤ 40 ms while playing and seek-to-all p95 ≤ 150 ms, with jitter; each
printed with its ratio to the baseline. These measure followers against the announced state, not
the presenter's picture. `--quick` shortens both scripts. Every process started here is stopped by
PID at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.django_env import setup_django
from bench.results import Row, add_record_option, record  # found through the path above
from bench.session_picture import (
    PictureFigures,
    picture_figures,
    picture_goals,
    picture_review,
    picture_script,
    report_picture,
    trace_text,
)
from devtools.session_client import (
    TICK_S,
    DeviceClock,
    Follower,
    Jitter,
    Presenter,
    wall_ms,
)

BENCH_REDIS_DB = 11
GOAL_DRIFT_P95_MS = 40.0
GOAL_SEEK_P95_MS = 150.0
SETTLE_S = 2.0
DECODE_MS = 40.0
BROWSERS = 3
PICTURE_FOLLOWERS = 2
VIDEO_SECONDS = 150
VIDEO_RATE = Fraction(30000, 1001)
VIDEO_SIZE = (320, 180)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
SESSION_COOKIE = "sessionid"
WEB_ENV = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "DB_CONN_MAX_AGE": "60",
    "API_RATE_LIMIT": "100000/min",
}
# What a browser's page records: each `seeking` of a media element, with the page's Date.now().
SEEK_RECORDER = """
window.__sessionSeeks = [];
document.addEventListener("seeking", (event) => {
  window.__sessionSeeks.push({ wall: Date.now(), time: event.target.currentTime });
}, true);
"""
READ_PLAYER = """
() => {
  const root = document.querySelector("[data-session-error-ms]");
  const video = document.querySelector("video.player");
  return {
    wall: Date.now(),
    time: video ? video.currentTime : null,
    paused: video ? video.paused : null,
    reported: root ? root.dataset.sessionErrorMs : null,
    following: root && root.liveSession ? root.liveSession.following : null,
    banner: root ? (root.querySelector("[data-session-banner]") || {}).textContent || "" : "",
  };
}
"""


# --- the script ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """After `wait_s` from the step before, the presenter does `action` (with `value`)."""

    wait_s: float
    action: str  # play | pause | seek | rate
    value: float = 0.0


def script(quick: bool) -> list[Step]:
    """The review: play, five seeks, rate 1.5 and back, pause and play again; positions stay inside
    the video at every rate."""
    play, gap, fast, after = (6.0, 2.5, 5.0, 4.0) if quick else (20.0, 4.0, 10.0, 6.0)
    seeks = (62.0, 14.0, 48.0, 90.0, 30.0)
    return [
        Step(0.0, "play"),
        *(Step(play if number == 0 else gap, "seek", position) for number, position in enumerate(seeks)),
        Step(gap, "rate", 1.5),
        Step(fast, "rate", 1.0),
        Step(after, "pause"),
        Step(3.0, "play"),
        Step(after, "pause"),
    ]


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seats:
    """Who takes part: the presenter's and each follower's session cookie (acting in the studio)."""

    presenter: str
    followers: list[str]
    video_id: int


def fill(followers: int, media_root: Path) -> Seats:
    """The studio, its owner and `followers` commenters signed in, and a ready video with a file."""
    from django.test import Client

    from accounts.models import User
    from billing.models import Plan, Wallet
    from billing.wallets import wallet_change_plan
    from sage.synthetic_media.numbered_videos import make_numbered_video
    from videos.models import Video
    from workspaces.current import SESSION_KEY
    from workspaces.models import Membership, Role
    from workspaces.services import workspace_create_team

    owner = User.objects.create_user(email="bench-session-owner@example.com", display_name="Director")
    wallet_change_plan(wallet=Wallet.objects.get(user=owner), plan=Plan.objects.get(slug="team"))
    studio = workspace_create_team(user=owner, name="Bench Studio")
    people = [
        User.objects.create_user(email=f"bench-session-{number}@example.com", display_name=f"Reviewer {number}")
        for number in range(followers)
    ]
    # Straight in, past the seat count: the bench measures a session of this size, whatever plan sells it.
    Membership.objects.bulk_create(Membership(workspace=studio, user=user, role=Role.COMMENTER) for user in people)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "cut.mp4"
        width, height = VIDEO_SIZE
        frames = math.floor(VIDEO_SECONDS * VIDEO_RATE)
        make_numbered_video(source, rate=VIDEO_RATE, frame_count=frames, width=width, height=height)
        video = Video.objects.create(
            owner=owner,
            workspace=studio,
            title="Cut 3",
            status=Video.Status.READY,
            duration=float(frames / VIDEO_RATE),
            width=width,
            height=height,
            fps=float(VIDEO_RATE),
            backends={"clips": "local"},
            original_plays=True,  # H.264/AAC in MP4: the page plays the file as it is
        )
        key = f"videos/{video.pk}/original.mp4"
        (media_root / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, media_root / key)
        Video.objects.filter(pk=video.pk).update(storage_key=key, size=(media_root / key).stat().st_size)
    print(f"video of {VIDEO_SECONDS} s made in {time.perf_counter() - started:.1f} s", flush=True)

    def signed_in(user: User) -> str:
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = studio.pk  # acting in the studio, as the header's switcher leaves it
        session.save()
        return str(session.session_key)

    return Seats(presenter=signed_in(owner), followers=[signed_in(user) for user in people], video_id=video.pk)


def start_session(base: str, cookie: str, video_id: int) -> str:
    """A session on the video through the API, as the video page's button starts one; its code."""
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: cookie}, timeout=30) as client:
        page = client.get("/videos/")  # any page with a form sets the CSRF cookie
        csrf = page.cookies.get("csrftoken") or client.cookies.get("csrftoken")
        if page.status_code != 200 or csrf is None:
            raise SystemExit(f"the library answered {page.status_code} with no CSRF cookie")
        client.cookies.set("csrftoken", csrf)  # the site marks it Secure (DEBUG off); this is plain HTTP
        made = client.post("/api/v1/sessions", json={"video": video_id}, headers={"X-CSRFToken": csrf})
        if made.status_code != 201:
            raise SystemExit(f"starting a session answered {made.status_code}: {made.text[:300]}")
        return str(made.json()["code"])


# --- one review ----------------------------------------------------------------------------------


@dataclass
class BrowserFollower:
    """A Chromium page following the session: its reads of the player, and its seeks."""

    page: Any
    reads: list[dict[str, Any]] = field(default_factory=list)
    seeks: list[dict[str, float]] = field(default_factory=list)


@dataclass
class Review:
    """What one scripted review leaves to be measured."""

    presenter: Presenter
    followers: list[Follower]
    browsers: list[BrowserFollower]
    settle_s: float = SETTLE_S


async def jittered_route(route: Any, jitter: Jitter, rng: random.Random) -> None:
    """Playwright's socket route with each frame each way delayed, order kept (a queue a direction)."""
    server = route.connect_to_server()
    loop = asyncio.get_running_loop()
    queues: dict[str, asyncio.Queue[tuple[float, str | bytes]]] = {"up": asyncio.Queue(), "down": asyncio.Queue()}

    async def pump(direction: str, send: Callable[[str | bytes], None]) -> None:
        while True:
            due, message = await queues[direction].get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            with contextlib.suppress(Exception):  # the page or the server went away
                send(message)

    tasks = [asyncio.ensure_future(pump("up", server.send)), asyncio.ensure_future(pump("down", route.send))]
    route.on_message(lambda message: queues["up"].put_nowait((loop.time() + jitter.delay_s(rng), message)))
    server.on_message(lambda message: queues["down"].put_nowait((loop.time() + jitter.delay_s(rng), message)))

    def closed(*_: Any) -> None:
        for task in tasks:
            task.cancel()

    route.on_close(closed)
    server.on_close(closed)


async def open_browsers(
    browser: Any, base: str, code: str, cookies: list[str], jitter: Jitter | None, rng: random.Random
) -> list[BrowserFollower]:
    opened = []
    for cookie in cookies:
        context = await browser.new_context()
        await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": base}])
        await context.add_init_script(SEEK_RECORDER)
        if jitter is not None:
            await context.route_web_socket(
                lambda url: "/ws/sessions/" in url,
                lambda route: asyncio.ensure_future(jittered_route(route, jitter, rng)),
            )
        page = await context.new_page()
        await page.goto(f"{base}/sessions/{code}/")
        # Nothing happens before the person presses Join (the click lets the page play sound).
        await page.locator("[data-session-join] [type=submit]").click()
        await page.wait_for_selector('[data-session][data-session-connection="online"]', timeout=30_000)
        opened.append(BrowserFollower(page))
    return opened


async def read_browsers(browsers: list[BrowserFollower], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for browser in browsers:
            with contextlib.suppress(Exception):
                browser.reads.append(await browser.page.evaluate(READ_PLAYER))
        await asyncio.sleep(TICK_S)


async def review(
    base: str,
    code: str,
    seats: Seats,
    *,
    steps: list[Step],
    jitter: Jitter | None,
    browser: Any,
    browser_cookies: list[str],
    seed: int,
) -> Review:
    ws = base.replace("http://", "ws://") + f"/ws/sessions/{code}/"
    rng = random.Random(seed)  # noqa: S311 - clock skews and delays, not secrets; seeded so runs compare

    def headers(cookie: str) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={cookie}", "Origin": base}

    presenter = Presenter(ws, headers=headers(seats.presenter), jitter=jitter, seed=seed)
    await presenter.start()
    followers = [
        Follower(
            ws,
            headers=headers(cookie),
            clock=DeviceClock.skewed(rng),
            jitter=jitter,
            decode_ms=DECODE_MS,
            seed=seed * 1000 + number,
        )
        for number, cookie in enumerate(seats.followers)
    ]
    await asyncio.gather(*(follower.start() for follower in followers))
    browsers = await open_browsers(browser, base, code, browser_cookies, jitter, rng) if browser else []
    await asyncio.sleep(SETTLE_S + 0.5)  # every clock estimate made (fast pings for 2 s)
    stop = asyncio.Event()
    reader = asyncio.ensure_future(read_browsers(browsers, stop))
    actions: dict[str, Callable[[float], Awaitable[None]]] = {
        "play": lambda _: presenter.play(),
        "pause": lambda _: presenter.pause(),
        "seek": presenter.seek,
        "rate": presenter.set_rate,
    }
    for step in steps:
        await asyncio.sleep(step.wait_s)
        await actions[step.action](step.value)
    await asyncio.sleep(1.0)  # the last state's arrival
    stop.set()
    await reader
    for page_follower in browsers:
        page_follower.seeks = await page_follower.page.evaluate("() => window.__sessionSeeks")
        await page_follower.page.context.close()
    await asyncio.gather(*(follower.stop() for follower in followers))
    await presenter.stop()
    return Review(presenter, followers, browsers)


# --- figures -------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Errors in ms by when they were taken, and seek delays in ms."""

    steady: dict[str, list[float]] = field(default_factory=lambda: {"play": [], "seek": [], "rate": []})
    settling: list[float] = field(default_factory=list)
    seek_delays: list[float] = field(default_factory=list)
    seek_to_last: list[float] = field(default_factory=list)  # per seek: its arrival at the last follower
    seek_through_server: list[float] = field(default_factory=list)  # presenter's socket -> follower's socket
    clock_errors: list[float] = field(default_factory=list)  # |server time estimate - true|, ms
    browser_steady: list[float] = field(default_factory=list)
    browser_seek_delays: list[float] = field(default_factory=list)
    browser_cross_check: list[float] = field(default_factory=list)  # |page's own error - measured|, ms
    browser_stepped_out: list[str] = field(default_factory=list)  # per page that stopped following: its banner
    seeks_missed: int = 0  # (seek, follower) pairs where the follower never jumped there
    followers_over_goal: int = 0  # simulated followers with any steady sample over the drift goal
    slowest_states: list[float] = field(default_factory=list)  # per state: socket to the last follower's, ms

    @property
    def seek_to_all(self) -> list[float]:
        """Every follower's delay for every seek, simulated and Chromium alike."""
        return self.seek_delays + self.browser_seek_delays

    @property
    def steady_all(self) -> list[float]:
        return [error for errors in self.steady.values() for error in errors]


def phase(presenter: Presenter, wall: float, settle_s: float) -> tuple[str, int] | None:
    """When the presenter was playing at `wall`: ("settling" or the kind of the change before,
    index of that change); None while paused or before the first play."""
    before = [(index, change) for index, change in enumerate(presenter.changes) if change.wall_ms <= wall]
    if not before or before[-1][1].kind == "pause":
        return None
    index, change = before[-1]
    # A pause then play is a start like the first: its steady samples count as "play".
    kind = "play" if change.kind == "play" else change.kind
    if wall - change.wall_ms < settle_s * 1000:
        return "settling", index
    return kind, index


def measure(run: Review) -> Figures:
    presenter = run.presenter
    figures = Figures()
    change_seqs = [presenter.change_seq(change) for change in presenter.changes]
    for follower in run.followers:
        over = False
        for sample in follower.samples:
            where = phase(presenter, sample.wall_ms, run.settle_s)
            if where is None:
                continue
            error = abs(sample.position - presenter.ideal(sample.wall_ms)) * 1000
            kind, index = where
            if kind != "settling":
                figures.steady[kind].append(error)
                over = over or error > GOAL_DRIFT_P95_MS
            elif (seq := change_seqs[index]) is not None and sample.seq >= seq:
                figures.settling.append(error)
        figures.clock_errors.append(abs(follower.server_now() - wall_ms()))
        figures.followers_over_goal += over
    # Whether a late figure is the server holding a state up (every follower late alike) or a few.
    for seq, left in presenter.seq_left_at.items():
        arrivals = [follower.state_arrived_ms[seq] for follower in run.followers if seq in follower.state_arrived_ms]
        if arrivals:
            figures.slowest_states.append(max(arrivals) - left)
    for change, seek_seq in zip(presenter.changes, change_seqs, strict=True):
        if change.kind != "seek" or seek_seq is None:
            continue
        found = [
            next((jump.wall_ms - change.wall_ms for jump in follower.jumps if jump.seq == seek_seq), None)
            for follower in run.followers
        ]
        delays = [delay for delay in found if delay is not None]
        figures.seeks_missed += len(found) - len(delays)
        figures.seek_delays += delays
        if (seek_left := presenter.seq_left_at.get(seek_seq)) is not None:
            figures.seek_through_server += [
                follower.state_arrived_ms[seek_seq] - seek_left
                for follower in run.followers
                if seek_seq in follower.state_arrived_ms
            ]
        figures.seek_to_last.append(max(delays, default=np.nan))
    for page in run.browsers:
        # A page that stopped following by itself (nobody used its player) is a failure of its own,
        # counted apart: its error after that is no drift, it is no longer trying.
        stopped = next((read for read in page.reads if read.get("following") is False), None)
        if stopped is not None:
            figures.browser_stepped_out.append(str(stopped.get("banner") or "").strip())
        for read in page.reads:
            if read["time"] is None or read.get("following") is False:
                continue
            where = phase(presenter, read["wall"], run.settle_s)
            if where is None or where[0] == "settling":
                continue
            measured = (read["time"] - presenter.ideal(read["wall"])) * 1000
            figures.browser_steady.append(abs(measured))
            if read["reported"] not in (None, ""):
                figures.browser_cross_check.append(abs(float(read["reported"]) - measured))
        for change in presenter.changes:
            if change.kind != "seek":
                continue
            after = [seek["wall"] for seek in page.seeks if change.wall_ms <= seek["wall"] <= change.wall_ms + 2000]
            if after:
                figures.browser_seek_delays.append(min(after) - change.wall_ms)
            else:
                figures.seeks_missed += 1  # a page that stopped following, or lost the seek
    return figures


def spread(values: list[float]) -> str:
    if not values:
        return "no samples"
    array = np.asarray(values)
    return (
        f"p50 {np.median(array):.1f} ms, p95 {np.percentile(array, 95):.1f} ms, max {array.max():.1f} ms "
        f"({len(values):,})"
    )


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def report(name: str, figures: Figures) -> None:
    print(f"\n{name}")
    print(f"  drift while playing, after settling: {spread(figures.steady_all)}")
    for kind, label in (("play", "after play"), ("seek", "after seeks"), ("rate", "after rate changes")):
        print(f"    {label}: {spread(figures.steady[kind])}")
    print(f"  settling (first {SETTLE_S:.0f} s after a change, once its state arrived): {spread(figures.settling)}")
    print(f"    followers with any sample over {GOAL_DRIFT_P95_MS:.0f} ms: {figures.followers_over_goal}")
    print(f"  every state, presenter's socket → the last follower's: {spread(figures.slowest_states)}")
    print(f"  seek → each follower's jump: {spread(figures.seek_delays)}")
    print(f"    of which the server (presenter's socket → follower's socket): {spread(figures.seek_through_server)}")
    print(f"  seeks a follower never applied: {figures.seeks_missed}")
    print(f"  seek → the last follower, per seek: {', '.join(f'{delay:.0f}' for delay in figures.seek_to_last)} ms")
    print(f"  followers' server-clock estimate off by: {spread(figures.clock_errors)}")
    if figures.browser_steady or figures.browser_seek_delays:
        print(f"  Chromium drift while playing, after settling: {spread(figures.browser_steady)}")
        print(f"  Chromium seek → the page's seeking: {spread(figures.browser_seek_delays)}")
        print(f"  Chromium data-session-error-ms vs measured, |difference|: {spread(figures.browser_cross_check)}")
        print(f"  Chromium pages that stopped following by themselves: {len(figures.browser_stepped_out)}")
        for banner in figures.browser_stepped_out:
            print(f"    its banner: {banner!r}")


def report_server_errors(log: str) -> None:
    """The web process's errors, each kind once with its count (a kind can repeat per socket)."""
    kinds: Counter[str] = Counter(line.split(" ERROR ", 1)[1] for line in log.splitlines() if " ERROR " in line)
    for kind, count in kinds.most_common(10):
        print(f"server error ×{count}: {kind[:300]}")


# --- the run -------------------------------------------------------------------------------------


async def both_reviews(
    base: str, seats: Seats, arguments: argparse.Namespace, steps: list[Step]
) -> tuple[Figures, Figures]:
    from playwright.async_api import async_playwright

    browser_cookies = seats.followers[: 0 if arguments.no_browser else BROWSERS]
    simulated = Seats(seats.presenter, seats.followers[len(browser_cookies) :], seats.video_id)
    results = []
    async with async_playwright() as playwright:
        browser = None
        if browser_cookies:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, jitter in (("baseline, no jitter", None), ("jitter 20–80 ms a frame each way", Jitter())):
                code = await asyncio.to_thread(start_session, base, seats.presenter, seats.video_id)
                print(f"{label}: session {code}", flush=True)
                run = await review(
                    base,
                    code,
                    simulated,
                    steps=steps,
                    jitter=jitter,
                    browser=browser,
                    browser_cookies=browser_cookies,
                    seed=arguments.seed,
                )
                figures = measure(run)
                report(label, figures)
                results.append(figures)
        finally:
            if browser is not None:
                await browser.close()
    return results[0], results[1]


@contextlib.contextmanager
def busy_cpu(busy: bool) -> Iterator[None]:
    """Every core kept busy by a spinning process while the block runs (or nothing); each stopped by
    its PID at the end."""
    count = (os.cpu_count() or 1) if busy else 0
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


async def picture_reviews(base: str, seats: Seats, arguments: argparse.Namespace) -> dict[str, list[PictureFigures]]:
    """`--runs` picture reviews per CPU condition; each run's figures, by condition."""
    from playwright.async_api import async_playwright

    conditions = {"both": ("idle", "busy"), "idle": ("idle",), "busy": ("busy",)}[arguments.cpu]
    steps = picture_script(arguments.quick)
    results: dict[str, list[PictureFigures]] = {condition: [] for condition in conditions}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for number in range(arguments.runs):
                for condition in conditions:
                    code = await asyncio.to_thread(start_session, base, seats.presenter, seats.video_id)
                    with busy_cpu(condition == "busy"):
                        run = await picture_review(
                            browser,
                            base,
                            code,
                            (seats.presenter, seats.followers[:PICTURE_FOLLOWERS]),
                            steps,
                            size=VIDEO_SIZE,
                            rate=VIDEO_RATE,
                            cookie_name=SESSION_COOKIE,
                        )
                    figures = picture_figures(run)
                    report_picture(f"picture, CPU {condition}, run {number + 1} (session {code})", figures)
                    if arguments.trace:
                        print(trace_text(run))
                    results[condition].append(figures)
        finally:
            await browser.close()
    return results


def picture_spread(runs: list[PictureFigures]) -> str:
    """Each run's worst settle and steady p95, as a spread over the runs."""
    worst = [max((v for values in run.settle_ms.values() for v in values), default=math.inf) for run in runs]
    p95s = [float(np.percentile(run.steady_frames, 95)) if run.steady_frames else math.nan for run in runs]
    return (
        f"per run: slowest action {', '.join(f'{value:.0f}' for value in worst)} ms; "
        f"playing p95 {', '.join(f'{value:.0f}' for value in p95s)} frames"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="picture reviews per CPU condition")
    parser.add_argument("--cpu", choices=("both", "idle", "busy"), default="both")
    parser.add_argument("--simulated", action="store_true", help="also the simulated crowd (issue 53)")
    parser.add_argument("--followers", type=int, default=50, help="simulated followers")
    parser.add_argument("--quick", action="store_true", help="shorter scripts")
    parser.add_argument("--trace", action="store_true", help="print where each action's time went")
    parser.add_argument("--no-browser", action="store_true", help="no Chromium followers in the simulated review")
    parser.add_argument("--seed", type=int, default=53)
    add_record_option(parser)
    arguments = parser.parse_args()
    steps = script(arguments.quick)
    browsers = 0 if arguments.no_browser else BROWSERS
    simulated_followers = arguments.followers + browsers if arguments.simulated else 0

    setup_django("session", redis_db=BENCH_REDIS_DB)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    from django.db import connection

    from bench.databases import throwaway_database
    from devtools.processes import BASE_DIR, VENV_BIN, daphne_process, server_env

    # DEBUG off serves pages with hashed static names from a manifest, as a deployment does after
    # collectstatic (the development settings keep no manifest: it is written with DEBUG off).
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=server_env(**WEB_ENV),
        check=True,
    )
    with throwaway_database(announce=True), tempfile.TemporaryDirectory() as media:
        seats = fill(max(PICTURE_FOLLOWERS, simulated_followers), Path(media))
        connection.close()  # the bench holds no connection while it measures
        with tempfile.TemporaryFile() as server_log:
            try:
                with daphne_process({**WEB_ENV, "MEDIA_ROOT": media}, stdout=subprocess.DEVNULL, stderr=server_log) as (
                    base,
                    web,
                ):
                    print(f"web process {web.pid} at {base}", flush=True)
                    pictures = asyncio.run(picture_reviews(base, seats, arguments))
                    if arguments.simulated:
                        baseline, jittered = asyncio.run(both_reviews(base, seats, arguments, steps))
            finally:
                server_log.seek(0)
                report_server_errors(server_log.read().decode(errors="replace"))

    goals = []
    print(f"\nagainst the presenter's picture, {PICTURE_FOLLOWERS} Chromium followers, {arguments.runs} runs each")
    for condition, runs in pictures.items():
        together = PictureFigures()
        for run in runs:
            together.add(run)
        report_picture(f"CPU {condition}, all {len(runs)} runs", together)
        print(f"  {picture_spread(runs)}")
        for goal, figure, met in picture_goals(together):
            goals.append((f"{goal}, CPU {condition}, {len(runs)} runs", f"{figure} ({picture_spread(runs)})", met))
    if arguments.simulated:
        goals += simulated_goals(arguments, browsers, baseline, jittered)
    rows = []
    print()
    for goal, figure, met in goals:
        print(f"{goal}: {figure} — {'met' if met else 'NOT MET'}")
        rows.append(Row(goal, figure, met))
    if arguments.simulated:
        rows.append(
            Row(
                "settling: first 2 s after a change, jitter (no goal)",
                f"p95 {p95(jittered.settling):.1f} ms; after seeks p95 {p95(jittered.steady['seek']):.1f} ms, "
                f"after rate changes p95 {p95(jittered.steady['rate']):.1f} ms",
                None,
            )
        )
    if arguments.record:
        record(bench="session", path=arguments.record, rows=rows)
    return 0 if all(met for _, _, met in goals) else 1


def simulated_goals(
    arguments: argparse.Namespace, browsers: int, baseline: Figures, jittered: Figures
) -> list[tuple[str, str, bool]]:
    """Issue 53's goals for the simulated crowd and its Chromium followers (against the announced state)."""
    drift, drift_base = p95(jittered.steady_all), p95(baseline.steady_all)
    seek, seek_base = p95(jittered.seek_to_all), p95(baseline.seek_to_all)
    browser_drift, browser_drift_base = p95(jittered.browser_steady), p95(baseline.browser_steady)
    seek_max = max(jittered.seek_to_all, default=float("nan"))
    who = f"{arguments.followers} simulated followers" + (f" + {browsers} Chromium" if browsers else "")
    print(f"\n{who}, {'quick' if arguments.quick else 'full'} script")
    goals = [
        (
            f"drift p95 ≤ {GOAL_DRIFT_P95_MS:.0f} ms while playing, jitter 20–80 ms, {arguments.followers} simulated",
            f"p95 {drift:.1f} ms, max {max(jittered.steady_all, default=float('nan')):.1f} ms; "
            f"no jitter p95 {drift_base:.1f} ms (ratio {drift / drift_base:.2f}×)",
            drift <= GOAL_DRIFT_P95_MS,
        ),
        (
            f"seek-to-all p95 ≤ {GOAL_SEEK_P95_MS:.0f} ms, jitter 20–80 ms, {who}",
            f"p95 {seek:.1f} ms, max {seek_max:.1f} ms; no jitter p95 {seek_base:.1f} ms "
            f"(ratio {seek / seek_base:.2f}×); socket to socket through the server p95 "
            f"{p95(jittered.seek_through_server):.1f} ms, the rest the link's two delays; "
            f"seeks never applied: {jittered.seeks_missed} (no jitter {baseline.seeks_missed})",
            seek <= GOAL_SEEK_P95_MS and jittered.seeks_missed == 0,
        ),
    ]
    if browsers:
        goals.append(
            (
                f"drift p95 ≤ {GOAL_DRIFT_P95_MS:.0f} ms while playing, jitter 20–80 ms, {browsers} Chromium",
                f"p95 {browser_drift:.1f} ms, max {max(jittered.browser_steady, default=float('nan')):.1f} ms; "
                f"no jitter p95 {browser_drift_base:.1f} ms; seek → page p95 "
                f"{p95(jittered.browser_seek_delays):.1f} ms; page's own error vs measured p95 "
                f"{p95(jittered.browser_cross_check):.1f} ms",
                browser_drift <= GOAL_DRIFT_P95_MS,
            )
        )
        stepped_out = len(baseline.browser_stepped_out) + len(jittered.browser_stepped_out)
        goals.append(
            (
                "no Chromium follower stops following by itself, with and without jitter",
                f"{stepped_out} of {2 * browsers} pages",
                stepped_out == 0,
            )
        )
    return goals


if __name__ == "__main__":
    sys.exit(main())
