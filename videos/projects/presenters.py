"""What the library's project sidebar and "Move to…" forms show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from videos.projects.selectors import projects_with_counts, top_level_count
from videos.versions.selectors import NO_PROJECT
from workspaces.models import Membership
from workspaces.policy import may


@dataclass(frozen=True)
class SidebarEntry:
    label: str
    value: str  # the library's `project` parameter ("" for all)
    count: int | None
    chosen: bool


def project_sidebar(member: Membership, *, chosen: int | Literal["none"] | None) -> dict[str, Any]:
    """The sidebar's entries (All, No project, each live project with its count: two queries) and,
    for those who may file videos (editors and up), the choices of the cards' "Move to…" forms."""
    projects = list(projects_with_counts(member))
    entries = [
        SidebarEntry("All videos", "", None, chosen is None),
        SidebarEntry("No project", NO_PROJECT, top_level_count(member), chosen == NO_PROJECT),
        *(SidebarEntry(p.name, str(p.pk), p.video_count, chosen == p.pk) for p in projects),  # type: ignore[attr-defined]
    ]
    if not may_file(member):
        return {"sidebar": entries, "move_choices": [], "may_file": False}
    choices = [("", "No project"), *((str(p.pk), p.name) for p in projects)]
    return {"sidebar": entries, "move_choices": choices, "may_file": True}


def may_file(member: Membership) -> bool:
    """Whether the pages offer project forms (create, move, rename, delete, restore): the doors
    refuse them below an editor, so a viewer is not shown buttons that answer 403."""
    membership = member
    return may(membership.actor(), "video.change", workspace_id=membership.workspace_id)
