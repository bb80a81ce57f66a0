"""A soak test of the real mix of traffic (issue 49, part 7): people signing in and browsing, asking
over the API and the chat socket, uploading, guests commenting on share links, Stripe delivering
webhooks, and every minute a burst of 30-60 questions at once, for `--duration` seconds.

    .venv/bin/python bench/soak.py [--duration 600] [--web-processes 2] [--no-as-deployed] [--record]

Starts the site as production runs it (DEBUG off; `--no-as-deployed`: as development does, which
keeps every connection's last 9,000 queries) with devtools/processes.py: `--web-processes` daphne
processes, each on its own port, and a Celery worker (the Procfile's: both queues, two processes),
on a throwaway database and Redis database 12, with payments pointed at localstripe (the suite's fake Stripe) and no
Gemini key (extractive answers). Seeds people: signed-in browsers with a video and a comparison,
askers with an API token or a session and a conversation about a video with an embedded transcript,
uploaders, two share links that take comments, paid token packs whose `payment_intent.succeeded`
events Stripe would deliver, and one asker a burst question for each of up to 60 people. Then runs
the people with Locust (bench/soak_people.py) in a process of its own.

Prints per route the count, p50, p95, max, 5xx, requests never answered and 4xx; the number of 5xx
(goal 0) and of requests never answered (goal 0); the longest wait (goal ≤ 10 s); for each burst, the
time until the p95 of page loads is back under 300 ms (goal ≤ 5 s); and "nothing lost" once the site is
quiet: every question the site accepted has exactly one question and one finished answer row, and
none it stored is left unanswered; every comment answered 201 is stored once and nothing else;
every webhook event delivered is stored, processed and credited once; every completed upload has
its video; and `billing_check` passes (every wallet equals its ledger). Exits 1 when a goal is missed.

tests/sage/test_soak.py runs the same code for a minute with one burst and asserts 0 × 5xx, nothing
never answered and nothing lost (the timing goals stay here).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.django_env import setup_django
from bench.results import Row, add_record_option, record  # found through the path above
from bench.soak_figures import (
    GOAL_LONGEST_WAIT_MS,
    GOAL_PAGE_P95_MS,
    GOAL_RECOVERY_SECONDS,
    GOAL_RSS_SLOPE_MB_PER_MIN,
    RSS_SAMPLE_SECONDS,
    Figures,
    MemoryFigure,
    figures,
    print_figures,
    print_memory,
    read_log,
)

BENCH_REDIS_DB = 12
PEOPLE = Path(__file__).resolve().parent / "soak_people.py"
QUESTIONS = [
    "How hot should the oven be?",
    "When can I slice the bread?",
    "What do we clean while it bakes?",
    "What are we baking today?",
]
ANSWER_TIMEOUT_SECONDS = 60  # bench/soak_people.py's: the people's last answers may take this long
QUIET_TIMEOUT_SECONDS = 60.0  # for answers, webhook events and uploads still in the worker at the end
TOKENS_EACH = 100_000
VIDEO_BYTES = 64 * 1024 * 1024  # the slow viewers' file: ranges from all over it


@dataclass(frozen=True)
class Mix:
    """How many of each kind of person, and the bursts."""

    browsers: int = 10
    api_askers: int = 4
    socket_askers: int = 4
    uploaders: int = 2
    guests: int = 6
    webhook_senders: int = 1
    slow_viewers: int = 8
    crowd_sizes: tuple[int, int] = (20, 40)
    crowd_every: float = 60.0
    burst_sizes: tuple[int, int] = (30, 60)
    burst_every: float = 60.0
    first_burst: float = 30.0

    @property
    def people(self) -> dict[str, int]:
        return {
            "browsers": self.browsers,
            "api_askers": self.api_askers,
            "socket_askers": self.socket_askers,
            "uploaders": self.uploaders,
            "guests": self.guests,
            "webhook_senders": self.webhook_senders,
            "slow_viewers": self.slow_viewers,
        }


def configure_django() -> None:
    """The bench as an entry point: Django on the embedded servers (or the URLs given), Redis database 12."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.pop("GEMINI_API_KEY", None)  # extractive answers
    setup_django("soak", redis_db=BENCH_REDIS_DB, shared_secret=True)


# The site as deployed (`--as-deployed`, the bench's default): DEBUG off. With DEBUG on, Django keeps
# the last 9,000 queries of every database connection with their SQL: a memory trace of a 20-minute
# soak found that the web processes' largest growth (about 6 MB of SQL text every 6 minutes).
DEPLOYED_ENV = {"DEBUG": "false", "SECURE_SSL_REDIRECT": "false"}


def site_env(stripe_url: str, *, deployed: bool) -> dict[str, str]:
    """What the web processes and the worker add to development's environment."""
    from tests.billing.stripe_fake import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET

    return {
        **(DEPLOYED_ENV if deployed else {}),
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_sage_soak",
        "STRIPE_API_BASE": stripe_url,
        "GEMINI_API_KEY": "",
        # Every simulated guest comes from 127.0.0.1, where real ones come from many addresses: the
        # per-address and per-link comment limits would refuse most of them (the limits themselves
        # are part 6's tests).
        "REVIEW_COMMENT_RATE_PER_ADDRESS": "100000/min",
        "REVIEW_COMMENT_RATE_PER_LINK": "100000/min",
        # People name their own addresses (bench/soak_people.py), as behind a load balancer.
        "TRUSTED_PROXY_COUNT": "1",
    }


def _asker(email: str, *, password: bool = False) -> tuple[Any, Any]:
    """A person on the largest plan with tokens to spare, and a conversation about their own
    "Sourdough" video (its transcript's chunks embedded)."""
    from billing.ledger import ledger_grant
    from billing.models import Plan, Wallet
    from billing.wallets import wallet_change_plan
    from tests.factories import ConversationFactory, UserFactory

    user = UserFactory(email=email, email_verified=True) if password else UserFactory(email=email, password=None)
    plan = Plan.objects.order_by("-daily_chat_messages").first()
    assert plan is not None
    wallet_change_plan(wallet=Wallet.objects.get(user=user), plan=plan)
    ledger_grant(user=user, amount=TOKENS_EACH, key=f"soak:{user.pk}", memo="soak")
    return user, ConversationFactory(owner=user, cooking=True)


def _live_session() -> dict[str, str]:
    """A studio's live review session on a video, joined by guests through a comment link (the crowds)."""
    from billing.models import Plan, Wallet
    from billing.wallets import wallet_change_plan
    from review_sessions.services import session_start
    from reviews.models import ShareLink
    from reviews.services import share_link_create
    from tests.factories import UserFactory, VideoFactory
    from workspaces.current import membership_or_none
    from workspaces.services import workspace_create_team

    owner = UserFactory(email="soak-session-owner@example.com", password=None)
    wallet_change_plan(wallet=Wallet.objects.get(user=owner), plan=Plan.objects.get(slug="team"))
    studio = workspace_create_team(user=owner, name="Soak Studio")
    in_studio = membership_or_none(owner, studio.pk)
    assert in_studio is not None
    video = VideoFactory(owner=owner, workspace=studio, cooking=True)
    link, link_token = share_link_create(
        member=in_studio, shared=video, name="client", permission=ShareLink.Permission.COMMENT, allow_sessions=True
    )
    session = session_start(member=in_studio, target=video, link_id=link.pk)
    return {"code": session.code, "link": link_token}


def seed(mix: Mix, *, duration: float, stripe_url: str, workdir: Path) -> dict[str, Any]:
    """The people's rows in the current database; returns the plan bench/soak_people.py reads (less
    the web processes' addresses)."""
    import stripe
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from sage.synthetic_media import Cue, make_video
    from tests.billing.stripe_fake import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, event_from_fake, paid_pack_intent
    from tests.factories import (
        DEFAULT_PASSWORD,
        ApiTokenFactory,
        ComparisonFactory,
        ShareLinkFactory,
        TokenPackFactory,
        UserFactory,
        VideoFactory,
    )

    plan: dict[str, Any] = {"people": mix.people, "questions": QUESTIONS}
    # The file the slow viewers read ranges of (each browser's video is stored as it): its bytes are
    # not decoded, only served.
    reel = default_storage.save("soak/reel.mp4", ContentFile(os.urandom(VIDEO_BYTES if mix.slow_viewers else 1)))
    plan["video_bytes"] = VIDEO_BYTES
    plan["browsers"] = []
    for number in range(mix.browsers):
        user = UserFactory(email=f"soak-browser-{number}@example.com", email_verified=True)
        video = VideoFactory(owner=user, cooking=True, storage_key=reel)
        comparison = ComparisonFactory(owner=user, refined=True)
        plan["browsers"].append(
            {"email": user.email, "password": DEFAULT_PASSWORD, "video": video.pk, "comparison": comparison.pk}
        )
    plan["socket_askers"] = []
    for number in range(mix.socket_askers):
        user, conversation = _asker(f"soak-socket-{number}@example.com", password=True)
        plan["socket_askers"].append(
            {"email": user.email, "password": DEFAULT_PASSWORD, "conversation": conversation.pk}
        )
    for group, count in (("api_askers", mix.api_askers), ("burst_seats", mix.burst_sizes[1])):
        plan[group] = []
        for number in range(count):
            user, conversation = _asker(f"soak-{group}-{number}@example.com")
            plan[group].append({"token": ApiTokenFactory(user=user).secret, "conversation": conversation.pk})
    plan["uploaders"] = []
    for number in range(mix.uploaders):
        user, _ = _asker(f"soak-uploader-{number}@example.com")
        plan["uploaders"].append({"token": ApiTokenFactory(user=user).secret})
    owner = UserFactory(email="soak-reviewed@example.com", password=None)
    plan["share_links"] = [
        {"token": ShareLinkFactory(comparison=ComparisonFactory(owner=owner, refined=True), permission="comment").token}
        for _ in range(2)
    ]
    # Enough paid packs for a delivery every 5 s (the senders wait 3-8 s, and a quarter are redeliveries).
    client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": stripe_url})
    pack = TokenPackFactory()
    plan["webhook_events"] = []
    for number in range(int(duration / 5) + 2):
        buyer = UserFactory(email=f"soak-buyer-{number}@example.com", password=None)
        intent = paid_pack_intent(client, user=buyer, pack=pack)
        plan["webhook_events"].append(event_from_fake(client, type="payment_intent.succeeded", object_id=intent["id"]))
    plan["webhook_secret"] = TEST_WEBHOOK_SECRET
    cues = [Cue(0.3, 2.0, "We knead the dough for ten minutes."), Cue(2.2, 3.8, "Then it rests for an hour.")]
    plan["video_file"] = str(make_video(workdir / "upload.mp4", seconds=4, subtitles=cues))
    plan["session"] = _live_session() if mix.crowd_sizes[1] else None
    plan["crowd_sizes"], plan["crowd_every"] = list(mix.crowd_sizes), mix.crowd_every
    plan["burst_sizes"] = list(mix.burst_sizes)
    plan["burst_every"], plan["first_burst"] = mix.burst_every, mix.first_burst
    # No burst in the last stretch: its answers would be cut by the run's end rather than judged.
    plan["last_burst_before"] = max(mix.first_burst, duration - 20)
    return plan


@dataclass
class Site:
    """The web processes' addresses and their memory, sampled every RSS_SAMPLE_SECONDS."""

    webs: list[str]
    pids: list[int]
    started: float = field(default_factory=time.monotonic)
    samples: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def sample_memory(self) -> None:
        processes = [psutil.Process(pid) for pid in self.pids]
        while not self._stopping.wait(RSS_SAMPLE_SECONDS):
            for process in processes:
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss_mb = process.memory_info().rss / 2**20
                    self.samples.setdefault(process.pid, []).append((time.monotonic() - self.started, rss_mb))

    def memory(self) -> list[MemoryFigure]:
        return [MemoryFigure(pid, self.samples.get(pid, [])) for pid in self.pids]


@contextlib.contextmanager
def site(web_processes: int, env: dict[str, str], server_log: IO[bytes]) -> Iterator[Site]:
    """The web processes and the worker, as development starts them, their memory sampled meanwhile."""
    from devtools.processes import celery_worker, daphne_process

    with contextlib.ExitStack() as stack:
        started = [
            stack.enter_context(daphne_process(env, stdout=subprocess.DEVNULL, stderr=server_log))
            for _ in range(web_processes)
        ]
        stack.enter_context(celery_worker(concurrency=2, stderr=server_log, **env))
        running = Site(webs=[url for url, _ in started], pids=[process.pid for _, process in started])
        sampler = threading.Thread(target=running.sample_memory, daemon=True)
        sampler.start()
        try:
            yield running
        finally:
            running._stopping.set()
            sampler.join(RSS_SAMPLE_SECONDS + 5)


def run_people(plan: dict[str, Any], *, duration: float, workdir: Path) -> Path:
    """Locust, headless, in its own process, for `duration` seconds; returns the log it wrote."""
    from devtools.pace import slowness
    from devtools.processes import BASE_DIR, VENV_BIN

    log = workdir / "soak-log.jsonl"
    # The people's bound on a request with no byte stretches with a busy machine (bench/soak_people.py).
    factor = max(slowness() for _ in range(5))
    plan = {**plan, "log": str(log), "slowness": factor}
    plan_path = workdir / "soak-plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    users = sum(plan["people"].values()) + 1  # and the burst
    with (workdir / "locust.txt").open("wb") as output:
        finished = subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "--locustfile",
                str(PEOPLE),
                "--headless",
                "--host",
                plan["webs"][0],
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{round(duration)}s",
                # Questions in flight at the end are answered (or time out) and logged, not cut.
                "--stop-timeout",
                str(round(ANSWER_TIMEOUT_SECONDS * factor) + 10),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=BASE_DIR,
            env={**os.environ, "SOAK_PLAN": str(plan_path)},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if finished.returncode not in (0, 1) or not log.exists():  # 1: some requests failed, reported here
        tail = (workdir / "locust.txt").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"locust exited with {finished.returncode}:\n{tail}")
    return log


@dataclass
class Checks:
    """What must add up once the site is quiet; `problems` says what does not."""

    questions: int = 0
    answered: int = 0
    refused: int = 0
    comments_posted: int = 0
    comments_stored: int = 0
    webhooks_delivered: int = 0
    webhooks_credited: int = 0
    uploads: int = 0
    uploads_ready: int = 0
    ledger: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def nothing_lost(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"questions {self.answered} answered + {self.refused} refused of {self.questions}; comments stored "
            f"{self.comments_stored} of {self.comments_posted} posted; webhook events credited "
            f"{self.webhooks_credited} of {self.webhooks_delivered}; uploads with their video {self.uploads} "
            f"({self.uploads_ready} ready); {self.ledger}"
        )


def wait_until_quiet(log: list[dict[str, Any]], timeout: float = QUIET_TIMEOUT_SECONDS) -> None:
    """Until no answer is streaming, every delivered event is processed and every upload's video has
    left the queue (or nothing of that moved for `timeout` s: a slow machine is waited for while it
    gets through them): the checks judge what the site did, not what it is doing."""
    from billing.models import StripeEvent
    from chat.models import Message
    from videos.models import Video

    events = {entry["event"] for entry in log if entry["type"] == "webhook"}
    videos = {entry["video"] for entry in log if entry["type"] == "upload"}
    busy = (Video.Status.UPLOADING, Video.Status.QUEUED, Video.Status.PROCESSING)
    deadline = time.monotonic() + timeout
    left_before: tuple[int, int, int] | None = None
    while time.monotonic() < deadline:
        left = (
            Message.objects.filter(status=Message.Status.STREAMING).count(),
            StripeEvent.objects.filter(stripe_id__in=events, processed_at=None, refused_at=None).count(),
            Video.objects.filter(pk__in=videos, status__in=busy).count(),
        )
        if left == (0, 0, 0):
            return
        if left_before is not None and left != left_before:
            deadline = time.monotonic() + timeout  # something moved: the wait starts again
        left_before = left
        time.sleep(0.5)


def check(log: list[dict[str, Any]]) -> Checks:
    from django.core.management import CommandError, call_command

    from billing.models import PackPurchase, StripeEvent
    from chat.models import Message
    from reviews.models import Comment
    from videos.models import Video

    found = Checks()
    answers = [entry for entry in log if entry["type"] == "answer"]
    found.questions = len(answers)
    for answer in answers:
        asked = Message.objects.filter(
            conversation_id=answer["conversation"], client_id=answer["client_id"], role=Message.Role.USER
        )
        replies = list(Message.objects.filter(reply_to__in=asked).values_list("status", flat=True))
        stored = asked.count()
        if answer["outcome"] == "answered":
            found.answered += 1
            if stored != 1 or replies != [Message.Status.COMPLETE]:
                found.problems.append(f"question {answer['client_id']} answered, stored {stored}× with {replies}")
        else:
            found.refused += answer["outcome"] == "refused"
            if stored and (len(replies) != 1 or Message.Status.STREAMING in replies):
                found.problems.append(f"question {answer['client_id']} ({answer['outcome']}) stored with {replies}")
            elif answer["outcome"] == "failed":
                found.problems.append(f"question {answer['client_id']} got no answer (HTTP {answer.get('status')})")

    posted = [entry["body"] for entry in log if entry["type"] == "comment"]
    stored_comments = list(Comment.objects.filter(body__startswith="soak comment").values_list("body", flat=True))
    found.comments_posted, found.comments_stored = len(posted), len(stored_comments)
    if sorted(posted) != sorted(stored_comments):
        found.problems.append(f"comments: {len(posted)} answered 201, {len(stored_comments)} stored")

    delivered = {entry["event"] for entry in log if entry["type"] == "webhook"}
    found.webhooks_delivered = len(delivered)
    processed = StripeEvent.objects.filter(stripe_id__in=delivered, processed_at__isnull=False, error="")
    intents = [event.payload["data"]["object"]["id"] for event in processed]
    found.webhooks_credited = PackPurchase.objects.filter(stripe_payment_intent_id__in=intents).count()
    if found.webhooks_credited != len(delivered):
        found.problems.append(f"webhooks: {len(delivered)} delivered, {found.webhooks_credited} credited")

    videos = [entry["video"] for entry in log if entry["type"] == "upload"]
    kept = Video.objects.filter(pk__in=videos).exclude(status__in=(Video.Status.FAILED, Video.Status.CANCELLED))
    found.uploads = kept.count()
    found.uploads_ready = kept.filter(status=Video.Status.READY).count()
    if found.uploads != len(videos):
        found.problems.append(f"uploads: {len(videos)} completed, {found.uploads} with their video")

    output, errors = io.StringIO(), io.StringIO()
    try:
        call_command("billing_check", stdout=output, stderr=errors)
        found.ledger = output.getvalue().strip()
    except CommandError as failed:
        found.ledger = f"billing_check: {failed}"
        found.problems.append(f"{failed} {errors.getvalue().strip()}")
    return found


@dataclass(frozen=True)
class Soak:
    figures: Figures
    checks: Checks
    server_errors_logged: list[str]  # ERROR lines of the servers' output
    memory: list[MemoryFigure]  # the web processes'


def soak(*, duration: float, web_processes: int, mix: Mix, workdir: Path, deployed: bool = False) -> Soak:
    """Seed the current database, start the site (`deployed`: with DEBUG off, as production runs it),
    run the people, wait until quiet, and judge."""
    from django.db import connection

    from devtools.processes import BASE_DIR, VENV_BIN, server_env
    from tests.servers import localstripe_server

    with localstripe_server() as stripe_url, (workdir / "servers.txt").open("w+b") as server_log:
        started = time.monotonic()
        plan = seed(mix, duration=duration, stripe_url=stripe_url, workdir=workdir)
        connection.close()  # the servers and this process's checks each open their own
        env = site_env(stripe_url, deployed=deployed)
        if deployed:
            # DEBUG off serves hashed static names from a manifest, written by collectstatic.
            subprocess.run(
                [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
                cwd=BASE_DIR,
                env=server_env(**env),
                check=True,
            )
        print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        with site(web_processes, env, server_log) as running:
            webs = running.webs
            print(f"site: {', '.join(webs)}; {sum(mix.people.values())} people for {duration:.0f} s", flush=True)
            started = time.monotonic()
            log_path = run_people({**plan, "webs": webs}, duration=duration, workdir=workdir)
            log = read_log(log_path)
            print(f"people stopped after {time.monotonic() - started:.0f} s", flush=True)
            started = time.monotonic()
            wait_until_quiet(log)
            checks = check(log)
            print(f"quiet and checked in {time.monotonic() - started:.0f} s", flush=True)
        server_log.seek(0)
        errors = [line for line in server_log.read().decode(errors="replace").splitlines() if "ERROR" in line]
    return Soak(figures(log), checks, errors, running.memory())


def goals(result: Soak) -> list[tuple[str, str, bool]]:
    """(goal, figure, met) for each of the issue's goals."""
    found, checks = result.figures, result.checks
    recovery = found.worst_recovery
    return [
        ("0 × 5xx", f"{found.server_errors} of {found.requests:,} requests", found.server_errors == 0),
        ("every request answered", f"{found.no_answer} never answered", found.no_answer == 0),
        (
            f"longest wait ≤ {GOAL_LONGEST_WAIT_MS / 1000:.0f} s",
            f"{found.longest_wait_ms / 1000:.2f} s ({found.longest_wait_route})",
            found.longest_wait_ms <= GOAL_LONGEST_WAIT_MS,
        ),
        (
            f"after each burst, page p95 ≤ {GOAL_PAGE_P95_MS:.0f} ms within {GOAL_RECOVERY_SECONDS:.0f} s",
            ("never recovered" if recovery is None else f"worst {recovery:.1f} s")
            + f" over {len(found.bursts)} bursts ({', '.join(str(burst.size) for burst in found.bursts)} questions)",
            recovery is not None and recovery <= GOAL_RECOVERY_SECONDS and bool(found.bursts),
        ),
        ("nothing lost", checks.summary(), checks.nothing_lost),
        (
            f"web memory flat (≤ {GOAL_RSS_SLOPE_MB_PER_MIN} MB/min after warm-up)",
            "; ".join(f"{figure.slope_mb_per_min:+.2f} MB/min ({figure.end_mb:.0f} MB)" for figure in result.memory),
            # A run too short to have a slope (NaN) does not meet it: nothing was shown.
            all(figure.slope_mb_per_min <= GOAL_RSS_SLOPE_MB_PER_MIN for figure in result.memory),
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of traffic")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument(
        "--keep", type=Path, help="keep the plan, the people's log and the servers' output in this directory"
    )
    parser.add_argument(
        "--as-deployed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="web processes with DEBUG off, as production runs them (--no-as-deployed: as development does)",
    )
    add_record_option(parser)
    arguments = parser.parse_args()

    configure_django()
    logging.getLogger("stripe").setLevel(logging.WARNING)  # a line per call to localstripe otherwise
    from bench.databases import throwaway_database

    with throwaway_database(announce=True), tempfile.TemporaryDirectory(prefix="soak-") as temporary:
        workdir = arguments.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        result = soak(
            duration=arguments.duration,
            web_processes=arguments.web_processes,
            mix=Mix(),
            workdir=workdir,
            deployed=arguments.as_deployed,
        )

    print_figures(result.figures)
    print_memory(result.memory)
    for line in result.server_errors_logged[:20]:
        print("server:", line)
    for problem in result.checks.problems[:20]:
        print("lost:", problem)
    judged = goals(result)
    for goal, figure, met in judged:
        print(f"goal {goal}: {figure}: {'met' if met else 'not met'}")
    if arguments.record:
        rows = [Row(f"{goal} ({arguments.duration:.0f} s, {arguments.web_processes} web processes)", figure, met)
                for goal, figure, met in judged]  # fmt: skip
        slowest = sorted(result.figures.routes, key=lambda route: route.p95_ms, reverse=True)
        rows.append(
            Row(
                "per-route p95 (no goal; the five slowest)",
                "; ".join(f"{route.name} {route.p95_ms:.0f} ms" for route in slowest[:5]),
                None,
            )
        )
        record(bench="soak", path=arguments.record, rows=rows)
    return 0 if all(met for _, _, met in judged) else 1


if __name__ == "__main__":
    sys.exit(main())
