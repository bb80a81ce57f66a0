"""The live session's pages: the member's `/sessions/<code>/` and a link guest's
`/s/<token>/sessions/<code>/`. Each is the session's object's own page (the comparison's compare page,
or the video's page) with the session panel over it (templates/review_sessions/partials/
session_panel.html); session/session.js joins the socket and drives the page's player."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_safe

from review_sessions.models import ReviewSession
from review_sessions.selectors import review_session_for_link, review_session_for_user, shown_object
from reviews.access import share_link_for_request
from reviews.shared import shared_comparison_context, shared_video_context
from reviews.shared_views import _not_found_page, _shared  # the shared pages' headers and 404, as theirs
from sage.errors import ApplicationError
from videos.compare.views import comparison_context, comparison_template
from videos.models import Comparison, Video
from videos.views import video_page_context
from workspaces.current import request_actor
from workspaces.switcher import found_following_link


def session_panel(
    session: ReviewSession, shown: Comparison | Video, *, socket_path: str, guest: bool
) -> dict[str, Any]:
    """What the session panel renders and session/session.js reads (#session-config). Who may hand
    over and end comes with the socket's welcome (`you.may_steer`), guests' starters included. `rate`
    (the video's exact rate, A's on a comparison) lets followers judge their error in frames."""
    video = shown.video_a if isinstance(shown, Comparison) else shown
    return {
        "guest": guest,
        "started_by_name": session.started_by_name,
        "config": {
            "code": session.code,
            "socket_path": socket_path,
            "guest": guest,
            "rate": video.timebase.rate_text,
        },
    }


@require_GET
@login_required
def session_page(request: HttpRequest, code: str) -> HttpResponse:
    session = found_following_link(
        request, lambda member: review_session_for_user(member, code), rows=ReviewSession.objects.filter(code=code)
    )
    shown = shown_object(session)
    if isinstance(shown, Comparison):
        context = comparison_context(shown, {}, read_only=False, member=request_actor(request))
        template = comparison_template(shown)
    else:
        context = video_page_context(request, shown)
        template = "videos/video.html"
    if context.get("comments_panel") and session.link_id is not None:
        # A member's comment (and drawing) made in the session goes on its link's thread, so the
        # link's guests in the session see it too; without a link it stays members-only.
        context["comments_panel"]["link_id"] = session.link_id
    context["live_session"] = session_panel(session, shown, socket_path=f"/ws/sessions/{session.code}/", guest=False)
    return render(request, template, context)


@require_safe
def shared_session_page(request: HttpRequest, token: str, code: str) -> HttpResponseBase:
    """The link's page in session mode, for a guest (a wrong, revoked or expired link, a link that
    does not allow sessions or a session not of the link: the same 404)."""
    try:
        link = share_link_for_request(request, token)
        session = review_session_for_link(link, code)
        shown = shown_object(session)
    except (ApplicationError, Http404):
        return _not_found_page(request)
    if isinstance(shown, Comparison):
        context = shared_comparison_context(request, token, link, shown)
        template = comparison_template(shown)
    else:
        context = shared_video_context(request, token, link, shown)
        template = "reviews/shared_video.html"
    socket_path = f"/ws/sessions/{session.code}/?link={token}"
    context["live_session"] = session_panel(session, shown, socket_path=socket_path, guest=True)
    return _shared(render(request, template, context))
