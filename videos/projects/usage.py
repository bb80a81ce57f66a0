"""A team's usage this month per project (issue 52): billing's per-video sums (billing.selectors
`usage_by_video`: processing, and chat answers and AI notes about a video) grouped by the project each
video is in now, as a producer reads a studio's bill: what each job cost.

Work about no video (chat over the whole library), and work on videos deleted since, has no project
to go to: it is the "Other" row, so that the rows always add up to what the wallet spent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from billing.models import Wallet
from billing.selectors import usage_by_video
from videos.models import Video

# The two rows that are no project, as the page and the API name them.
NO_PROJECT = "No project"
OTHER = "Other"


@dataclass(frozen=True)
class VideoSpending:
    video_id: int
    name: str  # its title now (a deleted video's: as its processing was recorded)
    tokens: int
    deleted: bool  # deleted since: its tokens are in the "Other" row


@dataclass(frozen=True)
class ProjectSpending:
    kind: Literal["project", "no_project", "other"]
    project_id: int | None
    name: str
    tokens: int
    in_trash: bool = False


@dataclass(frozen=True)
class TeamUsage:
    videos: list[VideoSpending]
    projects: list[ProjectSpending]


def usage_by_project(wallet: Wallet, *, since: dt.datetime) -> TeamUsage:
    """What the wallet's workspace spent since `since`, per video and per project, most first. Two
    queries: billing's sums, then the videos they name (with their projects)."""
    spent = usage_by_video(wallet, since=since)
    found = {
        video.pk: video
        for video in Video.objects.filter(
            pk__in=[row.video_id for row in spent.videos], workspace_id=wallet.workspace_id
        ).select_related("project", "stack")
    }
    videos: list[VideoSpending] = []
    by_project: dict[int | None, int] = {}
    projects: dict[int, tuple[str, bool]] = {}
    other = spent.other
    for row in spent.videos:
        video = found.get(row.video_id)
        if video is None:
            videos.append(VideoSpending(row.video_id, row.label or f"Video {row.video_id}", row.tokens, deleted=True))
            other += row.tokens
            continue
        videos.append(VideoSpending(row.video_id, video.label, row.tokens, deleted=False))
        by_project[video.project_id] = by_project.get(video.project_id, 0) + row.tokens
        if video.project is not None:
            projects[video.project.pk] = (video.project.name, video.project.deleted_at is not None)
    rows = [
        ProjectSpending("project", project_id, projects[project_id][0], tokens, in_trash=projects[project_id][1])
        for project_id, tokens in by_project.items()
        if project_id is not None
    ]
    rows.sort(key=lambda row: (-row.tokens, row.name.lower()))
    # The two rows that are no project come last, whatever their size: they are not jobs.
    if by_project.get(None):
        rows.append(ProjectSpending("no_project", None, NO_PROJECT, by_project[None]))
    if other > 0:
        rows.append(ProjectSpending("other", None, OTHER, other))
    return TeamUsage(videos=videos, projects=rows)
