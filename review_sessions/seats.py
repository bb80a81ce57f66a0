"""Who holds a seat in a session, as this web process last read it: a crowd at the door is told
"full" without a query each.

Most of a crowd joining a full session are refused, and a refusal read the session's connected
people every time. Here a process reads them once per SEATS_FRESH_S for each session, and adds the
people it lets in meanwhile; a seat freed through this process drops what it read. A seat freed
through another process is seen within SEATS_FRESH_S (until then the person is refused as they would
have been a moment earlier). Never more are let in than there are seats: whoever is not refused here
is counted again under the session's lock (`services.participant_join`)."""

from __future__ import annotations

import threading
import time

from django.conf import settings

from review_sessions.models import Participant

# One read per session per tick of presence (`review_sessions.presence.PRESENCE_TICK_S`).
SEATS_FRESH_S = 0.25
# Sessions remembered at most; past this, the ones read longest ago are dropped.
MAX_SESSIONS = 1000

Person = tuple[int | None, str]  # (user id, reviewer key digest): a member's digest is ""


def person(user_id: int | None, key_digest: str) -> Person:
    return (user_id, "") if user_id is not None else (None, key_digest)


class Seats:
    def __init__(self, fresh_s: float = SEATS_FRESH_S) -> None:
        self.fresh_s = fresh_s
        # The session threads (REVIEW_SESSION_DB_THREADS) and the event loop share what was read.
        self.lock = threading.Lock()
        self.held: dict[int, tuple[float, set[Person]]] = {}

    def full_for(self, *, session_id: int, who: Person) -> bool:
        """Every seat is taken by others (a second socket of someone in it is not another person),
        read again from the database when what this process read is older than `fresh_s`."""
        known = self.known_full(session_id=session_id, who=who)
        if known is not None:
            return known
        connected = Participant.objects.filter(session_id=session_id, open_sockets__gt=0)
        held: set[Person] = set(connected.values_list("user_id", "reviewer_key_digest"))
        with self.lock:
            self.held[session_id] = (time.monotonic(), held)
            self._forget_oldest()
        return self._full(held, who)

    def known_full(self, *, session_id: int, who: Person) -> bool | None:
        """`full_for` from what this process read lately, with no query (None: nothing fresh is
        known): the event loop asks it, so a crowd refused takes no turn on the session threads.
        The lock is only ever held for a few dict operations, never across a query."""
        with self.lock:
            read = self.held.get(session_id)
            if read is None or time.monotonic() - read[0] > self.fresh_s:
                return None
            return self._full(read[1], who)

    @staticmethod
    def _full(held: set[Person], who: Person) -> bool:
        return len(held) >= settings.REVIEW_SESSION_MAX_PARTICIPANTS and who not in held

    def taken(self, *, session_id: int, who: Person) -> None:
        with self.lock:
            read = self.held.get(session_id)
            if read is not None:
                read[1].add(who)

    def freed(self, *, session_id: int) -> None:
        with self.lock:
            self.held.pop(session_id, None)

    def _forget_oldest(self) -> None:
        if len(self.held) > MAX_SESSIONS:
            oldest = sorted(self.held, key=lambda pk: self.held[pk][0])[: len(self.held) - MAX_SESSIONS]
            for pk in oldest:
                del self.held[pk]


this_process = Seats()
