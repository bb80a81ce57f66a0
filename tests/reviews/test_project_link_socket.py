"""`/ws/shared/<token>/?video=<id>`: a project's link's video page hears its own video's comments and
status, and closes when the link is revoked, the video leaves the project or the project is trashed
(the real ASGI app and Redis channel layer)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from reviews.approvals import review_status_set_by_guest
from reviews.comments import comment_create_by_guest
from reviews.models import ShareLink
from reviews.services import share_link_revoke
from sage.asgi import application
from tests.factories import ComparisonFactory, ProjectFactory, ShareLinkFactory, TeamWorkspaceFactory, VideoFactory
from tests.reviews.test_review_socket import KEY, ORIGIN
from tests.socket_refusals import refused_with
from videos.models import Comparison, Project, Video
from videos.projects.services import project_delete, video_move
from videos.services import video_delete

pytestmark = pytest.mark.django_db(transaction=True)


def a_project_link() -> tuple[ShareLink, Video, Video]:
    team = TeamWorkspaceFactory()
    project = ProjectFactory(created_by=team.created_by, workspace=team)
    intro, outro = (
        VideoFactory(owner=team.created_by, workspace=team, title=title, ready=True, project=project)
        for title in ("Intro", "Outro")
    )
    link = ShareLinkFactory(project=project, permission="comment", allow_status=True)
    return link, intro, outro


async def connect(link: ShareLink, shown: Video | Comparison | None) -> tuple[WebsocketCommunicator, bool, int | None]:
    which = f"?{'comparison' if isinstance(shown, Comparison) else 'video'}={shown.pk}" if shown is not None else ""
    path = f"/ws/shared/{link.token}/{which}"  # type: ignore[attr-defined]  # ShareLinkFactory's
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def page_socket(link: ShareLink, shown: Video | Comparison | None) -> WebsocketCommunicator:
    communicator, connected, code = await connect(link, shown)
    assert connected, code
    return communicator


def guest_comment(link: ShareLink, video: Video, body: str) -> None:
    comment_create_by_guest(
        link=link, reviewer_key=KEY, body=body, author_name="Ana", side="video", start=1.0, shown=video
    )


async def closed(socket: WebsocketCommunicator) -> bool:
    return await socket.receive_json_from(timeout=5) == {"type": "link.closed"} and (
        (await socket.receive_output(timeout=5))["code"] == 4404
    )


async def test_a_video_page_hears_its_own_videos_comments_and_status_only() -> None:
    link, intro, outro = await database_sync_to_async(a_project_link)()
    intro_page = await page_socket(link, intro)
    outro_page = await page_socket(link, outro)

    await database_sync_to_async(guest_comment)(link, intro, "Logo too big")
    await database_sync_to_async(review_status_set_by_guest)(
        link=link, status="approved", author_name="Ana", shown=intro
    )

    heard = await intro_page.receive_json_from(timeout=5)
    assert (heard["type"], heard["data"]["video_id"], heard["data"]["body"]) == (
        "comment.created",
        intro.pk,
        "Logo too big",
    )
    status = await intro_page.receive_json_from(timeout=5)
    assert (status["type"], status["data"]["id"], status["data"]["status"]) == ("review_status", intro.pk, "approved")
    assert await outro_page.receive_nothing(timeout=0.5)

    await database_sync_to_async(guest_comment)(link, outro, "Music too loud")
    assert (await outro_page.receive_json_from(timeout=5))["data"]["body"] == "Music too loud"
    assert await intro_page.receive_nothing(timeout=0.5)
    for socket in (intro_page, outro_page):
        await socket.disconnect()


async def test_a_video_outside_the_project_is_refused() -> None:
    link, intro, _ = await database_sync_to_async(a_project_link)()
    outside = await database_sync_to_async(VideoFactory)(ready=True)
    socket, connected, _ = await connect(link, outside)
    assert await refused_with(socket, connected) == 4404
    other_link = await database_sync_to_async(ShareLinkFactory)(video=intro, permission="comment")
    socket, connected, _ = await connect(other_link, intro)  # a video's link takes no `video`
    assert await refused_with(socket, connected) == 4404


async def test_revoking_the_link_closes_its_video_pages() -> None:
    link, intro, _ = await database_sync_to_async(a_project_link)()
    intro_page = await page_socket(link, intro)
    project_page = await page_socket(link, None)

    await database_sync_to_async(share_link_revoke)(link=link)

    assert await closed(intro_page) and await closed(project_page)
    socket, connected, _ = await connect(link, intro)
    assert await refused_with(socket, connected) == 4404


async def test_moving_or_deleting_a_video_closes_its_page_and_no_other() -> None:
    link, intro, outro = await database_sync_to_async(a_project_link)()
    intro_page = await page_socket(link, intro)
    outro_page = await page_socket(link, outro)

    await database_sync_to_async(lambda: video_move(video=intro, project=None, by=intro.owner))()
    assert await closed(intro_page)
    assert await outro_page.receive_nothing(timeout=0.5)
    socket, connected, _ = await connect(link, intro)
    assert await refused_with(socket, connected) == 4404

    await database_sync_to_async(video_delete)(video=outro)
    assert await closed(outro_page)


async def test_trashing_the_project_closes_every_page_of_its_links() -> None:
    link, intro, _ = await database_sync_to_async(a_project_link)()
    intro_page = await page_socket(link, intro)
    project_page = await page_socket(link, None)

    project = await database_sync_to_async(Project.objects.get)(pk=link.project_id)
    await database_sync_to_async(lambda: project_delete(project=project, by=link.owner))()

    assert await closed(intro_page) and await closed(project_page)


def a_comparison_of(link: ShareLink) -> Comparison:
    project = link.project
    assert project is not None
    intro, outro = Video.objects.filter(project=project).order_by("pk")
    return ComparisonFactory(
        owner=project.created_by, workspace=project.workspace, video_a=intro, video_b=outro, project=project
    )


async def test_a_comparison_page_hears_its_comparison_and_closes_when_it_is_deleted() -> None:
    link, intro, _ = await database_sync_to_async(a_project_link)()
    comparison = await database_sync_to_async(a_comparison_of)(link)
    comparison_page = await page_socket(link, comparison)
    intro_page = await page_socket(link, intro)

    await database_sync_to_async(comment_create_by_guest)(
        link=link, reviewer_key=KEY, body="Cut too early", author_name="Ana", side="b", start=1.0, shown=comparison
    )
    heard = await comparison_page.receive_json_from(timeout=5)
    assert (heard["data"]["comparison_id"], heard["data"]["body"]) == (comparison.pk, "Cut too early")
    assert await intro_page.receive_nothing(timeout=0.5)

    await database_sync_to_async(comparison.delete)()
    assert await closed(comparison_page)
    await intro_page.disconnect()
