"""`{% live_session_start target %}`: "Start a live session" (and "Join live session" for the
object's live ones) on a comparison's or a video's page, for members who may start one."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.urls import reverse

from review_sessions.services import START
from reviews.live import can_join_sessions
from reviews.reach import live_links
from reviews.selectors import share_links_for_object
from videos.models import Comparison, Video, VideoStack
from workspaces.current import acting_membership
from workspaces.policy import may

register = template.Library()


def target_kind(target: Comparison | Video | VideoStack) -> str:
    if isinstance(target, Comparison):
        return "comparison"
    return "stack" if isinstance(target, VideoStack) else "video"


@register.inclusion_tag("review_sessions/partials/start_button.html", takes_context=True)
def live_session_start(
    context: template.Context, target: Comparison | Video | VideoStack, label: str = "Start a live session"
) -> dict[str, Any]:
    """A stack's session shows its newest version against the one before, as a stack's link does."""
    kind = target_kind(target)
    sessions = reverse("api-sessions")
    membership = acting_membership(context["request"])
    open_links = share_links_for_object(membership, target).filter(live_links())
    return {
        "csrf_token": context.get("csrf_token"),
        "start": {
            "start_url": sessions,
            "list_url": f"{sessions}?{kind}={target.pk}",
            "body_json": json.dumps({kind: target.pk}),
            "guest": False,
            "label": label,
            # The object's links whose guests may be let in (the first chosen: its owner allowed sessions).
            "links": [link for link in open_links if can_join_sessions(link)],
            # A viewer may join the team's sessions; starting one takes a commenter (the start API's rule).
            "may_start": may(membership.actor(), START, workspace_id=membership.workspace_id),
        },
    }
