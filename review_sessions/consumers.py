"""`/ws/sessions/<code>/` (members) and `/ws/sessions/<code>/?link=<token>` (a link's guests): one
participant's socket in a live review session. The protocol is the contract's (docs/api.md,
"Review sessions"): hello/welcome, clock pings, the presenter's state, follow, handover, end, drawing
drafts, bye; the server sends state, participants (coalesced per socket: `review_sessions.presence`),
presenter changes, drafts, the object's comments, and the session's end.

Every socket of a session joins its group (`review_sessions.live`), so any web process serves any
participant; what a frame changes is stored first (`review_sessions.services`). A member's socket
also hears its workspace's events (for the object's comments) and its own account's (a membership
that ended closes it); a guest's hears its link's (revoked, expired, deleted, sessions turned off:
it closes).

A crowd joining at once (issue 61): a socket is accepted before any database work (daphne drops one
not accepted within 5 s), and its work (who the member is, the session, the join) runs on the session
sockets' own threads (`review_sessions.offload`), not on the one thread every consumer shares; what
letting someone in needs of the session is read once a second per process (`selectors.session_facts`;
who asks is asked every time); a full session is refused from a count of its seats read once a tick
(`review_sessions.seats`), on the event loop while that count is fresh, before the session's group
is joined; who is in the session is told once per short tick (`review_sessions.presence`). Nothing
is sent on a socket whose client left or that was closed: what the client sends is read as it comes
(`_read_as_it_comes`), so a join that ends after its client went counts it out instead of welcoming
nobody.

Clock pings are answered at once, with no database work: a client's offset estimate is only as
good as the time between receipt and answer is short and steady. (Who is connected is kept seen by
the process holding the socket, `review_sessions.heartbeat`, not by the pings.)
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import parse_qs

from autobahn.exception import Disconnected
from django.contrib.auth import get_user
from django.http import Http404, HttpRequest

from accounts.models import User
from review_sessions import frames, heartbeat, live, presence, seats, services
from review_sessions.apart import apart_of
from review_sessions.models import ReviewSession
from review_sessions.offload import off_thread
from review_sessions.presence import LatestWins
from review_sessions.presenters import participant_json, session_now_json
from review_sessions.selectors import StateLimits, session_facts_for_link, session_facts_for_user
from reviews.access import share_link_for_scope
from reviews.comments import reviewer_key_digest
from reviews.live import COMMENT_EVENTS, LINK_CLOSED, LINK_UPDATED, link_group, link_guest
from reviews.services import share_link_opened
from sage.consumers import CLOSE_MEMBERSHIP_ENDED, JsonSocket, socket_membership
from sage.errors import ApplicationError, Forbidden, Invalid, TooManyRequests
from sage.realtime import user_group, workspace_group
from sage.socket_timers import call_at, cancel_timer
from workspaces import policy
from workspaces.current import member_actor
from workspaces.models import Role
from workspaces.policy import ROLE_RANK

CLOSE_NOT_FOUND = 4404
CLOSE_LEFT = CLOSE_MEMBERSHIP_ENDED  # 4403: a revoked link, a removed member
CLOSE_ENDED = 4410
MAX_FRAME_CHARS = 64 * 1024
# Every frame a socket sends counts here, whatever it is. A page sends a few a second (clock pings,
# a presenter's states, drafts while drawing: at most a few dozen in a busy second); a socket that
# keeps sending past this is flooding, and is closed rather than let the frames it queued hold up the
# web process (and the closing of its own connection, which counts it out of the session).
FRAMES_PER_S = 60
FRAMES_BURST = 120
# ... but frames are counted as they are handled, and a web process with too much to do handles each
# socket's more slowly than they come. What a socket has sent and is not handled yet tells: a page
# sends a few a second, so a hundred waiting is a flood (or a process so far behind that the page is
# better off reconnecting).
MAX_WAITING_FRAMES = 100
CLOSE_FLOODING = 4429
# How long a member's role, read at connect, is trusted for presenting and drawing before it is read
# again. A role change is also told to the socket at once (`membership_role_changed`), so this only
# bounds a notice lost on its way; removal closes the socket at once.
ROLE_FRESH_S = 5.0
# The policy's action a socket's presenting and drawing are.
PRESENTING = services.START


class TokenBucket:
    """`rate` frames a second with bursts of up to `burst`: counted in the socket itself (no Redis
    round trip for a clock ping), which is the scope that matters here — one page's frames."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass(frozen=True)
class Opened:
    """What a socket learnt when it connected: the session, who is asking, what they may do."""

    session_id: int
    code: str
    workspace_id: int
    user: User | None
    link_id: int | None
    may_present: bool
    limits: StateLimits
    shown: tuple[str, int]
    welcome_fixed: dict[str, Any]  # the session's JSON that stays as it is: shared, read only
    # A guest's link's expiry: its sockets close then, as the shared page's do.
    link_expires_at: datetime | None = None


def _open(scope: dict[str, Any], code: str, token: str | None) -> Opened | None:
    """The live session `code` this socket may join, or None (closed with 4404: no such session, not
    the member's workspace's, ended, the link not live or not letting its guests in). Who asks is
    asked every time; the session is what this process read of it lately (`session_facts`)."""
    user: User | None = None
    expires_at = None
    try:
        if token is not None:
            link = share_link_for_scope(scope, token)
            session = session_facts_for_link(link, code)
            share_link_opened(link=link)
            expires_at = link.expires_at
            may_present = policy.may(link_guest(link), PRESENTING, workspace_id=session.workspace_id)
        else:
            # The session cookie's user, read by Django's own `get_user` here, on this socket's thread
            # after it was accepted (the site's other sockets have Channels' AuthMiddleware read it
            # before, on the shared thread).
            signed_in = get_user(cast(HttpRequest, SimpleNamespace(session=scope["session"])))
            if not signed_in.is_authenticated:
                return None
            user = signed_in
            scope["user"] = user
            member = socket_membership(scope)
            session = session_facts_for_user(member, code)
            may_present = policy.may(member_actor(member), PRESENTING, workspace_id=session.workspace_id)
        if not session.live:
            return None
    except (ApplicationError, Http404):  # the same close for every refusal: nothing leaks
        return None
    return Opened(
        session_id=session.id,
        code=session.code,
        workspace_id=session.workspace_id,
        user=user,
        link_id=session.link_id if token is not None else None,
        may_present=may_present,
        limits=session.limits,
        shown=session.shown,
        welcome_fixed=session.welcome_fixed,
        link_expires_at=expires_at,
    )


def _join(opened: Opened, *, name: str, key_digest: str) -> dict[str, Any]:
    """Count the socket in and build its welcome from what the join read (one thread hop)."""
    joined = services.participant_join(session_id=opened.session_id, name=name, user=opened.user, key_digest=key_digest)
    session, participants, you = joined.session, joined.participants, joined.participant
    steerer = services.Steerer(user=opened.user, key_digest=key_digest)
    return {
        # `may_steer`: this person may hand over and end the session whoever presents (its starter,
        # a workspace admin); the presenter may while presenting, which the page follows itself.
        "you": {
            **participant_json(you, presenter_id=session.presenter_id),
            "may_steer": services.steers_whoever_presents(session, steerer),
        },
        "session": {**opened.welcome_fixed, **session_now_json(session, participants)},
        "server_ms": frames.server_ms(),
    }


class SessionConsumer(JsonSocket):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.client_gone = False  # the client closed (or lost) its side: nothing more is sent to it
        self.closed_here = False  # this side closed it
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.waiting_frames = inbox.qsize  # what the client sent that is not handled yet
        reading = asyncio.ensure_future(self._read_as_it_comes(receive, inbox))

        async def send_while_open(message: dict[str, Any]) -> None:
            # A frame for a socket already gone would only be refused by the server ("Attempt to send
            # on a closed protocol"): it is dropped here, as is anything after this side's close.
            if self.client_gone or self.closed_here:
                return
            self.closed_here = message["type"] == "websocket.close"
            try:
                await send(message)
            except Disconnected:
                # daphne closed it before its disconnect reached us (its handshake timeout, a client
                # gone mid-send): the same as a client gone, which nothing more is sent to.
                self.client_gone = True

        try:
            await super().__call__(scope, inbox.get, send_while_open)
        finally:
            reading.cancel()
            # A socket whose client went while frames it had sent were still queued gets its
            # disconnect only behind them, and the server cancels it if that takes too long (daphne,
            # after 10 s): it is counted out and leaves its groups here all the same, shielded from
            # being cancelled again, or it would stay "connected" and in its groups.
            if (
                getattr(self, "participant_id", None) is not None
                or getattr(self, "joining", None) is not None
                or getattr(self, "joined_groups", None)
            ):
                await asyncio.shield(self._leave_everything())

    async def _read_as_it_comes(self, receive: Any, inbox: asyncio.Queue[dict[str, Any]]) -> None:
        """What the client sends, moved to the consumer's inbox as it arrives rather than when the
        consumer asks for the next one: a disconnect is known at once, while a join still runs."""
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                self.client_gone = True
            inbox.put_nowait(message)
            if self.client_gone:
                return

    async def connect(self) -> None:
        self.participant_id: int | None = None
        self.joining: asyncio.Future[dict[str, Any]] | None = None
        self.presenter_id: int | None = None
        self.key_digest = ""
        self.presence = LatestWins(self._send_participants)
        code = str(self.scope["url_route"]["kwargs"]["code"])
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = query["link"][0] if "link" in query else None
        # Accepted first: the handshake is answered at once however many open together, and a
        # refusal is a close with its code, which the page reads (a refused handshake is only 1006).
        await self.accept()
        opened = await off_thread(_open)(self.scope, code, token)
        if opened is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.opened = opened
        # The session's own group is joined at the hello (`_hello`).
        self.joined_groups: list[str] = []
        if opened.link_id is not None:
            self.joined_groups.append(link_group(opened.link_id))
        if opened.user is not None:
            self.joined_groups += [user_group(opened.user.pk), workspace_group(opened.workspace_id)]
        for group in self.joined_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.frames = TokenBucket(rate=FRAMES_PER_S, burst=FRAMES_BURST)
        self.flooded = False
        self.pings = TokenBucket(rate=20, burst=20)
        self.states = TokenBucket(rate=30, burst=30)
        self.drafts = TokenBucket(rate=10, burst=10)
        self.may_present = opened.may_present
        self.role_read_at = time.monotonic()
        self.expiry = call_at(opened.link_expires_at, self._leave_at_expiry)

    async def _leave_at_expiry(self) -> None:
        await self._left("link_closed")

    async def disconnect(self, code: int) -> None:
        await cancel_timer(getattr(self, "expiry", None))
        await self._leave_everything()

    async def _leave_everything(self) -> None:
        """Counted out of the session and out of every group (once: a disconnect, or a cancel)."""
        presence = getattr(self, "presence", None)
        if presence is not None:
            await presence.close()
        await self._count_out()
        groups, self.joined_groups = getattr(self, "joined_groups", []), []
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        self.received_ms = frames.server_ms()  # a clock ping's t1: before any parsing
        if not await self._counted():
            return
        if text_data is not None and len(text_data) > MAX_FRAME_CHARS:
            await self._too_large()
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)

    async def frame_too_large(self, limit_bytes: int) -> None:
        """A frame over the server's cap (thrown away unread): refused as any frame over 64 KB is."""
        if await self._counted():
            await self._too_large()

    async def _counted(self) -> bool:
        """Whether a frame that came is to be handled: not once the socket closed or flooded, and not
        past the frame rate (which closes it)."""
        if self.closed_here or self.client_gone or self.flooded:
            return False  # what it queued before it was closed, or before its client went: dropped unread
        if not self.frames.take() or self.waiting_frames() > MAX_WAITING_FRAMES:
            await self._flooding()
            return False
        return True

    async def _too_large(self) -> None:
        await self.send_error(Invalid(f"A frame is at most {MAX_FRAME_CHARS // 1024} KB.", code="too_large"))

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if self.participant_id is None and kind != "hello":
            await self.send_error(Invalid("Say hello first.", code="hello_first"))
            return
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_error(Invalid("Unknown message type.", code="unknown"))
            return
        try:
            await handler(self, content)
        except services.SessionEnded:
            await self._ended(ReviewSession.EndReason.ENDED)
        except ApplicationError as error:
            await self.send_error(error, type_of=kind)

    # --- client frames --------------------------------------------------------------------------

    async def _hello(self, content: dict[str, Any]) -> None:
        if self.participant_id is not None:
            raise Invalid("Hello was said already.", code="hello_again")
        opened = self.opened
        if opened.user is not None:
            name = opened.user.name
        else:
            name = frames.guest_name(content.get("name"))
            self.key_digest = reviewer_key_digest(content.get("reviewer_key"))
        # Refused on the event loop when this process knows every seat is taken (`seats`): most of a
        # crowd at a full session's door takes no turn on the session threads, nor joins its group.
        who = seats.person(opened.user.pk if opened.user is not None else None, self.key_digest)
        if seats.this_process.known_full(session_id=opened.session_id, who=who):
            await self._full(services.SessionFull())
            return
        # In the session's group before the join reads the session: what changes after the welcome's
        # snapshot reaches this socket (what came before, the welcome carries). Not before the hello:
        # every socket of the group hears every list of who is in it, and a crowd refused would too.
        group = live.session_group(opened.code)
        if group not in self.joined_groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined_groups.append(group)
        # Shielded: a socket cancelled while its join runs (the server giving up on it) still has the
        # join commit, and counts it out once it has (`_count_out`).
        self.joining = asyncio.ensure_future(off_thread(_join)(opened, name=name, key_digest=self.key_digest))
        try:
            welcome = await asyncio.shield(self.joining)
        except services.SessionFull as full:
            await self._full(full)
            return
        finally:
            if self.joining.done():
                self.joining = None
        self.participant_id = welcome["you"]["id"]
        self.presenter_id = (welcome["session"]["presenter"] or {}).get("id")
        heartbeat.this_process.hold(self.participant_id)  # seen while this process holds the socket
        presence.this_process.changed(code=opened.code, session_id=opened.session_id)
        if self.client_gone:
            await self._count_out()  # left while joining: counted out, and nobody to welcome
            return
        await self.send_json({"type": "welcome", "data": welcome})

    async def _full(self, full: services.SessionFull) -> None:
        await self.send_json({"type": live.SESSION_LEFT, "data": {"reason": "full", "message": full.message}})
        await self.close(code=CLOSE_LEFT)

    async def _ping(self, content: dict[str, Any]) -> None:
        if not self.pings.take():
            raise TooManyRequests("At most 20 clock pings a second.")
        ping_id, t0 = content.get("id"), content.get("t0")
        if isinstance(ping_id, bool) or not isinstance(ping_id, int | str) or len(str(ping_id)) > 40:
            raise Invalid("`id`: a number or a short string.", code="invalid")
        t0 = frames.client_ms(t0)
        await self.send_json(
            {"type": "clock.pong", "id": ping_id, "t0": t0, "t1": self.received_ms, "t2": frames.server_ms()}
        )

    async def _state(self, content: dict[str, Any]) -> None:
        await self._require_present()
        # Who presents is known here from the welcome and the session's frames since: anyone else's
        # states are refused without a trip to the database, so a flood of them from one page (or
        # many) cannot queue the site's requests behind it in the process's one database thread.
        if self.presenter_id != self.participant_id:
            raise services.NotPresenter()
        if not self.states.take():
            raise TooManyRequests("At most 30 states a second.")
        state = frames.presenter_state(content.get("data"), self.opened.limits, received_ms=self.received_ms)
        apart = apart_of(content.get("data"), self.opened.limits)
        await off_thread(services.presenter_state_set)(
            session_id=self.opened.session_id, participant_id=self.participant_id, state=state, apart=apart
        )

    async def _follow(self, content: dict[str, Any]) -> None:
        await off_thread(services.participant_follow)(
            participant_id=self.participant_id, following=content["type"] == "follow"
        )

    async def _handover(self, content: dict[str, Any]) -> None:
        await off_thread(services.session_handover)(
            session_id=self.opened.session_id, to_participant_id=content.get("to"), steerer=self._steerer()
        )

    async def _end(self, content: dict[str, Any]) -> None:
        """Ends the session for everyone (the presenter, the starter or an admin): every socket of it,
        this one too, hears `session.ended` from the session's group and closes."""
        await off_thread(services.session_end)(
            session_id=self.opened.session_id, reason=ReviewSession.EndReason.ENDED, by=self._steerer()
        )

    async def _draft(self, content: dict[str, Any]) -> None:
        await self._require_present()
        if not self.drafts.take():
            raise TooManyRequests("At most 10 drawing drafts a second.")
        draft = frames.drawing_draft(content.get("data"), self.opened.limits)
        message = live.session_message(live.DRAWING_DRAFT, {"by": self.participant_id, **draft})
        await self.channel_layer.group_send(live.session_group(self.opened.code), message)

    async def _clear(self, content: dict[str, Any]) -> None:
        message = live.session_message(live.DRAWING_CLEAR, {"by": self.participant_id})
        await self.channel_layer.group_send(live.session_group(self.opened.code), message)

    async def _bye(self, content: dict[str, Any]) -> None:
        await self.close(code=1000)
        await self._count_out()

    async def _require_present(self) -> None:
        user = self.opened.user
        if user is not None and time.monotonic() - self.role_read_at > ROLE_FRESH_S:
            self.role_read_at = time.monotonic()
            self.may_present = await off_thread(services.member_may_present)(user, self.opened.workspace_id)
        if not self.may_present:
            refusal = policy.role_refusal(policy.POLICY[PRESENTING].role or Role.COMMENTER)
            raise Forbidden(f"{refusal} In a session they follow.", code="follow_only")

    def _steerer(self) -> services.Steerer:
        return services.Steerer(user=self.opened.user, key_digest=self.key_digest)

    # --- server events --------------------------------------------------------------------------

    async def _count_out(self) -> None:
        """The socket is no longer one of its participant's (once: closing by the server, then the
        disconnect that follows, both get here). The others see it go at once, before the client's
        side of the close comes back."""
        joining, self.joining = getattr(self, "joining", None), None
        if self.participant_id is None and joining is not None:
            # Cancelled while its join ran: the join commits all the same, and is counted out here.
            try:
                welcome = await joining
            except Exception:
                return
            self.participant_id = welcome["you"]["id"]
            heartbeat.this_process.hold(self.participant_id)
        if self.participant_id is not None:
            participant_id, self.participant_id = self.participant_id, None
            heartbeat.this_process.release(participant_id)
            if await off_thread(services.participant_leave)(participant_id=participant_id) is not None:
                presence.this_process.changed(code=self.opened.code, session_id=self.opened.session_id)

    async def _flooding(self) -> None:
        self.flooded = True
        await self.send_error(
            TooManyRequests(f"More than {FRAMES_PER_S} frames a second: this connection is closed.", code="flooding")
        )
        await self.close(code=CLOSE_FLOODING)
        await self._count_out()

    async def _ended(self, reason: str) -> None:
        await self.presence.close()
        await self.send_json({"type": live.SESSION_ENDED, "data": {"reason": reason}})
        await self.close(code=CLOSE_ENDED)
        await self._count_out()

    async def _left(self, reason: str) -> None:
        await self.presence.close()
        await self.send_json({"type": live.SESSION_LEFT, "data": {"reason": reason}})
        await self.close(code=CLOSE_LEFT)
        await self._count_out()

    async def push_event(self, message: dict[str, Any]) -> None:
        event, data = message["event"], message.get("data") or {}
        if event == live.SESSION_ENDED:
            await self._ended(data.get("reason", ""))
        elif event == LINK_CLOSED and self.opened.link_id is not None:
            await self._left("link_closed")
        elif event == LINK_UPDATED and self.opened.link_id is not None:
            if not data.get("can_join_sessions"):
                await self._left("sessions_off")
        elif self.participant_id is None:
            return  # not in yet: the welcome carries everything up to now
        elif event in live.SESSION_EVENTS:
            self._note_presenter(event, data)
            if event in (live.DRAWING_DRAFT, live.DRAWING_CLEAR) and data.get("by") == self.participant_id:
                return  # one's own draft is already on one's page
            if event == live.PARTICIPANTS:
                await self.presence.offer(data)
                return
            if event == live.PRESENTER:
                await self.presence.flush()  # a list from before the handover must not come after it
            await self.send_json({"type": event, "data": data})
        elif event in COMMENT_EVENTS:
            kind, pk = self.opened.shown
            if data.get(f"{kind}_id") == pk:
                await self.send_json({"type": event, "data": data})

    async def _send_participants(self, participants: Any) -> None:
        await self.send_json({"type": live.PARTICIPANTS, "data": participants})

    def _note_presenter(self, event: str, data: Any) -> None:
        if event == live.PRESENTER:
            self.presenter_id = data.get("id")
        elif event == live.STATE:
            self.presenter_id = data.get("by", self.presenter_id)
        elif event == live.PARTICIPANTS:
            self.presenter_id = next((one["id"] for one in data if one.get("presenter")), None)

    async def membership_role_changed(self, message: dict[str, Any]) -> None:
        """The member's role in the session's workspace changed: presenting and drawing follow it at
        once (a presenter made viewer is refused on their next frame), not at the next re-read."""
        role, workspace_id = message.get("role"), message.get("workspace_id")
        if self.opened.user is not None and workspace_id == self.opened.workspace_id and role in ROLE_RANK:
            actor = policy.Member(user_id=self.opened.user.pk, workspace_id=self.opened.workspace_id, role=role)
            self.may_present = policy.may(actor, PRESENTING, workspace_id=self.opened.workspace_id)
            self.role_read_at = time.monotonic()

    async def membership_ended(self, message: dict[str, Any]) -> None:
        """Removed from (or left) the session's workspace: out of the session at once."""
        if message.get("workspace_id") == self.opened.workspace_id:
            await self._left("membership_ended")


_HANDLERS = {
    "hello": SessionConsumer._hello,
    "clock.ping": SessionConsumer._ping,
    "state": SessionConsumer._state,
    "follow": SessionConsumer._follow,
    "unfollow": SessionConsumer._follow,
    "handover": SessionConsumer._handover,
    "end": SessionConsumer._end,
    "drawing.draft": SessionConsumer._draft,
    "drawing.clear": SessionConsumer._clear,
    "bye": SessionConsumer._bye,
}
