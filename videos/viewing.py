"""The doors that hand a workspace's work out as bytes — media files, exports, marker files, stills —
ask the access policy here, with an explicit actor and the object's own workspace: `video.view` for
videos and comparisons, `note.view` for notes, `comment.view` for a comment's still.

Their selectors already keep to the workspace the request acts in; the policy is asked as well so
that every door answers the same question the pages and the API do (a removed member, another
workspace: 404; an API token: by its scopes). The one exception is the shared sample, which every
account may look at, read-only (`videos.selectors.SHARED_SAMPLE`).
"""

from __future__ import annotations

from accounts.models import User
from videos.models import Comparison, Video
from workspaces.policy import Member, require


def _is_sample(shown: Video | Comparison) -> bool:
    return User.objects.filter(pk=shown.owner_id, is_sample_owner=True).exists()


def require_view(actor: Member, shown: Video | Comparison, action: str = "video.view") -> None:
    """`action` for `actor` on `shown`'s workspace, or Http404/PermissionDenied; the shared sample
    is everyone's to view."""
    if shown.workspace_id != actor.workspace_id and _is_sample(shown):
        return
    require(actor, action, workspace_id=shown.workspace_id)
