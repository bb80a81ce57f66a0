"""The people of bench/soak.py: a locustfile, run by `locust -f bench/soak_people.py --headless` in a
process of its own (Locust monkey-patches the standard library with gevent on import, which nothing
else here may see). It imports nothing of SAGE's: what it needs (addresses, sign-ins, tokens, ids,
the webhook events) comes from the plan file `bench/soak.py` writes and names in `SOAK_PLAN`, and
what happened goes, one JSON object a line, to the log the plan names: every request (its route,
start, time, HTTP status), every question asked, comment posted, upload completed, webhook delivered
and burst begun. `bench/soak.py` makes the figures and the "nothing lost" checks from that log.

Each person talks to one web process, chosen round robin as they arrive: Locust's `--host` names one
address, and a load balancer with sticky sessions spreads people the same way (sessions live in the
database, so any process would accept any of them; sticking keeps a person's socket and pages on one
process, as a browser behind such a balancer has them).
"""

from __future__ import annotations

import contextlib
import functools
import http.cookiejar
import itertools
import json
import os
import random
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
import requests
import stripe
import websocket
from locust import HttpUser, User, between, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["SOAK_PLAN"]).read_text(encoding="utf-8"))
LOG = Path(PLAN["log"]).open("a", encoding="utf-8", buffering=1)  # noqa: SIM115 - open for the whole run
# Seconds without a byte, on a free machine, past which a question or a request counts as never
# answered; stretched by how slow the machine was when the run began (bench/soak.py measures it:
# devtools/pace.py), so a busy machine gives slow answers, not lost ones.
SLOWNESS = float(PLAN.get("slowness", 1.0))
ANSWER_TIMEOUT = 60.0 * SLOWNESS
REQUEST_TIMEOUT = 30.0 * SLOWNESS
# A socket question has no HTTP status: it is logged as 200 when `done` came, and as the status its
# error frame's code stands for over HTTP; a code not known as a refusal counts as the server's failure.
SOCKET_REFUSALS = {
    "slow_down": 429,
    "throttled": 429,
    "quota_exceeded": 429,
    "insufficient_tokens": 402,
    "busy": 409,
    "conflict": 409,
    "invalid": 400,
}
# A slow viewer's link, and what it asks for at a time (bench/soak.py's video is VIDEO_BYTES long).
VIEW_BYTES_PER_SECOND = 256 * 1024
VIEW_RANGE_BYTES = 4 * 1024 * 1024
VIEW_CHUNK_BYTES = 64 * 1024
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_ERROR = re.compile(r'class="form-errors" role="alert">(.*?)</div>', re.S)
PACE = random.Random()  # noqa: S311 - who asks what and when, not secrets
_web_numbers = itertools.count()
_address_numbers = itertools.count()
_seat_numbers: dict[str, Iterator[int]] = {}


def note(entry_type: str, **fields: Any) -> None:
    """One line of the log (greenlets share this process's one thread: lines never interleave)."""
    LOG.write(json.dumps({"type": entry_type, "at": time.time(), **fields}) + "\n")


@events.request.add_listener
def _log_request(
    request_type: str,
    name: str,
    response_time: float,
    response: Any = None,
    context: dict[str, Any] | None = None,
    exception: BaseException | None = None,
    start_time: float | None = None,
    status: int | None = None,
    **_: Any,
) -> None:
    status = status or (getattr(response, "status_code", None) if response is not None else None)
    note(
        "request",
        kind=(context or {}).get("kind", "api"),
        name=name,
        method=request_type,
        start=start_time,
        ms=response_time,
        status=status or None,  # 0: requests' placeholder when no answer came
        error=None if exception is None else f"{type(exception).__name__}: {exception}"[:300],
    )


def next_web() -> str:
    webs: list[str] = PLAN["webs"]
    return webs[next(_web_numbers) % len(webs)]


def seat(group: str) -> dict[str, Any]:
    """The next of the plan's seats of `group` (a sign-in, a token and conversation…), in turn."""
    numbers = _seat_numbers.setdefault(group, itertools.count())
    seats: list[dict[str, Any]] = PLAN[group]
    return seats[next(numbers) % len(seats)]


# The site runs as deployed (DEBUG off), so its session and CSRF cookies are Secure; here it is
# served over plain HTTP on this machine's loopback, as a TLS terminator in front of it would hand
# requests on. A browser keeps sending Secure cookies to such a page; this process's cookie jars
# send them to the loopback too. The policy is patched for the whole process (this process is the
# bench's people only): requests builds a fresh jar with the default policy for every request.
_secure_cookie_ok = http.cookiejar.DefaultCookiePolicy.return_ok_secure


def _secure_cookie_ok_on_loopback(
    policy: http.cookiejar.DefaultCookiePolicy, cookie: http.cookiejar.Cookie, request: Any
) -> bool:
    return urlsplit(request.get_full_url()).hostname == "127.0.0.1" or _secure_cookie_ok(policy, cookie, request)


http.cookiejar.DefaultCookiePolicy.return_ok_secure = _secure_cookie_ok_on_loopback  # type: ignore[method-assign,assignment]


class Person(HttpUser):
    abstract = True

    def __init__(self, environment: Any) -> None:
        self.base = next_web()
        self.host = self.base
        super().__init__(environment)  # type: ignore[no-untyped-call]
        # Every request gives up after REQUEST_TIMEOUT seconds without a byte: a hung one is then logged
        # (as no answer) instead of being cut, unlogged, when the run ends. requests has no session default.
        self.client.request = functools.partial(self.client.request, timeout=REQUEST_TIMEOUT)  # type: ignore[method-assign]
        # Each person comes from an address of their own, as people do (the site trusts one proxy's
        # X-Forwarded-For here): from one address, allauth counts sign-ins in flight against its
        # 10 a minute per address, and a dozen at once would be refused as too many failures.
        self.client.headers["X-Forwarded-For"] = f"198.51.100.{next(_address_numbers) % 250 + 1}"

    def sign_in(self, email: str, password: str) -> None:
        """allauth's login form as a browser sends it: the page (for the CSRF cookie and field), then the form."""
        page = self.client.get("/accounts/login/", name="sign in: form", context={"kind": "page"})
        found = CSRF_FIELD.search(page.text)
        with self.client.post(
            "/accounts/login/",
            data={"login": email, "password": password, "csrfmiddlewaretoken": found.group(1) if found else ""},
            headers={"Referer": f"{self.base}/accounts/login/"},
            name="sign in: POST",
            context={"kind": "page"},
            catch_response=True,
        ) as response:
            if "sessionid" not in self.client.cookies:
                # The form's own error says why (a wrong password, a limit), not only that it failed.
                said = FORM_ERROR.search(response.text)
                reason = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", said.group(1))).strip() if said else ""
                response.failure(f"not signed in (answered {response.status_code}): {reason[:120]}")


def ask_over_sse(base: str, token: str, conversation_id: int, *, name: str) -> None:
    """One question through the API, its answer read as Server-Sent Events to `[DONE]`: timed to the
    end, as the asker waits for all of it."""
    client_id = uuid.uuid4().hex
    outcome, status = "failed", None
    with requests.Session() as asker, events.request.measure("POST", name, context={"kind": "question"}) as meta:
        note("question", via="api", client_id=client_id, conversation=conversation_id)
        try:
            response = asker.post(
                f"{base}/api/v1/conversations/{conversation_id}/messages",
                json={"text": PACE.choice(PLAN["questions"]), "client_id": client_id},
                headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
                stream=True,
                timeout=(REQUEST_TIMEOUT, ANSWER_TIMEOUT),
            )
            meta["response"] = status = response
            if not response.ok:  # the stream is a 200; a whole answer would be a 201
                outcome = "refused" if response.status_code < 500 else "failed"
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
            lines = [line for line in response.iter_lines(decode_unicode=True) if line.startswith("data: ")]
            if not lines or lines[-1] != "data: [DONE]":
                raise RuntimeError(f"the stream ended without [DONE] after {len(lines)} events")
            outcome = "answered"
        finally:
            note(
                "answer",
                via="api",
                client_id=client_id,
                conversation=conversation_id,
                outcome=outcome,
                status=getattr(status, "status_code", None),
            )


class Browser(Person):
    """Someone signed in who looks around: the library, the compare picker and a comparison, a video."""

    wait_time = between(1, 4)
    fixed_count = PLAN["people"]["browsers"]

    def on_start(self) -> None:
        self.seat = seat("browsers")
        self.sign_in(self.seat["email"], self.seat["password"])

    @task(3)
    def library(self) -> None:
        self.client.get("/videos/", name="page: library", context={"kind": "page"})

    @task(1)
    def compare_picker(self) -> None:
        self.client.get("/compare/", name="page: compare picker", context={"kind": "page"})

    @task(2)
    def comparison(self) -> None:
        self.client.get(
            f"/compare/{self.seat['comparison']}/", name="page: comparison /compare/{id}/", context={"kind": "page"}
        )

    @task(3)
    def video(self) -> None:
        self.client.get(f"/videos/{self.seat['video']}/", name="page: video /videos/{id}/", context={"kind": "page"})


class SlowViewer(Person):
    """Someone watching a video on a slow link: a byte range of the video's file read at about
    VIEW_BYTES_PER_SECOND, from somewhere in it (a seek), and one view in three left mid-body (a
    closed tab). What the server holds for each is what its memory must not grow with."""

    wait_time = between(1, 3)
    fixed_count = PLAN["people"]["slow_viewers"]

    def on_start(self) -> None:
        self.seat = seat("browsers")
        self.sign_in(self.seat["email"], self.seat["password"])

    @task
    def watch(self) -> None:
        size = int(PLAN["video_bytes"])
        start = PACE.randrange(0, size - VIEW_RANGE_BYTES)
        wanted = VIEW_RANGE_BYTES if PACE.random() >= 1 / 3 else PACE.randrange(VIEW_CHUNK_BYTES, VIEW_RANGE_BYTES // 2)
        with requests.Session() as viewer:
            viewer.cookies.update(self.client.cookies)
            # What the viewer waits for is the picture's first bytes after a seek: that is the
            # request's time. The rest is read at the link's pace and logged apart (kind
            # "media-read"): a range that stalls or ends early is a failure, its length no wait.
            with events.request.measure(
                "GET", "video: slow range /videos/{id}/file", context={"kind": "media"}
            ) as asked:
                response = viewer.get(
                    f"{self.base}/videos/{self.seat['video']}/file",
                    headers={"Range": f"bytes={start}-{start + VIEW_RANGE_BYTES - 1}", **self.client.headers},
                    stream=True,
                    timeout=REQUEST_TIMEOUT,
                )
                asked["response"] = response
                if response.status_code != 206:
                    response.close()
                    raise RuntimeError(f"{response.status_code}: not a range")
                blocks = response.iter_content(VIEW_CHUNK_BYTES)
                first = next(blocks, b"")
            if asked["exception"] is not None:
                return  # logged (measure keeps the error): no range to read
            with (
                response,
                events.request.measure(
                    "GET", "video: the slow range read to its end", context={"kind": "media-read"}
                ) as meta,
            ):
                meta["status"] = None  # until the range is read: a stalled body was never answered
                read = len(first)
                gevent.sleep(read / VIEW_BYTES_PER_SECOND)
                for block in blocks:
                    if read >= wanted:
                        break  # seen enough, or the tab is closed: the rest is never read
                    read += len(block)
                    gevent.sleep(len(block) / VIEW_BYTES_PER_SECOND)
                if read < wanted:
                    raise RuntimeError(f"the range ended after {read} of {wanted} bytes")
                meta["status"] = 206


class ApiAsker(Person):
    """A script asking about its videos through the API, reading each answer as it streams."""

    wait_time = between(5, 15)
    fixed_count = PLAN["people"]["api_askers"]

    def on_start(self) -> None:
        self.seat = seat("api_askers")
        self.client.headers["Authorization"] = f"Bearer {self.seat['token']}"

    @task(3)
    def ask(self) -> None:
        ask_over_sse(
            self.base, self.seat["token"], self.seat["conversation"], name="question: API SSE /conversations/{id}"
        )

    @task(1)
    def list_videos(self) -> None:
        self.client.get("/api/v1/videos", name="api: GET /api/v1/videos")


class SocketAsker(Person):
    """Someone on a conversation's page asking over its chat socket, which stays open between questions."""

    wait_time = between(5, 15)
    fixed_count = PLAN["people"]["socket_askers"]

    def on_start(self) -> None:
        self.seat = seat("socket_askers")
        self.sign_in(self.seat["email"], self.seat["password"])
        self.socket: websocket.WebSocket | None = None

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()

    def connect(self) -> websocket.WebSocket:
        if self.socket is None or not self.socket.connected:
            self.socket = websocket.create_connection(
                self.base.replace("http://", "ws://") + f"/ws/chat/{self.seat['conversation']}/",
                header=[f"Cookie: sessionid={self.client.cookies.get('sessionid', '')}"],
                origin=self.base,
                timeout=ANSWER_TIMEOUT,
            )
        return self.socket

    @task
    def ask(self) -> None:
        client_id = uuid.uuid4().hex
        outcome, code = "failed", None
        name = "question: socket /ws/chat/{id}/"
        with events.request.measure("WS", name, context={"kind": "question"}) as meta:
            note("question", via="socket", client_id=client_id, conversation=self.seat["conversation"])
            try:
                socket = self.connect()
                question = {"type": "message", "text": PACE.choice(PLAN["questions"]), "client_id": client_id}
                socket.send(json.dumps(question))
                while True:
                    frame = json.loads(socket.recv())
                    if frame.get("type") == "done":
                        outcome, meta["status"] = "answered", 200
                        break
                    if frame.get("type") == "error":
                        code = frame.get("code")
                        meta["status"] = SOCKET_REFUSALS.get(str(code), 500)
                        outcome = "refused" if meta["status"] < 500 else "failed"
                        raise RuntimeError(f"error frame: {code}: {frame.get('message')}")
            except (OSError, websocket.WebSocketException):
                self.socket = None  # opened again for the next question
                raise
            finally:
                note(
                    "answer",
                    via="socket",
                    client_id=client_id,
                    conversation=self.seat["conversation"],
                    outcome=outcome,
                    code=code,
                )


class Uploader(Person):
    """A script uploading a short video through the resumable upload API, part by part."""

    wait_time = between(15, 30)
    fixed_count = PLAN["people"]["uploaders"]

    def on_start(self) -> None:
        self.seat = seat("uploaders")
        self.client.headers["Authorization"] = f"Bearer {self.seat['token']}"
        self.data = Path(PLAN["video_file"]).read_bytes()

    @task
    def upload(self) -> None:
        created = self.client.post(
            "/api/v1/uploads",
            json={"filename": "soak.mp4", "size": len(self.data), "title": "Soak upload"},
            name="upload: POST /api/v1/uploads",
        )
        if created.status_code != 201:
            return
        upload = created.json()
        for number in range(1, upload["part_count"] + 1):
            part = self.data[(number - 1) * upload["part_size"] : number * upload["part_size"]]
            sent = self.client.put(f"/api/v1/uploads/{upload['id']}/parts/{number}", data=part, name="upload: PUT part")
            if not sent.ok:
                return
        completed = self.client.post(f"/api/v1/uploads/{upload['id']}/complete", name="upload: POST complete")
        if completed.ok:
            note("upload", upload=upload["id"], video=upload["video_id"])


class Guest(Person):
    """A reviewer without an account on a share link: reads the page and the comments, comments now and then."""

    wait_time = between(2, 6)
    fixed_count = PLAN["people"]["guests"]

    def on_start(self) -> None:
        self.link = seat("share_links")["token"]
        self.key = secrets.token_urlsafe(32)
        self.name = f"Guest {PACE.randint(1, 999)}"

    @task(3)
    def shared_page(self) -> None:
        self.client.get(f"/s/{self.link}/", name="page: shared /s/{token}/", context={"kind": "page"})

    @task(2)
    def comments(self) -> None:
        self.client.get(f"/api/v1/shared/{self.link}/comments", name="guest: GET comments")

    @task(1)
    def comment(self) -> None:
        body = f"soak comment {uuid.uuid4().hex}"
        response = self.client.post(
            f"/api/v1/shared/{self.link}/comments",
            json={"side": "b", "start": round(PACE.uniform(0, 20), 1), "body": body, "author_name": self.name},
            headers={"X-Reviewer-Key": self.key},
            name="guest: POST comment",
        )
        if response.status_code == 201:
            note("comment", body=body)


class StripeSender(Person):
    """Stripe delivering events, signed as Stripe signs them; now and then one again (Stripe redelivers)."""

    wait_time = between(3, 8)
    fixed_count = PLAN["people"]["webhook_senders"]

    def on_start(self) -> None:
        self.events: list[dict[str, Any]] = list(PLAN["webhook_events"])
        self.delivered: list[dict[str, Any]] = []

    @task
    def deliver(self) -> None:
        if self.delivered and (not self.events or PACE.random() < 0.25):
            event = PACE.choice(self.delivered)
        elif self.events:
            event = self.events.pop()
        else:
            return
        body = json.dumps(event)
        signature = stripe.WebhookSignature.generate_signature_header(body, PLAN["webhook_secret"])
        response = self.client.post(
            "/billing/stripe/webhook/",
            data=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
            name="webhook: POST /billing/stripe/webhook/",
        )
        if response.status_code == 200:
            self.delivered.append(event)
            note("webhook", event=event["id"])


class SessionCrowd(User):
    """Every `crowd_every` seconds, a few dozen guests of a share link join one live review session at
    once (a studio's client sends the link to the team), each stays 10-40 s hearing the session's
    frames, and leaves. A join is timed to its `welcome` (or its refusal: `full` is an answer)."""

    fixed_count = 1 if PLAN["crowd_sizes"][1] else 0

    def on_start(self) -> None:
        self.started = time.time()
        self.number = 0

    def wait_time(self) -> float:
        at = self.started + float(PLAN["first_burst"]) / 2 + self.number * float(PLAN["crowd_every"])
        return max(0.0, at - time.time())

    @task
    def crowd(self) -> None:
        self.number += 1
        size = PACE.randint(*PLAN["crowd_sizes"])
        webs: list[str] = PLAN["webs"]
        note("crowd", start=time.time(), size=size)
        gevent.joinall([gevent.spawn(join_session, webs[n % len(webs)], self.number, n) for n in range(size)])


def join_session(base: str, crowd: int, number: int) -> None:
    session = PLAN["session"]
    url = base.replace("http://", "ws://") + f"/ws/sessions/{session['code']}/?link={session['link']}"
    socket: websocket.WebSocket | None = None
    with events.request.measure("WS", "session crowd: join /ws/sessions/{code}/", context={"kind": "socket"}) as meta:
        socket = websocket.create_connection(url, origin=base, timeout=REQUEST_TIMEOUT)
        key = f"soak-{crowd:05d}-{number:05d}-{uuid.uuid4().hex[:20]}"
        socket.send(json.dumps({"type": "hello", "name": f"Crowd {crowd}.{number}", "reviewer_key": key}))
        while True:
            frame = json.loads(socket.recv())
            if frame.get("type") == "welcome":
                meta["status"] = 200
                break
            if frame.get("type") == "error":  # full, or refused: answered, not lost
                meta["status"] = 503 if frame.get("code") == "busy" else 429
                socket.close()
                return
    try:
        stay_until = time.monotonic() + PACE.uniform(10, 40)
        socket.settimeout(1.0)
        while time.monotonic() < stay_until:
            with contextlib.suppress(websocket.WebSocketTimeoutException):
                socket.recv()
        socket.send(json.dumps({"type": "bye"}))
    except (OSError, websocket.WebSocketException):
        pass  # leaving: what the server made of the stay is its memory's figure
    finally:
        socket.close()


class Burst(User):
    """Every `burst_every` seconds, 30-60 questions sent through the API in the same instant, each by
    another person about their own video (as a popular moment, or the issue's script, sends them)."""

    fixed_count = 1

    def on_start(self) -> None:
        self.started = time.time()
        self.number = 0

    def wait_time(self) -> float:
        """Until the next burst. Locust ends a person waiting at once, but lets a task finish: the
        bursts wait here, not in the task, and none begins whose answers the end of the run would cut."""
        at = self.started + float(PLAN["first_burst"]) + self.number * float(PLAN["burst_every"])
        if at > self.started + float(PLAN["last_burst_before"]):
            return 3600.0
        return max(0.0, at - time.time())

    @task
    def burst(self) -> None:
        if self.number == 0 and time.time() < self.started + PLAN["first_burst"]:
            return  # the first call comes before any wait
        self.number += 1
        size = PACE.randint(*PLAN["burst_sizes"])
        seats = PACE.sample(PLAN["burst_seats"], size)
        webs: list[str] = PLAN["webs"]
        note("burst", start=time.time(), size=size)
        askers = [
            gevent.spawn(
                ask_over_sse,
                webs[n % len(webs)],
                one["token"],
                one["conversation"],
                name="burst question: API SSE /conversations/{id}",
            )
            for n, one in enumerate(seats)
        ]
        gevent.joinall(askers)
