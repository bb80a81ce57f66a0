"""What the fault tests and bench/faults.py run against the site while a service is away: a person
with an API token, a share link guests comment through, and the traffic they send (reads of the
API, guests' comments, chat questions), plus the checks that nothing was lost or doubled after.

Needs Django set up on the database the servers use (pytest-django's, or a bench's throwaway one).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from accounts.services import api_token_create
from billing.models import Plan, Wallet
from billing.selectors import wallets_with_wrong_balance
from chat.models import Message
from chat.services import answers_reap_stale
from devtools.faults import Request, TcpProxy, postgres_socket, tcp_proxy
from reviews.models import Comment, ShareLink
from reviews.services import share_link_create
from videos.models import Video
from workspaces.current import personal_membership
from workspaces.selectors import personal_workspace_of

# What the servers of a fault run need besides their database and Redis: the traffic is a test's
# own load, not abuse, so the rate limits must not answer it (they are still read from the cache).
SERVER_ENV = {
    "API_RATE_LIMIT": "1000000/min",
    "REVIEW_COMMENT_RATE_PER_ADDRESS": "1000000/min",
    "REVIEW_COMMENT_RATE_PER_LINK": "1000000/min",
}


@dataclass
class Sent:
    """What one traffic request asked for, and what came back (None: no answer)."""

    key: str
    status: int | None
    again: int | None = None  # sent again after the fault


@dataclass
class FaultSite:
    """The rows a fault run needs, and a record of every comment and question sent."""

    user_id: int
    api_token: str
    share_token: str
    reviewer_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))  # a guest's browser
    comments: list[Sent] = field(default_factory=list)
    questions: list[tuple[Sent, int]] = field(default_factory=list)  # with the conversation id
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_token}"}

    # --- the traffic (one function per route, for devtools.faults.Traffic) ----------------------

    def read_videos(self, client: httpx.Client) -> httpx.Response:
        return client.get("/api/v1/videos", headers=self.headers)

    def post_comment(self, client: httpx.Client) -> httpx.Response:
        """A guest's comment with a `client_id` (its body), so that sending it again after the fault is
        safe, as the comments panel does."""
        body = f"fault comment {uuid.uuid4().hex}"
        try:
            response = self._send_comment(client, body)
        except httpx.HTTPError:
            self._record_comment(Sent(body, None))
            raise
        self._record_comment(Sent(body, response.status_code))
        return response

    def _send_comment(self, client: httpx.Client, body: str) -> httpx.Response:
        return client.post(
            f"/api/v1/shared/{self.share_token}/comments",
            json={"body": body, "author_name": "Guest", "side": "video", "start": 1.0, "client_id": body[-32:]},
            headers={"X-Reviewer-Key": self.reviewer_key},
        )

    def ask(self, client: httpx.Client) -> httpx.Response:
        """A question in a conversation of its own (one answer at a time per conversation), with a
        `client_id` so that asking again after the fault is safe."""
        created = client.post("/api/v1/conversations", json={}, headers=self.headers)
        if created.status_code != 201:
            return created
        conversation = int(created.json()["id"])
        client_id = f"fault-{uuid.uuid4().hex}"
        try:
            response = client.post(
                f"/api/v1/conversations/{conversation}/messages",
                json={"text": "What is said about the harbour?", "client_id": client_id},
                headers=self.headers,
            )
        except httpx.HTTPError:
            self._record_question(Sent(client_id, None), conversation)
            raise
        self._record_question(Sent(client_id, response.status_code), conversation)
        return response

    def _record_comment(self, sent: Sent) -> None:
        with self._lock:
            self.comments.append(sent)

    def _record_question(self, sent: Sent, conversation: int) -> None:
        with self._lock:
            self.questions.append((sent, conversation))

    def routes(self) -> dict[str, Request]:
        return {"read": self.read_videos, "comment": self.post_comment, "chat": self.ask}

    # --- after the fault --------------------------------------------------------------------------

    def send_again(self, base_url: str) -> list[int]:
        """Every comment and question sent during the run, sent again with its `client_id`, as a
        client whose request failed does; returns the statuses (a replay of one stored is a 200)."""
        replies = []
        with httpx.Client(base_url=base_url, timeout=60) as client:
            for sent in self.comments:
                response = self._send_comment(client, sent.key)
                sent.again = response.status_code
                replies.append(response.status_code)
            for sent, conversation in self.questions:
                response = client.post(
                    f"/api/v1/conversations/{conversation}/messages",
                    json={"text": "What is said about the harbour?", "client_id": sent.key},
                    headers=self.headers,
                )
                replies.append(response.status_code)
        return replies

    def comment_problems(self) -> list[str]:
        """Comments stored twice or not at all, once each was sent again (`send_again`); and replays
        that did not say truly whether it had been stored before (a 503 whose commit went through is
        a 200 when sent again: stored then)."""
        bodies = Comment.objects.filter(link__owner_id=self.user_id).values_list("body", flat=True)
        stored = Counter(bodies)
        problems = [f"{body!r} stored {count} times" for body, count in stored.items() if count > 1]
        for sent in self.comments:
            if stored[sent.key] != 1:
                problems.append(f"{sent.key!r} ({sent.status}, again {sent.again}) stored {stored[sent.key]} times")
            elif sent.status == 201 and sent.again != 200:
                problems.append(f"{sent.key!r} acknowledged, but sent again it answered {sent.again}")
            elif sent.again not in (200, 201):
                problems.append(f"{sent.key!r} ({sent.status}) sent again answered {sent.again}")
        return problems

    def answer_problems(self) -> list[str]:
        """Questions asked or answered more than once, and a balance that does not equal what the
        answers cost."""
        problems = []
        for sent, conversation in self.questions:
            questions = Message.objects.filter(conversation_id=conversation, role=Message.Role.USER).count()
            answers = Message.objects.filter(conversation_id=conversation, role=Message.Role.ASSISTANT).count()
            if questions != 1 or answers > 1:
                problems.append(f"{sent.key}: {questions} questions, {answers} answers")
        # What the answers say they cost (an answer with nothing to quote is free) is what was spent.
        charged = (
            Message.objects.filter(
                conversation__owner_id=self.user_id, role=Message.Role.ASSISTANT, status=Message.Status.COMPLETE
            ).aggregate(total=Sum("cost"))["total"]
            or 0
        )
        spent = START_BALANCE - Wallet.objects.get(user_id=self.user_id).balance
        if spent != charged:
            problems.append(f"the answers cost {charged} tokens, the balance went down by {spent}")
        return problems

    def answers_left_open(self, *, within: float) -> list[int]:
        """The answers still being written once none has closed for `within` seconds: an answer the
        database left in flight is closed (charged, or refunded) by its process once the database is
        back. The bound is on progress, not on the total: while answers keep closing, a slow machine
        is given the time it takes."""
        deadline = time.monotonic() + within
        seen: list[int] | None = None
        while True:
            open_answers = list(
                Message.objects.filter(
                    conversation__owner_id=self.user_id, status=Message.Status.STREAMING
                ).values_list("pk", flat=True)
            )
            if seen is not None and len(open_answers) < len(seen):
                deadline = time.monotonic() + within  # one closed: the wait starts again
            seen = open_answers
            if not open_answers or time.monotonic() >= deadline:
                return open_answers
            time.sleep(0.2)

    def reap_answers_left_streaming(self) -> int:
        """Answers a killed web process left streaming, with their holds open, are closed and refunded
        by the beat's reaper once CHAT_STALE_ANSWER_SECONDS have passed with no word from them; this
        runs it as if they had. Returns how many it closed."""
        stale = timezone.now() - dt.timedelta(seconds=settings.CHAT_STALE_ANSWER_SECONDS + 1)
        Message.objects.filter(conversation__owner_id=self.user_id, status=Message.Status.STREAMING).update(
            updated_at=stale
        )
        return len(answers_reap_stale())

    def ledger_problems(self) -> list[str]:
        return [f"wallet {wallet.pk}: balance {wallet.balance}" for wallet in wallets_with_wrong_balance()]


START_BALANCE = 100_000


@contextmanager
def database_proxy() -> Iterator[tuple[TcpProxy, str]]:
    """A proxy to the database this process uses (a Unix socket, as the embedded server's, or TCP),
    and a DATABASE_URL that reaches it through the proxy."""
    db = connection.settings_dict
    host = db["HOST"] or "/var/run/postgresql"
    target: tuple[str, int] | str = (
        postgres_socket(host, db["PORT"]) if host.startswith("/") else (host, int(db["PORT"] or 5432))
    )
    with tcp_proxy(target) as proxy:
        user, password = quote(db["USER"] or ""), quote(db["PASSWORD"] or "")
        yield proxy, f"postgresql://{user}:{password}@{proxy.address}/{db['NAME']}"


def fault_site_create() -> FaultSite:
    """A person with a large balance and an API token, and a ready video of theirs shared with
    comments on."""
    from billing.ledger import ledger_grant  # billing's own service, as a support grant would be

    user = User.objects.create_user(email=f"faults-{uuid.uuid4().hex[:12]}@example.com", password=None)
    # A plan of its own whose daily chat quota the traffic never reaches (a copy of the largest).
    plan = Plan.objects.order_by("-daily_chat_messages").first()
    assert plan is not None, "the plans come from a data migration"
    plan.pk = None
    plan.slug = f"faults-{user.pk}"
    plan.is_default = False
    plan.stripe_price_id = ""
    plan.daily_chat_messages = 1_000_000
    plan.save()
    Wallet.objects.filter(user=user).update(plan=plan)
    wallet = Wallet.objects.get(user=user)
    ledger_grant(user=user, amount=START_BALANCE - wallet.balance, key=f"faults:{user.pk}", memo="fault run")
    _token, secret = api_token_create(user=user, name="faults", scopes=["chat", "read", "videos:write"])
    video = Video.objects.create(
        owner=user,
        workspace=personal_workspace_of(user),
        title="Harbour walk",
        status=Video.Status.READY,
        duration=60.0,
    )
    _link, share_token = share_link_create(
        member=personal_membership(user), shared=video, name="faults", permission=ShareLink.Permission.COMMENT
    )
    return FaultSite(user_id=user.pk, api_token=secret, share_token=share_token)
