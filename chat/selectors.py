"""Reads for conversations and messages. Ownership lives here: anyone else's conversation is a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from pgvector.django import CosineDistance

from accounts.guests import Viewer
from accounts.models import User
from billing.prices import chat_answer_price
from billing.quota import quota_status
from chat.models import Conversation, Message
from sage.text import storable
from videos.selectors import use_iterative_hnsw_scan


def _owned_by(viewer: Viewer) -> Q | None:
    if viewer.user is not None:
        # A member's own conversations, in the workspace they act in: chat is not shared.
        return Q(owner=viewer.user, workspace_id=viewer.workspace_id)
    if viewer.guest_id is not None:
        return Q(guest_id=viewer.guest_id)
    return None  # a guest without an id owns nothing yet


def conversations_for_viewer(
    viewer: Viewer, *, deleted: bool = False, title_contains: str = ""
) -> QuerySet[Conversation]:
    owned = _owned_by(viewer)
    if owned is None:
        return Conversation.objects.none()
    conversations = Conversation.objects.filter(owned, deleted_at__isnull=not deleted).select_related("video")
    if title_words := title_contains.strip():
        if not storable(title_words):
            return conversations.none()  # pages pass the query string as is (the API refuses it: 400)
        conversations = conversations.filter(title__icontains=title_words)
    return conversations


def conversations_about_video(viewer: Viewer, video_id: int, *, limit: int) -> QuerySet[Conversation]:
    """The viewer's conversations about one video, newest first, each with its `message_count`."""
    return (
        conversations_for_viewer(viewer)
        .filter(video_id=video_id)
        .annotate(message_count=Count("messages"))
        .order_by("-updated_at", "-pk")[:limit]
    )


def conversation_get_for_viewer(viewer: Viewer, pk: int | str, *, include_deleted: bool = False) -> Conversation:
    """The viewer's conversation; Http404 for anyone else's, a missing one, or (unless asked) a trashed one."""
    owned = _owned_by(viewer)
    try:
        if owned is None:
            raise Conversation.DoesNotExist
        conversations = Conversation.objects.filter(owned).select_related("video")
        if not include_deleted:
            conversations = conversations.filter(deleted_at__isnull=True)
        return conversations.get(pk=int(pk))
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such conversation.") from None


def messages_for_conversation(conversation: Conversation) -> QuerySet[Message]:
    return Message.objects.filter(conversation=conversation).order_by("pk")


def messages_from(conversation_id: int, *, first_id: int) -> list[Message]:
    """Messages with id ≥ first_id, in order: what a reconnecting client may have missed."""
    return list(Message.objects.filter(conversation_id=conversation_id, pk__gte=first_id).order_by("pk"))


def recent_turns(conversation_id: int, *, limit: int, before_id: int | None = None) -> list[Message]:
    """The last `limit` finished messages (before `before_id`, if given), oldest first (the prompt's history)."""
    messages = Message.objects.filter(conversation_id=conversation_id)
    if before_id is not None:
        messages = messages.filter(pk__lt=before_id)
    turns = (
        messages.exclude(content="")
        .filter(Q(role=Message.Role.USER) | Q(status=Message.Status.COMPLETE))
        .order_by("-pk")[:limit]
    )
    return list(reversed(turns))


# Cosine distance (MiniLM, 0 = same meaning) beyond which a message does not count as a match, on the
# search page and in the API alike (a vector search returns the nearest rows, however unrelated).
# Measured on chat-like messages: queries about them scored 0.26–0.60 ("cleaning up after baking" → a
# question about washing the bowls 0.33, "how long should the loaf rest" → "let the bread cool for an
# hour" 0.51, the one-word "bugs" → "aphids on my roses" 0.70); unrelated queries 0.74–0.95 ("quantum
# physics lecture" → "What is this video about?" 0.74, "dogs" → the aphids question 0.77, "stock
# market crash" 0.92).
MESSAGE_MATCH_MAX_DISTANCE = 0.72


@dataclass(frozen=True)
class MessageHit:
    message: Message
    distance: float

    @property
    def score(self) -> float:
        return 1.0 - self.distance


def search_my_messages(
    viewer: Viewer, vector: np.ndarray, *, limit: int = 10, max_distance: float = MESSAGE_MATCH_MAX_DISTANCE
) -> list[MessageHit]:
    """The viewer's messages (not in the trash) closest in meaning to `vector`, best first, and only
    those within `max_distance` (the nearest would otherwise come back however unrelated).
    Iterative HNSW scans, as for transcript chunks: the index is shared by everyone."""
    owned = _owned_by(viewer)
    if owned is None:
        return []
    conversation_ids = Conversation.objects.filter(owned, deleted_at__isnull=True).values("pk")
    messages = Message.objects.filter(conversation_id__in=conversation_ids, embedding__isnull=False).select_related(
        "conversation"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        use_iterative_hnsw_scan(cursor)
        rows = list(messages.annotate(distance=CosineDistance("embedding", vector)).order_by("distance")[:limit])
    rows.sort(key=lambda message: message.distance)
    return [MessageHit(message=row, distance=float(row.distance)) for row in rows if row.distance <= max_distance]


# --- what asking costs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatAllowance:
    """What a question costs and how many are left today: shown before asking, and sent with each
    finished answer (the socket's `done` frame) so the page shows what is left."""

    price: int  # tokens per answer (0 for guests, whose answers are free)
    questions_left: int
    questions_per_day: int
    resets_at: dt.datetime  # next UTC midnight

    def frame_data(self) -> dict[str, Any]:
        return {
            "price": self.price,
            "questions_left": self.questions_left,
            "questions_per_day": self.questions_per_day,
            "resets_at": self.resets_at.isoformat(),
        }


def chat_allowance(viewer: Viewer) -> ChatAllowance:
    quota = quota_status(viewer=viewer)
    return ChatAllowance(
        price=chat_answer_price() if viewer.user is not None else 0,
        questions_left=quota.remaining,
        questions_per_day=quota.limit,
        resets_at=quota.resets_at,
    )


def chat_allowance_for_conversation(conversation_id: int) -> ChatAllowance:
    """The allowance of the conversation's owner (a user or a guest), in its workspace."""
    owner_id, guest_id, workspace_id = (
        Conversation.objects.filter(pk=conversation_id).values_list("owner_id", "guest_id", "workspace_id").get()
    )
    user = User.objects.get(pk=owner_id) if owner_id is not None else None
    return chat_allowance(Viewer(user=user, guest_id=guest_id, workspace_id=workspace_id if user else None))
