"""A big team's workspace against a person's own, page for page (issue 52, part 8).

    .venv/bin/python bench/teams.py [--requests 200] [--quick] [--record]

Fills a throwaway database (and Redis database 15) with a studio of 50 members, 10,000 videos in 200
projects (a fifth of them with transcript windows to search, three in five in version stacks; one
project in twenty in the trash, its videos out of lists and search, as teams keep some) and
50,000 activity events; and, for one of its members, a personal workspace of 100 videos with the same
shares and 500 events. Then serves the real app with daphne as production does (DEBUG off, static
files collected) and asks it over HTTP, one request at a time, alternating the team's request and the
personal one (which goes first alternating too), so both meet the same machine:

- the library page (`/videos/`, its first page) and the same page narrowed to one project;
- the API's video list (`/api/v1/videos`, its first page) and the same narrowed to one project;
- transcript search (`/api/v1/search?q=`): questions about what the videos say (MiniLM embeds the
  question in the web process's embedding child, as it serves; the found windows' sentences and
  their vectors are read as processing stored them, videos.window_sentences);
- the activity feed, page (`/activity/`) and API (`/api/v1/activity`).

The member signs in once (two sessions: one switched to the studio with the header's switcher, one
left in the personal workspace) and has two API tokens, one acting in each. Goals (issue 52): the
library page and the API list p95 ≤ 300 ms, search p95 ≤ 50 ms, the activity feed p95 ≤ 200 ms, in
the studio; each printed with its ratio to the personal workspace's p95. `--quick` asks 40 of each.

"One project" is the library's and the API's `project` filter, on a live project chosen in turn.
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.django_env import setup_django
from bench.results import Row, add_record_option, record  # found through the path above

BENCH_REDIS_DB = 15
MEMBERS = 50
TEAM_VIDEOS = 10_000
GROUPS = 200
TEAM_EVENTS = 50_000
PERSONAL_VIDEOS = 100
PERSONAL_EVENTS = 500
PERSONAL_GROUPS = 10  # ten videos each, as the studio's fifty
TRASHED_SHARE = 0.05  # projects in the trash (restorable; their videos hidden everywhere)
CHUNKED_SHARE = 0.2  # videos with transcript windows
STACKED_SHARE = 0.6  # videos that are versions in a stack (three a stack)
WINDOW_SECONDS = 20.0
WINDOWS_PER_VIDEO = 12
VECTOR_JITTER = 0.03  # no two windows share a vector exactly, as no two recordings say it the same
GOAL_LIBRARY_P95_MS = 300.0
GOAL_SEARCH_P95_MS = 50.0
GOAL_ACTIVITY_P95_MS = 200.0
WARM_UP = 5
SESSION_COOKIE = "sessionid"  # Django's default, which the site keeps
WEB_ENV = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "DB_CONN_MAX_AGE": "60",
    "API_RATE_LIMIT": "100000/min",
}
QUESTIONS = (
    "When does the market open on Saturday?",
    "What do the farmers sell at the market?",
    "What is the largest cost in next year's budget?",
    "What four things does bread need?",
    "How long should the dough rest?",
    "What did the first railways carry?",
    "Who pulled the wagons before engines?",
    "What can a small city garden grow?",
    "How do storms form?",
    "How do you book a table with the phone app?",
    "Who paid for the town library?",
    "How do children learn to ride a bicycle?",
    "Where do coffee beans grow?",
    "How are coffee beans roasted?",
    "What happens when warm air rises?",
    "How much water does a garden need in summer?",
)


def group_name(group: int) -> str:
    return f"Project {group:03d}"


def project_filter(number: int, seat: Seat) -> dict[str, str]:
    """The query parameters that narrow a list to one of the seat's live projects, in turn."""
    return {"project": str(seat.projects[number % len(seat.projects)])}


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """How the member reaches one workspace: a session cookie (pages) and an API token."""

    name: str
    workspace_id: int
    session: str
    token: str
    projects: tuple[int, ...]  # the live ones
    videos: int
    events: int


def windows() -> list[str]:
    """Transcript windows of plain English: two sentences of a passage each, sliding by one."""
    from sage.synthetic_media.speech_corpus import PASSAGES

    found = []
    for passage in PASSAGES:
        sentences = re.split(r"(?<=[.!?])\s+", passage.strip())
        found += [" ".join(sentences[i : i + 2]) for i in range(len(sentences) - 1)]
    return found


def fill_workspace(
    *,
    workspace_id: int,
    owners: list[int],
    video_count: int,
    groups: int,
    event_count: int,
    texts: list[str],
    text_vectors: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """`video_count` videos in `groups` projects (stacks of three among them; TRASHED_SHARE of the
    projects in the trash), a share with transcript windows, and `event_count` activity events, all in
    `workspace_id`, made by `owners` in turn.
    Rows are bulk-inserted: every workspace column is set here (bulk_create skips the save hook
    that fills it)."""
    from django.utils import timezone

    from activity.models import ActivityEvent
    from videos.chunks import fill_search_vectors
    from videos.models import Project, TranscriptChunk, Video, VideoStack
    from videos.timed_text import Window
    from videos.window_sentences import (
        embed_window_sentences,
        said_window_sentences,
        sentences_to_json,
        vectors_to_bytes,
    )

    now = timezone.now()
    trashed = set(range(0, groups, round(1 / TRASHED_SHARE)))
    projects = Project.objects.bulk_create(
        Project(
            workspace_id=workspace_id,
            name=group_name(number),
            created_by_id=owners[number % len(owners)],
            deleted_at=now if number in trashed else None,
        )
        for number in range(groups)
    )
    per_group = max(1, video_count // groups)
    # The first places of each group are versions, three to a stack; the rest stand alone.
    stacks_per_group = int(per_group * STACKED_SHARE) // 3
    stacks = VideoStack.objects.bulk_create(
        VideoStack(
            owner_id=owners[number % len(owners)],
            workspace_id=workspace_id,
            title=f"{group_name(number // stacks_per_group)} · cut",
            project=projects[number // stacks_per_group],
        )
        for number in range(groups * stacks_per_group)
    )
    rows = []
    for number in range(video_count):
        group, place = divmod(number, per_group)
        group %= groups
        in_stack = place < 3 * stacks_per_group
        stack = stacks[group * stacks_per_group + place // 3] if in_stack else None
        ready = rng.random() > 0.03
        created = now - timedelta(minutes=video_count - number)  # in upload order: a stack's v1 first
        rows.append(
            Video(
                owner_id=owners[number % len(owners)],
                workspace_id=workspace_id,
                title=f"{group_name(group)} · {f'cut {place // 3}' if in_stack else f'shot {place}'}",
                status=Video.Status.READY if ready else Video.Status.FAILED,
                duration=float(rng.uniform(30, 600)),
                width=1920,
                height=1080,
                fps=25.0,
                size=int(rng.integers(10, 500)) * 2**20,
                storage_key=f"videos/bench/{workspace_id}/{number}.mp4",
                backends={"clips": "local"},
                created_at=created,
                ready_at=created + timedelta(minutes=3) if ready else None,
                stack=stack,
                version=place % 3 + 1 if in_stack else None,
                project=projects[group],
            )
        )
    videos = Video.objects.bulk_create(rows)

    # Windows: two passages' worth for each chunked video, vectors of the real text model, jittered.
    chunked = [video for video in videos if rng.random() < CHUNKED_SHARE]
    scope = chunk_scope()
    # Each window's sentences and their vectors, as processing stores them (no transcript lines here:
    # a window's own text, split), for every text at every place; the passages' sentences are few,
    # each embedded once.
    places = [(pick, index) for pick in range(len(texts)) for index in range(WINDOWS_PER_VIDEO)]
    window_sentences = said_window_sentences(
        [Window(index * WINDOW_SECONDS, (index + 1) * WINDOW_SECONDS, texts[pick]) for pick, index in places], []
    )
    stored = {
        place: (sentences_to_json(inside), vectors_to_bytes(vectors))
        for place, inside, vectors in zip(
            places, window_sentences, embed_window_sentences(window_sentences), strict=True
        )
    }
    chunks = []
    for video in chunked:
        first = int(rng.integers(0, len(texts)))
        picks = [(first + step) % len(texts) for step in range(WINDOWS_PER_VIDEO)]
        noise = rng.standard_normal((len(picks), text_vectors.shape[1])).astype(np.float32)
        vectors = text_vectors[picks] + VECTOR_JITTER * noise / np.linalg.norm(noise, axis=1, keepdims=True)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for index, (pick, vector) in enumerate(zip(picks, vectors, strict=True)):
            chunks.append(
                TranscriptChunk(
                    video=video,
                    index=index,
                    start=index * WINDOW_SECONDS,
                    end=(index + 1) * WINDOW_SECONDS,
                    text=texts[pick],
                    embedding=vector,
                    sentences=stored[pick, index][0],
                    sentence_vectors=stored[pick, index][1],
                    **{f"{scope}_id": getattr(video, f"{scope}_id")},
                )
            )
    made = TranscriptChunk.objects.bulk_create(chunks, batch_size=2_000)
    fill_search_vectors([chunk.pk for chunk in made], [chunk.text for chunk in made], "english")

    verbs = [
        ActivityEvent.Verb.UPLOADED,
        ActivityEvent.Verb.UPLOADED,
        ActivityEvent.Verb.COMMENTED,
        ActivityEvent.Verb.COMMENTED,
        ActivityEvent.Verb.COMPARED,
        ActivityEvent.Verb.STATUS_CHANGED,
        ActivityEvent.Verb.SHARED,
    ]
    events = []
    for number in range(event_count):
        video = videos[number % len(videos)]
        verb = verbs[number % len(verbs)]
        events.append(
            ActivityEvent(
                workspace_id=workspace_id,
                actor_id=owners[number % len(owners)],
                actor_name=f"Member {number % len(owners)}",
                verb=verb,
                target_kind="video",
                target_id=str(video.pk),
                target_label=video.title,
                details={"to": "changes_requested"} if verb == ActivityEvent.Verb.STATUS_CHANGED else {},
                created_at=now - timedelta(seconds=(event_count - number) * 30),
            )
        )
    ActivityEvent.objects.bulk_create(events, batch_size=5_000)


def chunk_scope() -> str:
    """What a transcript window is searched by on this version of the app: its workspace (issue 52's
    search by workspace) where the model has that column, else its owner (the search before it)."""
    from videos.models import TranscriptChunk

    return "workspace" if any(field.name == "workspace" for field in TranscriptChunk._meta.get_fields()) else "owner"


@dataclass(frozen=True)
class Filled:
    studio_id: int
    personal_id: int
    member_id: int  # the member who asks: an editor of the studio, with a personal workspace of their own


def fill(seed: int) -> Filled:
    """The studio and the member's personal workspace, filled."""
    from django.db import connection

    from accounts.models import User
    from billing.models import Plan, Wallet
    from billing.wallets import wallet_change_plan
    from videos.text_embedding.model import embed_texts
    from workspaces.models import Membership, Role, Workspace
    from workspaces.services import workspace_create_team

    rng = np.random.default_rng(seed)
    owner = User.objects.create_user(email="bench-teams-owner@example.com", display_name="Producer")
    wallet_change_plan(wallet=Wallet.objects.get(user=owner), plan=Plan.objects.get(slug="team"))
    studio = workspace_create_team(user=owner, name="Bench Studio")
    others = [
        User.objects.create_user(email=f"bench-teams-{number}@example.com", display_name=f"Member {number}")
        for number in range(1, MEMBERS)
    ]
    # Straight in, past the seat count: the bench measures a studio of this size, whatever plan sells it.
    Membership.objects.bulk_create(
        Membership(workspace=studio, user=user, role=Role.EDITOR if number % 3 else Role.COMMENTER)
        for number, user in enumerate(others)
    )
    member = others[0]
    personal = Workspace.objects.get(created_by=member, kind=Workspace.Kind.PERSONAL)
    texts = windows()
    text_vectors = embed_texts(texts)
    started = time.perf_counter()
    fill_workspace(
        workspace_id=studio.pk,
        owners=[owner.pk, *(user.pk for user in others)],
        video_count=TEAM_VIDEOS,
        groups=GROUPS,
        event_count=TEAM_EVENTS,
        texts=texts,
        text_vectors=text_vectors,
        rng=rng,
    )
    fill_workspace(
        workspace_id=personal.pk,
        owners=[member.pk],
        video_count=PERSONAL_VIDEOS,
        groups=PERSONAL_GROUPS,
        event_count=PERSONAL_EVENTS,
        texts=texts,
        text_vectors=text_vectors,
        rng=rng,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would soon: plans for the tables as filled
    print(f"filled in {time.perf_counter() - started:.1f} s; transcript windows searched by {chunk_scope()}")
    return Filled(studio_id=studio.pk, personal_id=personal.pk, member_id=member.pk)


def seats(base: str, filled: Filled) -> tuple[Seat, Seat]:
    """The member's way into each workspace: two sessions, the first switched to the studio through
    the header's switcher (as a person does), the second left personal; an API token acting in each."""
    from django.test import Client

    from accounts.models import ApiToken, User
    from accounts.services import api_token_create
    from activity.models import ActivityEvent
    from videos.models import Project, Video

    member = User.objects.get(pk=filled.member_id)
    sessions = []
    for _ in range(2):
        signing_in = Client()
        signing_in.force_login(member)
        sessions.append(signing_in.cookies[SESSION_COOKIE].value)
    team_session, personal_session = sessions
    studio_id, personal_id = filled.studio_id, filled.personal_id
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: team_session}) as client:
        page = client.get("/videos/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        csrf_cookie = page.cookies.get("csrftoken")
        if page.status_code != 200 or token is None or csrf_cookie is None:
            raise SystemExit(f"the library answered {page.status_code} with no form to switch workspaces")
        # Sent back by hand: the site marks it Secure (DEBUG off), and this is plain HTTP on loopback.
        client.cookies.set("csrftoken", csrf_cookie)
        switched = client.post(
            "/workspace/switch/", data={"workspace": str(studio_id)}, headers={"X-CSRFToken": token[1]}
        )
        if switched.status_code != 302:
            raise SystemExit(f"switching to the studio answered {switched.status_code}")
    made = []
    for name, workspace_id, session in (
        ("studio", studio_id, team_session),
        ("personal", personal_id, personal_session),
    ):
        _, secret = api_token_create(
            user=member, name=f"bench {name}", scopes=[ApiToken.Scope.READ], workspace_id=workspace_id
        )
        made.append(
            Seat(
                name=name,
                workspace_id=workspace_id,
                session=session,
                token=secret,
                projects=tuple(
                    Project.objects.filter(workspace_id=workspace_id, deleted_at__isnull=True).values_list(
                        "pk", flat=True
                    )
                ),
                videos=Video.objects.filter(workspace_id=workspace_id).count(),
                events=ActivityEvent.objects.filter(workspace_id=workspace_id).count(),
            )
        )
    return made[0], made[1]


# --- measuring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """One kind of request: its name, its goal (ms, None: printed only) and how to make it."""

    name: str
    goal_ms: float | None
    path: str
    by_token: bool
    params: Callable[[int, Seat], dict[str, str]]  # (request number, who asks) -> query parameters
    check: Callable[[httpx.Response, Seat], str]  # "" when the answer is what a user would get


def _cards(response: httpx.Response, seat: Seat) -> str:
    count = response.text.count("data-video-card ")
    return "" if count > 0 else "the library page listed no video"


def _listed(response: httpx.Response, seat: Seat) -> str:
    body = response.json()
    return "" if body.get("results") else "the API listed no video"


def _found(response: httpx.Response, seat: Seat) -> str:
    return "" if isinstance(response.json(), list) else "the search answered no list"


def _feed_page(response: httpx.Response, seat: Seat) -> str:
    return "" if "Member" in response.text else "the activity page showed no event"


def _feed(response: httpx.Response, seat: Seat) -> str:
    return "" if response.json().get("results") else "the activity API listed no event"


ASKS = (
    Ask("library page", GOAL_LIBRARY_P95_MS, "/videos/", False, lambda n, seat: {}, _cards),
    Ask(
        "library page, one project",
        GOAL_LIBRARY_P95_MS,
        "/videos/",
        False,
        project_filter,
        _cards,
    ),
    Ask("API video list", GOAL_LIBRARY_P95_MS, "/api/v1/videos", True, lambda n, seat: {}, _listed),
    Ask(
        "API video list, one project",
        GOAL_LIBRARY_P95_MS,
        "/api/v1/videos",
        True,
        project_filter,
        _listed,
    ),
    Ask(
        "search",
        GOAL_SEARCH_P95_MS,
        "/api/v1/search",
        True,
        lambda n, seat: {"q": QUESTIONS[n % len(QUESTIONS)]},
        _found,
    ),
    Ask("activity page", GOAL_ACTIVITY_P95_MS, "/activity/", False, lambda n, seat: {}, _feed_page),
    Ask("activity API", GOAL_ACTIVITY_P95_MS, "/api/v1/activity", True, lambda n, seat: {}, _feed),
)


@dataclass
class Timings:
    team: list[float]
    personal: list[float]
    found: list[int]  # search results per team request (search only)


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def p50(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def measure(base: str, team: Seat, personal: Seat, ask: Ask, requests: int) -> Timings:
    """`requests` of each, the team's and the personal one alternating (which first, too)."""
    clients = {
        seat.name: httpx.Client(
            base_url=base,
            timeout=60,
            cookies=None if ask.by_token else {SESSION_COOKIE: seat.session},
            headers={"Authorization": f"Bearer {seat.token}"} if ask.by_token else {},
        )
        for seat in (team, personal)
    }
    timings = Timings([], [], [])
    try:
        for number in range(-WARM_UP, requests):
            order = (team, personal) if number % 2 else (personal, team)
            for seat in order:
                started = time.perf_counter()
                response = clients[seat.name].get(ask.path, params=ask.params(number, seat))
                elapsed = (time.perf_counter() - started) * 1000
                problem = (
                    f"answered {response.status_code}" if response.status_code != 200 else ask.check(response, seat)
                )
                if problem:
                    raise SystemExit(f"{ask.name} in the {seat.name} workspace: {problem}")
                if number < 0:
                    continue
                (timings.team if seat is team else timings.personal).append(elapsed)
                if ask.name == "search" and seat is team:
                    timings.found.append(len(response.json()))
    finally:
        for client in clients.values():
            client.close()
    return timings


@dataclass
class SearchParts:
    """A search's steps timed in this process, ms each: the question's embedding, the selector (words
    and meaning fused, in the studio's scope) and the reading of the found windows' sentences and
    their stored vectors that pick each window's quote (videos.search.search_quotes; embedded here
    only for windows without them)."""

    question: list[float]
    selector: list[float]
    sentences: list[float]


def time_search_parts(filled: Filled, count: int) -> SearchParts:
    """What the search API's time is made of, without HTTP or the embedding child (the model runs
    here, on this process's threads): where a search over its goal spends it."""
    from videos.search import moment_sentences, relevant
    from videos.selectors import search_moments_by_vector
    from videos.text_embedding.model import embed_texts

    scope_id = filled.studio_id if chunk_scope() == "workspace" else filled.member_id
    parts = SearchParts([], [], [])
    for number in range(-WARM_UP, count):
        question = QUESTIONS[number % len(QUESTIONS)]
        started = time.perf_counter()
        vector = embed_texts([question])[0]
        embedded = time.perf_counter()
        moments = relevant(search_moments_by_vector(scope_id, vector, question=question, limit=10))
        searched = time.perf_counter()
        found = moment_sentences(moments)
        missing = found.to_embed()
        found.vectors(embed_texts(missing) if missing else np.zeros((0, vector.shape[0]), np.float32))
        quoted = time.perf_counter()
        if number >= 0:
            parts.question.append((embedded - started) * 1000)
            parts.selector.append((searched - embedded) * 1000)
            parts.sentences.append((quoted - searched) * 1000)
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind in each workspace")
    parser.add_argument("--quick", action="store_true", help="40 requests of each kind")
    parser.add_argument("--seed", type=int, default=52)
    add_record_option(parser)
    arguments = parser.parse_args()
    requests = 40 if arguments.quick else arguments.requests

    setup_django("teams", redis_db=BENCH_REDIS_DB)
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
    results: dict[str, Timings] = {}
    with throwaway_database(announce=True):
        filled = fill(arguments.seed)
        connection.close()
        with tempfile.TemporaryFile() as server_log:
            try:
                with daphne_process(WEB_ENV, stdout=subprocess.DEVNULL, stderr=server_log) as (base, web):
                    print(f"web process {web.pid} at {base}", flush=True)
                    team, personal = seats(base, filled)
                    connection.close()  # the bench holds no connection while it measures
                    print(
                        f"studio: {team.videos:,} videos, {team.events:,} events; "
                        f"personal: {personal.videos:,} videos, {personal.events:,} events",
                        flush=True,
                    )
                    for ask in ASKS:
                        results[ask.name] = measure(base, team, personal, ask, requests)
                        figures = results[ask.name]
                        print(
                            f"{ask.name}: studio p50 {p50(figures.team):.1f} ms, p95 {p95(figures.team):.1f} ms; "
                            f"personal p95 {p95(figures.personal):.1f} ms",
                            flush=True,
                        )
            finally:
                server_log.seek(0)
                errors = [line for line in server_log.read().decode(errors="replace").splitlines() if "ERROR" in line]
                for line in errors[:20]:
                    print("server:", line)
        parts = time_search_parts(filled, requests)

    rows = []
    print(f"\n{requests} requests of each kind in each workspace, one at a time")
    for ask in ASKS:
        figures = results[ask.name]
        team_p95, personal_p95 = p95(figures.team), p95(figures.personal)
        met = None if ask.goal_ms is None else team_p95 <= ask.goal_ms
        extra = ""
        if figures.found:
            extra = (
                f"; {sum(1 for n in figures.found if n)} of {len(figures.found)} found something, "
                f"windows searched by {chunk_scope()}"
            )
        figure = (
            f"p95 {team_p95:.1f} ms (p50 {p50(figures.team):.1f}); personal p95 {personal_p95:.1f} ms, "
            f"ratio {team_p95 / personal_p95:.2f}×{extra}"
        )
        goal = f"{ask.name} p95 ≤ {ask.goal_ms:.0f} ms" if ask.goal_ms is not None else f"{ask.name} (no goal)"
        verdict = "—" if met is None else ("met" if met else "NOT MET")
        print(f"{goal}: {figure} — {verdict}")
        rows.append(Row(f"{goal}, {MEMBERS} members, {TEAM_VIDEOS:,} videos, {TEAM_EVENTS:,} events", figure, met))
    parts_figure = (
        f"p95 question embedded {p95(parts.question):.1f} ms, selector {p95(parts.selector):.1f} ms, "
        f"found windows' sentences read {p95(parts.sentences):.1f} ms"
    )
    print(f"search's parts, in this process: {parts_figure}")
    rows.append(Row("search's parts, studio, in-process (no goal)", parts_figure, None))
    if arguments.record:
        record(bench="teams", path=arguments.record, rows=rows)
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
