"""How many answers are written at once: per account across the site, and per web process.

Asking is refused before anything is paid for, so a refused question costs nothing:

- **Per account** (CHAT_ANSWERS_PER_ACCOUNT): one script firing thirty questions at once gets that
  many written and the rest 429 with `Retry-After`, and everyone else's answers and pages go on.
  Counted in Redis, atomically, so every web process sees the same count: a sorted set per account
  whose members are the answers being written, each with the time it stops counting (an answer whose
  process died stops counting when the reaper would close it).
- **Per process** (CHAT_ANSWERS_RUNNING_PER_PROCESS write at once, CHAT_ANSWERS_WAITING_PER_PROCESS
  more wait for a turn): past both, 503 with `Retry-After`. An answer waiting for its turn holds no
  database connection and no thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import redis
from django.conf import settings

from accounts.guests import Viewer
from sage.cache_pool import cache_client, loop_client
from sage.errors import ServiceUnavailable, TooManyRequests

ACCOUNT_RETRY_SECONDS = 2
PROCESS_RETRY_SECONDS = 2

# Drop the members whose time is up, refuse at `limit`, else add this one. Atomic, so N questions at
# once never let more than `limit` through.
_TAKE_SLOT = """
local now, until_time, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then
    return 0
end
redis.call('ZADD', KEYS[1], until_time, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(until_time - now) + 1)
return 1
"""


class TooManyAnswers(TooManyRequests):
    code = "too_many_answers"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(ACCOUNT_RETRY_SECONDS)}


def _account_key(viewer: Viewer) -> str:
    ident = f"user:{viewer.user.pk}" if viewer.user is not None else f"guest:{viewer.guest_id}"
    return f"{settings.CACHES['default']['KEY_PREFIX']}:chat:writing:{ident}"


class _ProcessSlots:
    """This process's answers: admitted (writing or waiting) and the turns to write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.admitted = 0
        # One semaphore per event loop (asyncio objects belong to the loop that first awaits them).
        self.turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def capacity(self) -> int:
        return settings.CHAT_ANSWERS_RUNNING_PER_PROCESS + settings.CHAT_ANSWERS_WAITING_PER_PROCESS

    def take(self) -> bool:
        with self.lock:
            if self.admitted >= self.capacity():
                return False
            self.admitted += 1
            return True

    def give_back(self) -> None:
        with self.lock:
            self.admitted -= 1

    def turn(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self.turns.get(loop)
        if semaphore is None:
            semaphore = self.turns[loop] = asyncio.Semaphore(settings.CHAT_ANSWERS_RUNNING_PER_PROCESS)
        return semaphore


_process = _ProcessSlots()


@dataclass
class Admission:
    """One answer let in: give it back exactly once (`release`), whatever happens to the answer."""

    account_key: str
    member: str
    released: bool = field(default=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _claim_release(self) -> bool:
        with self.lock:
            if self.released:
                return False
            self.released = True
        _process.give_back()
        return True

    def release(self) -> None:
        if self._claim_release():
            # If Redis cannot be reached the member lapses by itself (its score is its end).
            with contextlib.suppress(redis.RedisError):
                cache_client().zrem(self.account_key, self.member)

    async def arelease(self) -> None:
        """`release` from async code: Redis is asked on the event loop, never blocking it."""
        if self._claim_release():
            with contextlib.suppress(redis.RedisError):
                await loop_client().zrem(self.account_key, self.member)

    def must_wait(self) -> bool:
        """Whether every turn of this process is taken (the answer would wait for one)."""
        return _process.turn().locked()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for one of the process's turns to write, then write."""
        async with _process.turn():
            yield

    def release_when_dropped(self, owner: object) -> None:
        """Release when `owner` (a response's body not yet read) is dropped: a client that hangs up
        before its stream begins never runs the stream's own `finally`."""
        weakref.finalize(owner, self.release)


def admit(viewer: Viewer) -> Admission:
    """Let one more answer of `viewer` be written, or refuse: TooManyAnswers (this account has
    CHAT_ANSWERS_PER_ACCOUNT being written) or ServiceUnavailable (this process is full).

    The account's limit is asked first: a burst from one account is refused before any of it takes
    one of the process's places, which the answers of everyone else need (asked the other way round,
    seventy questions at once from one script held the process full while each waited for its
    account's refusal, and another person's single question was told the site was busy)."""
    member = uuid.uuid4().hex
    key = _account_key(viewer)
    now = time.time()
    taken = cache_client().eval(
        _TAKE_SLOT,
        1,
        key,
        repr(now),
        repr(now + settings.CHAT_STALE_ANSWER_SECONDS),
        str(settings.CHAT_ANSWERS_PER_ACCOUNT),
        member,
    )
    if not int(taken):
        limit = settings.CHAT_ANSWERS_PER_ACCOUNT
        raise TooManyAnswers(
            f"{limit} of your answers are being written already: ask again when one has finished.",
        )
    if not _process.take():
        # If Redis cannot be reached now the member lapses by itself (its score is its end).
        with contextlib.suppress(redis.RedisError):
            cache_client().zrem(key, member)
        raise ServiceUnavailable(
            "Too many answers are being written right now: ask again in a moment.",
            code="busy",
            retry_after=PROCESS_RETRY_SECONDS,
        )
    return Admission(account_key=key, member=member)
