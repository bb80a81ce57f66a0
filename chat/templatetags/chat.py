"""`{% load chat %}`: the chat pages' and the video page's panel's shared bits.

`{% chat_allowance as allowance %}` gives what an answer costs and the questions left today for the
signed-in person (chat.selectors.ChatAllowance); `{% chat_message_html message video_id %}` renders
a message as the conversation page shows it: in the notes' safe Markdown (notes.markdown: one dialect
for notes and chat), an answer's `[mm:ss]` marks linked to their moment (chat.time_links)."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString

from accounts.guests import Viewer
from accounts.models import User
from chat.models import Message
from chat.selectors import ChatAllowance, chat_allowance
from chat.time_links import message_html
from workspaces.current import acting_workspace_id

register = template.Library()


@register.simple_tag(takes_context=True, name="chat_allowance")
def chat_allowance_tag(context: dict[str, Any]) -> ChatAllowance | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not isinstance(request, HttpRequest):
        return None
    # The questions left where the page acts: a team workspace's plan gives its members their quota.
    return chat_allowance(Viewer(user=user, guest_id=None, workspace_id=acting_workspace_id(request)))


@register.simple_tag
def chat_message_html(message: Message, video_id: int | None) -> SafeString:
    return message_html(message, video_id=video_id)
