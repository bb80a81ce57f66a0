"""What a version's page shows about its stack: the versions (this one marked), what changed since
the version before (the automatic comparison) and since v1 (made on demand)."""

from __future__ import annotations

from dataclasses import dataclass

from videos.models import Comparison, Video, VideoStack
from videos.presenters import STATUS_BADGES
from videos.selectors import video_get_for_user
from videos.versions.selectors import neighbour_comparison, stack_versions, version_ready_before
from workspaces.models import Membership


@dataclass(frozen=True)
class VersionRow:
    video: Video
    current: bool

    @property
    def badge_class(self) -> str:
        return STATUS_BADGES.get(Video.Status(self.video.status), "")


@dataclass(frozen=True)
class Change:
    """One "what changed since vN" line: the version compared with, and its comparison once made."""

    since: Video
    comparison: Comparison | None
    # Both versions are ready but the comparison is not made yet: a worker is making it.
    being_made: bool

    @property
    def line(self) -> str:
        if self.comparison is None:
            return ""
        total = sum(value for key, value in self.comparison.counts.items() if key not in ("low", "medium", "high"))
        if total == 0:
            return f"No differences found ({self.comparison.similarity:.0f}\u00a0% similar)."
        differences = "1 difference" if total == 1 else f"{total} differences"
        first_sentence = self.comparison.summary.split(". ")[0].rstrip(".") if self.comparison.summary else ""
        details = f" — {first_sentence}" if first_sentence and not first_sentence[0].isdigit() else ""
        return f"{differences}, {self.comparison.similarity:.0f}\u00a0% similar{details}."


@dataclass(frozen=True)
class VersionPanel:
    rows: list[VersionRow]
    current: Video
    since_before: Change | None
    since_first: Change | None

    @property
    def stack_id(self) -> int | None:
        return self.current.stack_id

    @property
    def newer(self) -> Video | None:
        """The stack's newest version when this page is of an older one: said at the page's top, as
        someone who follows an old link (a digest, a comment) must not review a superseded cut."""
        newest = max((row.video for row in self.rows), key=lambda each: each.version or 0)
        return newest if (newest.version or 0) > (self.current.version or 0) else None


def version_panel(video: Video) -> VersionPanel | None:
    """The versions card of `video`'s page; None for a video that is not a version."""
    if video.stack is None:
        return None
    versions = stack_versions(video.stack)
    ready = video.status == Video.Status.READY
    since_before = None
    before = version_ready_before(video) if ready else None
    if before is not None:
        comparison = neighbour_comparison(before, video)
        since_before = Change(since=before, comparison=comparison, being_made=comparison is None)
    since_first = None
    first = next((each for each in versions if each.version == 1), None)
    if first is not None and first.pk != video.pk and (before is None or before.pk != first.pk):
        made = neighbour_comparison(first, video) if ready else None
        since_first = Change(since=first, comparison=made, being_made=False)
    return VersionPanel(
        rows=[VersionRow(video=each, current=each.pk == video.pk) for each in versions],
        current=video,
        since_before=since_before,
        since_first=since_first,
    )


@dataclass(frozen=True)
class StackPage:
    """What a stack's own page says above its newest pair (templates/videos/partials/stack_page.html)."""

    stack: VideoStack
    newest: Video
    comparison: Comparison | None  # the newest version (B) against the one before (A), once made

    @property
    def showing(self) -> str:
        if self.comparison is not None:
            return f"v{self.comparison.video_b.version} against v{self.comparison.video_a.version}"
        return f"v{self.newest.version}"


def new_version_of(member: Membership, raw_id: str | None) -> Video | None:
    """The upload page's "new version of" video from `?version_of=` (404 for anyone else's; none
    for a YouTube video, which cannot have versions, or no value)."""
    if not raw_id:
        return None
    video = video_get_for_user(member, raw_id)
    return video if video.source == Video.Source.UPLOAD else None
