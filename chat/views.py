"""The chat pages: `/chat/` lists my conversations (search, trash and restore) and starts new ones,
`/chat/<id>/` is one conversation, `/chat/search/` finds my past messages by meaning, and
`/chat/videos/<id>/conversations/` feeds the chat panel on a video's page (JSON).

Pages are for signed-in people; guests chat through the API. The conversation page renders its
messages (escaped) so it reads without JavaScript; `static/js/chat.js` then talks to the socket
(`/ws/chat/<id>/`), streams answers, formats Markdown safely and plays citations. What the script
needs comes as JSON through `json_script` (or the panel's JSON view), never inside HTML attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.guests import Viewer
from accounts.models import User
from chat import selectors, services
from chat.models import TITLE_MAX_CHARS, Conversation, Message
from sage.api.errors import error_response
from sage.errors import Invalid
from sage.formatting import clock_mark
from videos.models import Video
from videos.presenters import VideoView
from videos.selectors import video_get_for_user, videos_for_user
from videos.text_embedding.model import embed_query
from workspaces.current import acting_membership, acting_workspace_id
from workspaces.models import Membership

STARTER_QUESTIONS = 3
STARTER_TOPIC_MAX_CHARS = 80
# A sentence ends at . ! or ? followed by a space (or the end): good enough for a summary's prose.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
PANEL_CONVERSATIONS = 20  # the video page's panel lists this many, newest first; /chat/ has them all
SEARCH_QUERY_MAX_CHARS = 500  # as the API's /messages/search
SEARCH_RESULTS = 20
SEARCH_EXCERPT_CHARS = 240


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _viewer(request: HttpRequest) -> Viewer:
    """The member asking, in the workspace the page acts in (chat is kept per workspace)."""
    return Viewer(user=_user(request), guest_id=None, workspace_id=acting_workspace_id(request))


def chattable_videos(member: Membership) -> QuerySet[Video]:
    """The videos a new conversation can be about: mine that finished processing."""
    return videos_for_user(member).filter(status=Video.Status.READY).order_by("title", "pk")


class NewConversationForm(forms.Form):
    video = forms.ModelChoiceField(
        queryset=Video.objects.none(),
        required=False,
        empty_label="All my videos",
        label="About",
        help_text="One of your ready videos, or your whole library.",
        error_messages={"invalid_choice": "Choose one of your ready videos, or all of them."},
    )

    def __init__(self, *args: Any, member: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["video"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = chattable_videos(member)


def starter_questions(summary: str, *, limit: int = STARTER_QUESTIONS) -> list[str]:
    """Questions made from the summary's first sentences, one each, so a new conversation has
    somewhere to start that this video can actually answer."""
    questions: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(summary.split())):
        topic = sentence.strip().rstrip(".!?").strip()
        if len(topic) < 8:  # "Yes." or a stray initial: nothing to ask about
            continue
        if len(topic) > STARTER_TOPIC_MAX_CHARS:
            topic = topic[: STARTER_TOPIC_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
        questions.append(f"Tell me more about this: “{topic}”")
        if len(questions) == limit:
            break
    return questions


@dataclass(frozen=True)
class CitationChip:
    video_id: int
    start: float
    title: str
    url: str
    text: str = ""  # the sentence cited
    uncertain: bool = False  # the recogniser was unsure of its words

    @property
    def label(self) -> str:
        return f"{clock_mark(self.start)} {self.title}"


@dataclass(frozen=True)
class MessageRow:
    message: Message
    chips: list[CitationChip]


def _chips(message: Message, titles: dict[int, str]) -> list[CitationChip]:
    chips: list[CitationChip] = []
    for citation in message.citations or []:
        try:
            video_id, start = int(citation["video_id"]), float(citation["start"])
        except (KeyError, TypeError, ValueError):
            continue  # a malformed citation is not worth breaking the page for
        url = f"{reverse('videos:video', args=[video_id])}?t={int(start)}"
        chips.append(
            CitationChip(
                video_id=video_id,
                start=start,
                title=titles.get(video_id, "Video"),
                url=url,
                text=str(citation.get("text") or ""),
                uncertain=bool(citation.get("low_confidence")),
            )
        )
    return chips


@require_GET
@login_required
def conversation_list_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    show_trash = request.GET.get("show") == "trash"
    conversations = selectors.conversations_for_viewer(_viewer(request), deleted=show_trash, title_contains=query)
    context = {
        "conversations": conversations,
        "query": query,
        "show_trash": show_trash,
        "trash_days": settings.CHAT_TRASH_DAYS,
        "form": NewConversationForm(member=acting_membership(request), label_suffix=""),
    }
    return render(request, "chat/list.html", context)


@require_POST
@login_required
def conversation_new_view(request: HttpRequest) -> HttpResponse:
    form = NewConversationForm(request.POST, member=acting_membership(request))
    if not form.is_valid():
        errors = [str(error) for error in form.errors.get("video", [])]
        messages.error(request, " ".join(errors) or "That conversation cannot be started.")
        return redirect("chat:list")
    conversation = services.conversation_create(viewer=_viewer(request), video=form.cleaned_data["video"])
    return redirect("chat:conversation", conversation_id=conversation.pk)


@require_POST
@login_required
def conversation_delete_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_viewer(_viewer(request), conversation_id)
    services.conversation_delete(conversation=conversation)
    messages.success(
        request, f"“{conversation}” moved to the trash. It can be restored for {settings.CHAT_TRASH_DAYS} days."
    )
    return redirect("chat:list")


@require_POST
@login_required
def conversation_restore_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_viewer(_viewer(request), conversation_id, include_deleted=True)
    services.conversation_restore(conversation=conversation)
    messages.success(request, f"“{conversation}” was restored.")
    return redirect("chat:conversation", conversation_id=conversation.pk)


def _video_titles(member: Membership, conversation: Conversation) -> dict[int, str]:
    """Titles for citation chips: the conversation's video, or every ready video of mine (a library
    conversation may cite any of them)."""
    if conversation.video is not None:
        return {conversation.video.pk: conversation.video.title}
    return dict(chattable_videos(member).values_list("pk", "title"))


@require_GET
@login_required
def conversation_page(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_viewer(_viewer(request), conversation_id)
    video = conversation.video
    titles = _video_titles(acting_membership(request), conversation)
    rows = [
        MessageRow(message=message, chips=_chips(message, titles))
        for message in selectors.messages_for_conversation(conversation)
    ]
    video_view = VideoView(video) if video is not None else None
    # The inline player plays our own file; a YouTube video's citations open its page instead.
    player_url = video_view.file_url if video_view is not None and not video_view.is_youtube else ""
    starters = starter_questions(video.summary) if video is not None and video.summary else []
    if video is not None and not starters:
        starters = ["What is this video about?"]
    config = {
        "socket_path": f"/ws/chat/{conversation.pk}/",
        "video_id": video.pk if video is not None else None,
        "has_player": bool(player_url),
        "video_url": reverse("videos:video", args=[0]).replace("/0/", "/{id}/"),
        "titles": {str(pk): title for pk, title in titles.items()},
        "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
    }
    context = {
        "conversation": conversation,
        "video": video,
        "rows": rows,
        "player_url": player_url,
        "player_small_url": video_view.small_url if player_url and video_view is not None else "",
        "starters": starters if not rows else [],
        "chat_config": config,
        "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
    }
    return render(request, "chat/conversation.html", context)


# --- the chat panel on a video's page ------------------------------------------------------------


def _panel_conversation(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "title": conversation.title,  # "" until the first question names it
        "updated_at": conversation.updated_at.isoformat(),
        "url": reverse("chat:conversation", args=[conversation.pk]),
        "socket_path": f"/ws/chat/{conversation.pk}/",
        "message_count": getattr(conversation, "message_count", 0),
    }


@require_http_methods(["GET", "POST"])
@login_required
def video_conversations_view(request: HttpRequest, video_id: int) -> JsonResponse:
    """GET: what the panel needs (this video's recent conversations of mine, newest first, and how to
    show them). POST: a new conversation about the video (201), without leaving its page."""
    member = acting_membership(request)
    video = video_get_for_user(member, video_id)  # anyone else's video: 404
    if request.method == "POST":
        form = NewConversationForm({"video": video.pk}, member=member)
        if not form.is_valid():
            return error_response(Invalid("Only a ready video can be chatted about."))
        conversation = services.conversation_create(viewer=_viewer(request), video=video)
        return JsonResponse({"conversation": _panel_conversation(conversation)}, status=201)
    conversations = selectors.conversations_about_video(_viewer(request), video.pk, limit=PANEL_CONVERSATIONS)
    starters = starter_questions(video.summary) if video.summary else []
    return JsonResponse(
        {
            "video_id": video.pk,
            "titles": {str(video.pk): video.title},
            "video_url": reverse("videos:video", args=[0]).replace("/0/", "/{id}/"),
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
            "title_max_chars": TITLE_MAX_CHARS,
            "starters": starters or ["What is this video about?"],
            "conversations": [_panel_conversation(conversation) for conversation in conversations],
        }
    )


# --- search my past messages ---------------------------------------------------------------------


class MessageSearchForm(forms.Form):
    q = forms.CharField(
        label="Search my messages",
        required=False,
        max_length=SEARCH_QUERY_MAX_CHARS,
        strip=True,
        widget=forms.SearchInput(attrs={"placeholder": "What was it about?"}),
        error_messages={"max_length": f"That search is too long: at most {SEARCH_QUERY_MAX_CHARS} characters."},
    )


@dataclass(frozen=True)
class MessageResult:
    message: Message
    excerpt: str
    url: str

    @property
    def conversation_title(self) -> str:
        return str(self.message.conversation)


def message_results(viewer: Viewer, query: str) -> list[MessageResult]:
    """My messages about `query`, best first."""
    hits = selectors.search_my_messages(viewer, embed_query(query), limit=SEARCH_RESULTS)
    return [
        MessageResult(
            message=hit.message,
            excerpt=Truncator(" ".join(hit.message.content.split())).chars(SEARCH_EXCERPT_CHARS),
            url=f"{reverse('chat:conversation', args=[hit.message.conversation_id])}#message-{hit.message.pk}",
        )
        for hit in hits
    ]


@require_GET
@login_required
def message_search_page(request: HttpRequest) -> HttpResponse:
    form = MessageSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = message_results(_viewer(request), query) if query else None
    return render(request, "chat/search.html", {"form": form, "query": query, "results": results})
