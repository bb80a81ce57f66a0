"""Notes' files for pages: a note's frame still, and the export downloads a page links to.

The notes themselves are read and written through the API (`notes.api`) by the video page's script.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_safe

from accounts.models import User
from notes.api import all_notes_download, video_notes_download
from notes.selectors import note_get_for_user, notes_for_user, notes_for_video
from videos.media import serve_stored_file
from videos.selectors import video_get_for_user
from workspaces.current import acting_membership, request_actor
from workspaces.policy import require


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _site(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@require_safe
@login_required
def note_frame(request: HttpRequest, note_id: int) -> HttpResponseBase:
    note = note_get_for_user(acting_membership(request), note_id)
    require(request_actor(request), "note.view", workspace_id=note.workspace_id)
    response = serve_stored_file(request, note.frame_key, content_type="image/jpeg")
    # The URL stays the same when the note moves to another time: revalidate (a cheap 304) each time.
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
@login_required
def video_notes_export(request: HttpRequest, video_id: str, file_type: str) -> HttpResponse:
    _user(request)
    member = acting_membership(request)
    video = video_get_for_user(member, video_id)
    notes = notes_for_video(member, video)
    return video_notes_download(video, notes, file_type=file_type, site=_site(request), actor=request_actor(request))


@require_GET
@login_required
def notes_export(request: HttpRequest, file_type: str) -> HttpResponse:
    notes = notes_for_user(acting_membership(request)).order_by("-created_at", "-pk")
    return all_notes_download(notes, file_type=file_type, site=_site(request), actor=request_actor(request))
