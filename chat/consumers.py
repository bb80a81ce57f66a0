"""`/ws/chat/<conversation_id>/`: ask questions and watch answers stream, for the conversation's owner.

Client → server: {"type": "message", "text", "client_id"}, {"type": "cancel"},
                 {"type": "resume", "last_message_id", "last_seq"}.
Server → client: {"type": "message", "message"} (a saved message: the question, then the empty
                 streaming answer), {"type": "retrying", "message_id", "message"} (the model is busy
                 and is asked again; only before the answer's first chunk, and not replayed by a
                 resume), {"type": "chunk", "message_id", "seq", "text"} (seq 1, 2, … per
                 answer), {"type": "done", "message", "allowance"?} (the finished answer with its citations
                 and its Markdown rendered as `html`, or its status "cancelled"/"error"; when the
                 writer sends it, `allowance` says what an answer costs and the questions left today),
                 {"type": "error", "code", "message"} (a refusal for tokens adds `tokens` and, with
                 payments on, `buy_url`, as the API's 402 does).

Frames reach every socket of the conversation through its channel-layer group; each socket drops
chunks it already sent (by seq) and `done`s it already sent, so a resume that overlaps the live
stream never shows a piece twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.http import Http404, HttpRequest

from accounts.guests import Viewer, viewer_from_request
from billing.ledger import InsufficientTokens
from billing.packs import refusal_details
from chat import admission, first_chunks, live, selectors, services
from chat.models import Conversation, Message
from sage import ratelimit
from sage.availability import unavailability
from sage.client_address import client_address_from_scope
from sage.consumers import CLOSE_MEMBERSHIP_ENDED, JsonSocket, socket_membership
from sage.errors import ApplicationError, Conflict, Forbidden, Invalid, ServiceUnavailable, TooManyRequests
from sage.realtime import user_group
from videos.text_embedding.batching import embed_text

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


def viewer_from_scope(scope: dict[str, Any]) -> Viewer:
    """A user from the session, or a guest from the signed guest cookie (as pages see them)."""
    request = HttpRequest()
    request.COOKIES = dict(scope.get("cookies") or {})
    # Resolved from the socket's peer and headers as an HTTP request's would be (guest quotas count it).
    request.META["REMOTE_ADDR"] = client_address_from_scope(scope)
    request.user = scope.get("user")  # type: ignore[assignment]
    return viewer_from_request(request)


def _open(scope: dict[str, Any], viewer: Viewer, conversation_id: int) -> tuple[Viewer, Conversation | None]:
    """The viewer in the workspace the socket acts in (a member's: its page's), and their
    conversation: one hop to the database for both."""
    if viewer.user is not None:
        viewer = replace(viewer, workspace_id=socket_membership(scope).workspace_id)
    return viewer, _conversation_for(viewer, conversation_id)


def _conversation_for(viewer: Viewer, conversation_id: int) -> Conversation | None:
    """The viewer's conversation (None: not theirs, trashed, or no such). Whether they may ask in it
    is read again for every question (services.require_may_ask): a role changes while a socket is open."""
    try:
        return selectors.conversation_get_for_viewer(viewer, conversation_id)
    except Http404:  # (anything else is not a "no")
        return None


class ChatQuestionThrottle:
    """Counts the questions one user or guest sends over chat sockets (each costs a database
    transaction and the model's time, even when it is refused), over a sliding window as DRF's
    throttles do (CHAT_SOCKET_RATE_LIMIT, e.g. "20/min"): a question is allowed while fewer than that
    many were allowed in the last period. One Redis round trip on the event loop (a script), not a
    pool thread and two cache calls: a burst of questions queues behind every thread hop."""

    def __init__(self, viewer: Viewer) -> None:
        ident = f"user:{viewer.user.pk}" if viewer.user is not None else f"guest:{viewer.guest_id}"
        self.key = f"chat_socket:{ident}"
        self.wait_seconds = 0.0

    async def allows_another(self) -> bool:
        """Counts one question; False once the viewer is over the rate (`wait_seconds` then says for
        how long)."""
        counted = await ratelimit.acount(self.key, ratelimit.Rate.parse(str(settings.CHAT_SOCKET_RATE_LIMIT)))
        self.wait_seconds = counted.wait
        return counted.allowed

    def wait(self) -> float:
        return self.wait_seconds


class ChatConsumer(JsonSocket):
    async def connect(self) -> None:
        self.viewer = viewer_from_scope(self.scope)
        if self.viewer.user is None and self.viewer.guest_id is None:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        self.viewer, conversation = await live.db(_open)(self.scope, self.viewer, self.conversation_id)
        if conversation is None:
            await self.refuse(CLOSE_NOT_FOUND)  # the same answer for "not yours" and "no such"
            return
        self.conversation = conversation
        self.throttle = ChatQuestionThrottle(self.viewer)
        self.sent_seq: dict[int, int] = {}
        self.sent_done: set[int] = set()
        self.group = live.conversation_group(self.conversation_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        if self.viewer.user is not None:  # to hear that they left the conversation's workspace
            self.member_group = user_group(self.viewer.user.pk)
            await self.channel_layer.group_add(self.member_group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        # The answer being written (if any) goes on: it is saved, and a reconnect catches up.
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if hasattr(self, "member_group"):
            await self.channel_layer.group_discard(self.member_group, self.channel_name)

    async def push_event(self, message: dict[str, Any]) -> None:
        """The user's own live events (balance, videos) belong to /ws/events/, not to a conversation."""

    async def membership_ended(self, message: dict[str, Any]) -> None:
        """Removed from (or left) the conversation's workspace: the conversation closes at once."""
        if message.get("workspace_id") == self.conversation.workspace_id:
            await self.close(code=CLOSE_MEMBERSHIP_ENDED)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "message":
            await self._ask(content.get("text"), content.get("client_id") or "")
        elif kind == "cancel":
            await self._cancel()
        elif kind == "resume":
            await self._resume(content.get("last_message_id"), content.get("last_seq"))
        else:
            await self.send_error(Invalid("Unknown message type: send message, cancel or resume.", code="unknown"))

    # --- client requests -------------------------------------------------------------------------

    async def _ask(self, text: object, client_id: object) -> None:
        try:
            allowed = await self.throttle.allows_another()
        except ServiceUnavailable as unavailable:  # Redis cannot count it: refused, never unlimited
            await self._refuse(unavailable, client_id=client_id)
            return
        if not allowed:
            wait = int(self.throttle.wait() or 1) + 1
            message = f"Too many questions in a row: wait {wait} s and ask again."
            await self._refuse(TooManyRequests(message, code="slow_down"), client_id=client_id)
            return
        # The question's embedding starts now, alongside the payment below (the model runs on another
        # core while the database works); a question refused (or replayed) drops it.
        question_vector = (
            asyncio.ensure_future(embed_text(text.strip()))
            if isinstance(text, str) and text.strip() and len(text.strip()) <= settings.CHAT_MAX_MESSAGE_CHARS
            else None
        )
        started = False
        let_in: admission.Admission | None = None
        # Counted from now: paying is preparing too, and answers under way wait for it.
        preparing = first_chunks.Preparing()
        try:
            # Before paying: no room (for this account, or in this process) costs nothing.
            let_in = await sync_to_async(admission.admit, thread_sensitive=False)(self.viewer)
            start = await live.db(services.answer_begin)(
                viewer=self.viewer, conversation=self.conversation, text=text, client_id=client_id
            )
            if start.replayed:
                # Sent before (a retry after a dropped connection): show what exists, charge nothing.
                # The client asked again, so it gets the whole answer again, even if this socket sent it.
                self.sent_done.discard(start.answer.pk)
                self.sent_seq.pop(start.answer.pk, None)
                await self.send_json({"type": "message", "message": live.message_frame_data(start.question)})
                await self._catch_up(start.answer, after_seq=0, announce=True)
                return
            live.start_answer(
                live.answer_job(start), let_in=let_in, question_vector=question_vector, preparing=preparing
            )
            started = True
        except ApplicationError as error:  # the question refused: a role, bad input, busy, quota, balance
            await self._refuse(error, client_id=client_id)
            if isinstance(error, services.MembershipEnded):  # as the membership.ended notice would
                await self.close(code=CLOSE_MEMBERSHIP_ENDED)
        except Exception as error:
            if (problem := unavailability(error)) is None:
                raise
            # The database or Redis is away or saturated: the question is refused, not the socket.
            await self._refuse(problem.as_error(), client_id=client_id)
        finally:
            if not started:
                preparing.done()
                if question_vector is not None:
                    question_vector.cancel()
                if let_in is not None:  # last: a Redis round trip, after which nothing else may wait
                    await let_in.arelease()

    async def _cancel(self) -> None:
        try:  # cancelling is a chat action too: the role is read again, as for a question
            await live.db(services.require_may_ask)(self.viewer, self.conversation)
        except services.MembershipEnded as ended:
            await self.send_error(ended)
            await self.close(code=CLOSE_MEMBERSHIP_ENDED)
            return
        except Forbidden as refused:
            await self.send_error(refused)
            return
        streaming = await live.db(_streaming_answer_id)(self.conversation_id)
        if streaming is None:
            await self.send_error(Conflict("No answer is being written.", code="nothing_to_cancel"))
            return
        await live.answer_request_cancel(streaming)

    async def _resume(self, last_message_id: object, last_seq: object) -> None:
        last_id, seen_seq = _whole_number(last_message_id), _whole_number(last_seq)
        if last_id is None or seen_seq is None:
            await self.send_error(Invalid("last_message_id and last_seq must be whole numbers."))
            return
        messages = await live.db(selectors.messages_from)(self.conversation_id, first_id=max(last_id, 0))
        for message in messages:
            if message.pk == last_id:
                if message.role == Message.Role.ASSISTANT:
                    await self._catch_up(message, after_seq=seen_seq, announce=False)
                continue
            if message.role == Message.Role.USER:
                await self.send_json({"type": "message", "message": live.message_frame_data(message)})
            else:
                await self._catch_up(message, after_seq=0, announce=True)

    async def _catch_up(self, answer: Message, *, after_seq: int, announce: bool) -> None:
        """Send an answer's missed part: announced (if new to the client), its chunks after
        `after_seq` while it streams, and `done` once it is finished."""
        if announce:
            await self.send_json({"type": "message", "message": live.message_frame_data(answer)})
        self.sent_seq[answer.pk] = max(self.sent_seq.get(answer.pk, 0), after_seq)
        if answer.status == Message.Status.STREAMING:
            for frame in await live.answer_chunks_after(answer.pk, self.sent_seq[answer.pk]):
                await self._send_chunk(frame)
            return
        await self._send_done({"type": "done", "message": live.message_frame_data(answer)})

    async def _refuse(self, error: ApplicationError, *, client_id: object = None) -> None:
        """An error frame about one question: it names the question's `client_id`, so the page gives
        the question back to be sent again."""
        extra: dict[str, Any] = {"client_id": client_id} if client_id else {}
        if isinstance(error, InsufficientTokens):  # the figures, and where to buy the pack that covers them
            extra.update(await database_sync_to_async(refusal_details)(error))
        await self.send_error(error, **extra)

    # --- frames from the group ---------------------------------------------------------------------

    async def chat_frames(self, event: dict[str, Any]) -> None:
        for frame in event["frames"]:
            await self.chat_frame({"frame": frame})

    async def chat_frame(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        if frame["type"] == "chunk":
            await self._send_chunk(frame)
        elif frame["type"] == "done":
            await self._send_done(frame)
        else:
            await self.send_json(frame)

    async def _send_chunk(self, frame: dict[str, Any]) -> None:
        answer_id = int(frame["message_id"])
        if frame["seq"] <= self.sent_seq.get(answer_id, 0):
            return  # already sent by a resume
        self.sent_seq[answer_id] = frame["seq"]
        await self.send_json(frame)

    async def _send_done(self, frame: dict[str, Any]) -> None:
        answer_id = int(frame["message"]["id"])
        if answer_id in self.sent_done:
            return
        self.sent_done.add(answer_id)
        await self.send_json(frame)


def _whole_number(value: object) -> int | None:
    """A JSON whole number or ASCII digits (absent: 0); None for anything else ("²", "３", 1.5, true, -1)."""
    if value is None or value == "":
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 2**63 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _streaming_answer_id(conversation_id: int) -> int | None:
    return (
        Message.objects.filter(
            conversation_id=conversation_id, role=Message.Role.ASSISTANT, status=Message.Status.STREAMING
        )
        .values_list("pk", flat=True)
        .first()
    )
