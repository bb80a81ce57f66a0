"""The change list's page, `/compare/<id>/changes/`: the events beside the two players (each event
seeks both, static/js/changes.js), the two timelines as blocks, and the comment threads made on each
event's stretch. It reads what the API's `changes` reads (videos.conform.sheet)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from videos.compare.selectors import comparison_get_to_view
from videos.compare.views import owner_media
from videos.conform.changes import ChangeListUnavailable
from videos.conform.recut_views import recut_section_context
from videos.conform.rows import EventRow
from videos.conform.sheet import ChangeSheet, change_sheet, event_comments
from videos.models import Comparison
from videos.review_comments import ExportedComment, comments_on_comparison
from workspaces.current import acting_membership, request_actor
from workspaces.switcher import found_following_link

FILE_LABELS = {"edl": "Change EDL", "aaf": "AAF (Pro Tools)", "otio": "OpenTimelineIO (.otio)", "csv": "CSV"}
# The block view's width in SVG units, and its rows' tops and height (v1 above, v2 below).
WIDTH = 1000
V1_TOP, V2_TOP, ROW_HEIGHT = 4, 56, 28


@dataclass(frozen=True)
class Block:
    """An event drawn on the block view: its rectangles on each row (x, width; None where that
    video has none of it) and, for moved material, the band joining them."""

    number: int
    kind: str
    label: str
    v1: tuple[float, float] | None
    v2: tuple[float, float] | None
    joined: str  # an SVG polygon's points, "" when not joined


@dataclass(frozen=True)
class EventItem:
    row: EventRow
    # Where each player goes for the event (seconds, a frame's middle): its start on that video, or
    # for a side without the event the point where it sits there.
    seek_v1: float
    seek_v2: float
    comments: list[ExportedComment]
    comment_url: str


def _seek(seconds: Fraction, rate: Fraction) -> float:
    """The middle of the frame starting at `seconds` (a frame edge): a player shows it, whatever its rounding."""
    return float(seconds + 1 / (2 * rate))


def _v1_point(sheet: ChangeSheet, index: int) -> Fraction:
    """For an insertion (no v1 side): the v1 time where it sits, the end of the v1 material before it."""
    for row in reversed(sheet.rows[:index]):
        if row.event.v1_end is not None and row.kind not in ("moved",):
            return row.event.v1_end
    return Fraction(0)


def _blocks(sheet: ChangeSheet) -> list[Block]:
    seconds_v1 = Fraction(sheet.changes.frames_v1) / sheet.changes.rate_v1 or Fraction(1)
    seconds_v2 = Fraction(sheet.changes.frames_v2) / sheet.changes.rate_v2 or Fraction(1)
    longest = max(seconds_v1, seconds_v2)

    def x(seconds: Fraction) -> float:
        return round(float(seconds / longest * WIDTH), 2)

    blocks = []
    for row in sheet.rows:
        event = row.event
        v1 = None
        if event.v1_start is not None and event.v1_end is not None:
            v1 = (x(event.v1_start), max(x(event.v1_end) - x(event.v1_start), 0.5))
        v2 = (
            None
            if event.v2_end == event.v2_start
            else (x(event.v2_start), max(x(event.v2_end) - x(event.v2_start), 0.5))
        )
        joined = ""
        if event.kind == "moved" and v1 is not None and v2 is not None:
            bottom, top = V1_TOP + ROW_HEIGHT, V2_TOP
            joined = f"{v1[0]},{bottom} {v1[0] + v1[1]},{bottom} {v2[0] + v2[1]},{top} {v2[0]},{top}"
        blocks.append(Block(row.number, row.kind, row.label, v1, v2, joined))
    return blocks


def change_list_context(comparison: Comparison, *, comments: list[ExportedComment]) -> dict[str, Any]:
    """What templates/conform/changes.html renders (raises ChangeListUnavailable)."""
    sheet = change_sheet(comparison)
    attached = event_comments(sheet, comments)
    page = reverse("compare:comparison", args=[comparison.pk])
    items = []
    for index, row in enumerate(sheet.rows):
        v1_at = row.event.v1_start if row.event.v1_start is not None else _v1_point(sheet, index)
        items.append(
            EventItem(
                row=row,
                seek_v1=_seek(v1_at, sheet.changes.rate_v1),
                seek_v2=_seek(row.event.v2_start, sheet.changes.rate_v2),
                comments=attached.get(row.number, []),
                # Comments are made on the comparison's page, at the event's moment on v2 (or on v1 for
                # what v2 no longer has): one way to comment, and the comment then shows here.
                comment_url=f"{page}?a={float(v1_at):.3f}"
                if row.kind in ("removed", "trimmed_head", "trimmed_tail")
                else f"{page}?b={float(row.event.v2_start):.3f}",
            )
        )
    files = [
        (label, reverse("api-comparison-change-file", args=[comparison.pk, file_type]))
        for file_type, label in FILE_LABELS.items()
    ]
    return {
        "comparison": comparison,
        "sheet": sheet,
        "items": items,
        "blocks": _blocks(sheet),
        "counts": sheet.changes.counts(),
        "files": files,
        "json_url": reverse("api-comparison-changes", args=[comparison.pk]),
        "view_a": owner_media(comparison.video_a),
        "view_b": owner_media(comparison.video_b),
        "svg": {"width": WIDTH, "v1_top": V1_TOP, "v2_top": V2_TOP, "row_height": ROW_HEIGHT},
    }


@require_GET
@login_required
def change_list_page(request: HttpRequest, comparison_id: int) -> HttpResponse:
    comparison = found_following_link(
        request,
        lambda member: comparison_get_to_view(member, comparison_id),
        rows=Comparison.objects.filter(pk=comparison_id),
    )
    member = acting_membership(request)
    read_only = comparison.workspace_id != member.workspace_id
    context: dict[str, Any] = {"comparison": comparison, "read_only": read_only}
    try:
        context.update(
            change_list_context(comparison, comments=comments_on_comparison(comparison, actor=request_actor(request)))
        )
    except ChangeListUnavailable as exc:
        context["unavailable"] = exc.message
        return render(request, "conform/changes.html", context, status=409)
    if not read_only:  # the recut of sound by this list (videos.conform.recut_views)
        context["recut"] = recut_section_context(request, comparison)
    return render(request, "conform/changes.html", context)
