"""`{% load chat %}`: the chat pages' and the video page's panel's shared bits.

`{% chat_allowance as allowance %}` gives what an answer costs and the questions left today for the
signed-in person (chat.selectors.ChatAllowance); `{{ text|chat_markdown }}` renders a message with
the notes' safe Markdown (notes.markdown: one dialect for notes and chat)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from accounts.guests import Viewer
from accounts.models import User
from chat.selectors import ChatAllowance, chat_allowance
from notes.markdown import render_note

register = template.Library()


@register.simple_tag(takes_context=True, name="chat_allowance")
def chat_allowance_tag(context: dict[str, Any]) -> ChatAllowance | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return None
    return chat_allowance(Viewer(user=user, guest_id=None))


@register.filter
def chat_markdown(text: str) -> SafeString:
    return render_note(text or "")
