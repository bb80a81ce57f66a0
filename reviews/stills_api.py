"""`/api/v1/comments/{id}/still.png` (members) and `/api/v1/shared/{token}/comments/{id}/still.png`
(a link's guests): a drawing's still, the frame at the comment's time with the drawing over it
(`reviews.stills`)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from reviews.comment_presenters import comment_workspace_id
from reviews.comments_api import _COMMENT_ID, _PASSWORD, _TOKEN, _GuestApi
from reviews.models import Comment
from reviews.selectors import comment_for_link, comment_get_for_user
from reviews.stills import comment_still_png
from sage.api.errors import error_responses
from workspaces.current import acting_membership, request_actor
from workspaces.policy import require

_PNG = {(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The frame with the drawing, PNG.")}
_HELP = (
    "The frame of the comment's side at its `start`, at most 1280 pixels wide, with its drawing over it (made "
    "ahead when the comment is saved, or on first asking if that is sooner; then kept). 404 for a comment "
    "without a drawing, or on a video with no stored file (YouTube)."
)


def _png(comment: Comment) -> HttpResponse:
    response = HttpResponse(comment_still_png(comment), content_type="image/png")
    # Private: a still is as secret as the video it shows; its URL names the comment, not the drawing.
    response["Cache-Control"] = "private, max-age=60"
    response["Content-Disposition"] = f'inline; filename="comment-{comment.pk}.png"'
    return response


class CommentStillApi(APIView):
    workspace_actions = {"GET": "comment.view"}

    @extend_schema(
        parameters=[_COMMENT_ID],
        responses={**_PNG, **error_responses(404)},
        summary="A drawing's still (member)",
        description=_HELP,
    )
    def get(self, request: Request, comment_id: int) -> HttpResponse:
        comment = comment_get_for_user(acting_membership(request), comment_id)
        require(request_actor(request), "comment.view", workspace_id=comment_workspace_id(comment))
        return _png(comment)


class SharedCommentStillApi(_GuestApi):
    link_actions = {"GET": "comment.view"}

    @extend_schema(
        parameters=[_TOKEN, _COMMENT_ID, _PASSWORD],
        responses={**_PNG, **error_responses(403, 404)},
        summary="A drawing's still (guest)",
        description=_HELP + " Only a comment of this link's thread.",
    )
    def get(self, request: Request, token: str, comment_id: int) -> HttpResponse:
        link = self._link(request, token)
        return _png(comment_for_link(link, comment_id))
