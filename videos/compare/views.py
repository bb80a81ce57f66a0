"""The comparison pages: `/compare/` picks two of my videos (and lists my past comparisons), and
`/compare/<id>/` shows them side by side on one timeline of their differences.

Views stay thin: the selectors read, `comparison_create` writes, and the payload the page starts
from is the API's own (`comparison_payload`), embedded with `json_script` so that
`static/js/compare.js` needs no request on load and reads the same shape it later fetches when the
threshold moves. Without JavaScript the comparison page still shows both players (each with its own
controls), the similarity, the written summary and the list of differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from notes.selectors import notes_on_video
from notes.serializers import note_payload
from sage.formatting import TimeFormatError, clock_range, clock_tenths, parse_time, plural
from videos.api.comparisons import comparison_payload, matched_span_dicts
from videos.compare.finding_words import (
    COUNT_WORDS,
    KIND_LABELS,
    REPLACED_LABEL,
    finding_sentence,
    kind_label,
)
from videos.compare.markers import MarkerFileType
from videos.compare.recompute import comparison_recomputing, comparison_state_note
from videos.compare.selectors import comparable_videos, comparison_get_for_user, comparison_get_to_view
from videos.compare.services import (
    CURRENT_ENGINE,
    MAX_THRESHOLD,
    ComparisonRefused,
    comparison_create,
    describe,
    offset_words,
)
from videos.compare.timecode import DEFAULT_START
from videos.engine.result import DEFAULT_CHANGE_THRESHOLD
from videos.models import Comparison, Video
from videos.presenters import VideoView, owner_comments_panel, seconds_attr
from videos.selectors import comparisons_for_user
from workspaces.current import acting_membership, request_actor
from workspaces.policy import Member, may
from workspaces.switcher import found_following_link

# The picker lists past comparisons under the videos; older ones stay reachable through the API.
PAST_COMPARISONS_SHOWN = 30
SEVERITY_BADGES = {"low": "badge-primary", "medium": "badge-warning", "high": "badge-danger"}
# The threshold is a 0–1 change score: the slider covers it in hundredths.
SLIDER_STEP = 0.01


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


class ComparisonForm(forms.Form):
    """Two of my comparable videos and how to compare them. The videos are chosen among
    `comparable_videos(user)`, so another person's video, or one that is not a ready upload, is
    an invalid choice before the service is asked."""

    video_a = forms.ModelChoiceField(
        queryset=Video.objects.none(),
        label="Video A",
        error_messages={
            "required": "Choose video A.",
            "invalid_choice": "Video A cannot be compared: choose one of your ready uploaded videos.",
        },
    )
    video_b = forms.ModelChoiceField(
        queryset=Video.objects.none(),
        label="Video B",
        error_messages={
            "required": "Choose video B.",
            "invalid_choice": "Video B cannot be compared: choose one of your ready uploaded videos.",
        },
    )
    metric = forms.ChoiceField(
        choices=Comparison.Metric.choices,
        initial=Comparison.Metric.COSINE,
        widget=forms.RadioSelect,
        label="Distance",
    )
    alignment = forms.ChoiceField(
        choices=Comparison.Alignment.choices,
        initial=Comparison.Alignment.CUTS,
        widget=forms.RadioSelect,
        label="Alignment",
        help_text="Cuts finds inserted and removed stretches, so what follows one still lines up.",
    )

    def __init__(self, *args: Any, videos: QuerySet[Video], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("video_a", "video_b"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = videos


@dataclass(frozen=True)
class PickerCard:
    """One video the picker offers, with which side (if any) is chosen for it."""

    view: VideoView
    chosen_as: str  # "a", "b" or ""


@dataclass(frozen=True)
class DifferenceRow:
    """One difference as the list shows it before compare.js takes over."""

    number: int
    kind: str
    severity: str | None
    a_start: float | None
    a_end: float | None
    b_start: float | None
    b_end: float | None
    removed: list[str]
    added: list[str]
    label: str
    sentence: str  # what an engine-3 finding says ("A 00:36.6–00:41.6 moved to B 00:31.6–00:36.6")

    @property
    def kind_label(self) -> str:
        return self.label

    @property
    def severity_badge(self) -> str:
        return SEVERITY_BADGES.get(self.severity or "", "")

    @property
    def on_a(self) -> str:
        return _span_text(self.a_start, self.a_end)

    @property
    def on_b(self) -> str:
        return _span_text(self.b_start, self.b_end)


@dataclass(frozen=True)
class MatchedSpanRow:
    """One stretch both videos show, as the alignment card lists it."""

    a_start: float
    a_end: float
    b_start: float
    b_end: float

    @property
    def on_a(self) -> str:
        return _span_text(self.a_start, self.a_end)

    @property
    def on_b(self) -> str:
        return _span_text(self.b_start, self.b_end)


def _span_text(start: float | None, end: float | None) -> str:
    if start is None or end is None:
        return "—"
    if end <= start:
        return f"at {clock_tenths(start)}"  # the point where the other video's extra stretch sits
    return clock_range(start, end, clock=clock_tenths)


def difference_rows(payload: dict[str, Any]) -> list[DifferenceRow]:
    changes = payload.get("word_changes") or {}
    duration_b = (payload.get("video_b") or {}).get("duration")
    return [
        DifferenceRow(
            number=number,
            kind=segment["kind"],
            severity=segment.get("severity"),
            a_start=segment.get("a_start"),
            a_end=segment.get("a_end"),
            b_start=segment.get("b_start"),
            b_end=segment.get("b_end"),
            removed=list(changes.get(str(number), {}).get("removed", [])),
            added=list(changes.get(str(number), {}).get("added", [])),
            label=kind_label(segment),
            sentence=finding_sentence(segment, duration_b=duration_b),
        )
        for number, segment in enumerate(payload["segments"])
    ]


def counts_text(counts: dict[str, int]) -> str:
    """ "3 differences: 1 picture, 2 only in B" — what the counts say, in the list's words."""
    total = sum(counts.get(kind, 0) for kind in COUNT_WORDS)
    if not total:
        return "No differences at this threshold."
    parts = [f"{counts[kind]} {words}" for kind, words in COUNT_WORDS.items() if counts.get(kind)]
    return f"{plural(total, 'difference')}: {', '.join(parts)}."


def slider_bounds(comparison: Comparison) -> tuple[float, float]:
    """The threshold slider's maximum and step: the whole 0–1 change score in hundredths (further
    when the kept threshold is above 1, never past what the API accepts)."""
    upper = max(1.0, comparison.threshold)
    return min(math.ceil(upper / SLIDER_STEP) * SLIDER_STEP, MAX_THRESHOLD), SLIDER_STEP


@dataclass(frozen=True)
class StartMoment:
    """Where a link to a moment opens the page: a time on A or on B."""

    side: str  # "a" or "b"
    time: float


# A link to a moment names the video whose time it gives: `?a=` or `?b=`. The older names still work
# as they did: `?t=` is A's time (as on a video's own page), `?tb=` B's. Never the timeline's.
START_PARAMETERS = (("a", "a"), ("b", "b"), ("a", "t"), ("b", "tb"))


def start_moment(query: dict[str, str], comparison: Comparison) -> StartMoment | None:
    """The moment a shared link names: seconds or mm:ss on A or on B (START_PARAMETERS), kept inside
    that video. Anything unreadable opens the page at the start, as a link without a time would."""
    for side, name in START_PARAMETERS:
        raw = query.get(name)
        if not raw:
            continue
        try:
            seconds = parse_time(raw)
        except TimeFormatError:
            return None
        video = comparison.video_a if side == "a" else comparison.video_b
        return StartMoment(side=side, time=min(seconds, video.duration) if video.duration else seconds)
    return None


@dataclass(frozen=True)
class PlayerMedia:
    """What a player shows of a video: its title and the URLs of its file and poster (the owner's
    routes, or a share link's signed ones). compare/partials/player.html reads these names."""

    video: Video
    file_url: str
    poster_src: str
    sprite_url: str


def owner_media(video: Video) -> PlayerMedia:
    view = VideoView(video)
    sprite = reverse("videos:sprite", args=[video.pk]) if video.sprite_key and video.sprite_meta else ""
    return PlayerMedia(video=video, file_url=view.file_url, poster_src=view.poster_src, sprite_url=sprite)


@dataclass(frozen=True)
class SharedMode:
    """The comparison page opened through a share link (reviews.shared): read-only, its media and
    JSON through the link's own URLs, the owner's notes only when the link shows them, and nothing
    else of the owner's (no way back to their comparisons, no exports, no owner API URL)."""

    page_url: str
    api_url: str
    show_notes: bool
    media: Callable[[Video], PlayerMedia]
    base_template: str
    comments_panel: dict[str, Any] | None


def _video_config(video: Video, media: PlayerMedia, *, shared: bool) -> dict[str, Any]:
    return {
        "id": video.pk,
        "title": video.title,
        "duration": video.duration or 0.0,
        "fps": video.fps or 25.0,  # a frame step needs some rate; 25 when the probe found none
        "frame_rate": video.timebase.rate_text,  # exact ("30000/1001"), as the player's data-frame-rate
        "notes_url": "" if shared else reverse("api-video-notes", kwargs={"ref": video.pk}),
        "page_url": "" if shared else reverse("videos:video", args=[video.pk]),
        "file_url": media.file_url,
        "sprite_url": media.sprite_url,
        "sprite": video.sprite_meta or {},
    }


# As editors know each file: the program it is for, then the format.
MARKER_FILE_LABELS: dict[MarkerFileType, str] = {
    "edl": "Resolve EDL",
    "xml": "Premiere Pro (FCP7 XML)",
    "fcpxml": "Final Cut (FCPXML)",
    "txt": "Avid markers (TXT)",
    "otio": "OpenTimelineIO (.otio)",
    "csv": "CSV",
}


def api_markers_url(comparison: Comparison, file_type: str) -> str:
    """A member's (and the shared sample's) marker file: the API's."""
    return reverse("api-comparison-markers", kwargs={"comparison_id": comparison.pk, "file_type": file_type})


MarkersUrl = Callable[[Comparison, str], str]


def marker_links(comparison: Comparison, url: MarkersUrl = api_markers_url) -> list[tuple[str, list[tuple[str, str]]]]:
    """The marker exports, B's timeline first (the new cut, what an editor usually works on); `url`
    gives each file type's (a share link's guests get their link's)."""
    urls = {file_type: url(comparison, file_type) for file_type in MARKER_FILE_LABELS}
    return [
        (
            f"On {side.upper()}: {video.title}",
            [(label, f"{urls[file_type]}?side={side}") for file_type, label in MARKER_FILE_LABELS.items()],
        )
        for side, video in (("b", comparison.video_b), ("a", comparison.video_a))
    ]


@dataclass(frozen=True)
class MarkerForm:
    """The marker files at a start timecode of the editor's choosing: a GET form to the same URLs
    (`start_timecode`), so it needs no JavaScript."""

    sides: list[tuple[str, str]]
    files: list[tuple[str, str]]  # (URL, label) for each file type
    start_timecode: str = DEFAULT_START
    # Offers the drawings' stills with the file (a ZIP), where the URLs answer `stills=1` (the API's).
    offers_stills: bool = False


def marker_form(comparison: Comparison, url: MarkersUrl = api_markers_url) -> MarkerForm:
    return MarkerForm(
        sides=[("b", f"B: {comparison.video_b.title}"), ("a", f"A: {comparison.video_a.title}")],
        files=[(url(comparison, file_type), label) for file_type, label in MARKER_FILE_LABELS.items()],
        offers_stills=url is api_markers_url,
    )


# --- pages -------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def picker_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    member = acting_membership(request)
    videos = comparable_videos(member)
    if request.method == "POST":
        form = ComparisonForm(request.POST, videos=videos, label_suffix="")
        if form.is_valid():
            values = form.cleaned_data
            try:
                comparison, _ = comparison_create(
                    user=user,
                    video_a=values["video_a"],
                    video_b=values["video_b"],
                    metric=values["metric"],
                    alignment=values["alignment"],
                )
            except ComparisonRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
            else:
                return redirect("compare:comparison", comparison_id=comparison.pk)
        status = 400
    else:
        form = ComparisonForm(initial={"video_a": request.GET.get("a", "")}, videos=videos, label_suffix="")
        status = 200
    chosen = {str(form["video_a"].value() or ""): "a", str(form["video_b"].value() or ""): "b"}
    context = {
        "form": form,
        "cards": [PickerCard(view=VideoView(video), chosen_as=chosen.get(str(video.pk), "")) for video in videos],
        "past": comparisons_for_user(member).order_by("-created_at", "-pk")[:PAST_COMPARISONS_SHOWN],
        "current_engine": CURRENT_ENGINE,  # an older engine's row is listed as being recomputed
    }
    return render(request, "compare/picker.html", context, status=status)


def comparison_template(comparison: Comparison) -> str:
    """The page a comparison opens on: its result, or while the current engine has not made it
    (an older engine's row), only that (compare/recomputing.html, from `recomputing_context`)."""
    return "compare/comparison.html" if comparison.engine == CURRENT_ENGINE else "compare/recomputing.html"


def recomputing_context(comparison: Comparison, *, read_only: bool, shared: SharedMode | None) -> dict[str, Any]:
    """What compare/recomputing.html shows of a row the current engine has not made: its videos' names
    and its state; compare/recomputing.js asks the API until it is made, then loads the page again."""
    api_url = shared.api_url if shared is not None else reverse("api-comparison-detail", args=[comparison.pk])
    return {
        "base_template": shared.base_template if shared is not None else "base.html",
        "comparison": comparison,
        "read_only": read_only,
        "shared": shared is not None,
        "state_note": comparison_state_note(comparison),
        "recomputing": comparison_recomputing(comparison),
        "config": {"api_url": api_url},
    }


def comparison_context(
    comparison: Comparison,
    query: dict[str, str],
    *,
    read_only: bool,
    shared: SharedMode | None = None,
    member: Member | None = None,
) -> dict[str, Any]:
    """Everything templates/compare/comparison.html renders, for its owner, for the shared sample
        (`read_only`), or through a share link (`shared`, which implies read-only); for a row the current
        engine has not made, what compare/recomputing.html does (see `comparison_template`). `member`: the
    workspace's member viewing it (not read-only), whose comments panel the policy shapes."""
    read_only = read_only or shared is not None
    if comparison.engine != CURRENT_ENGINE:
        return recomputing_context(comparison, read_only=read_only, shared=shared)
    payload = comparison_payload(comparison)
    if comparison.summary_backend == "extractive":
        # Written from the stored differences, so written again in the page's words: a row summarised
        # before its times were given to the tenth reads as its list does (Gemini's stays as written).
        payload["summary"] = describe(comparison)
    start = start_moment(query, comparison)
    suggested = DEFAULT_CHANGE_THRESHOLD  # the engine's own, before anyone moved the slider
    show_notes = shared.show_notes if shared is not None else True
    # The notes taken on either video where it lives, for the notes card (read-only without JavaScript)
    # and compare/notes.js; a share link shows them only if its owner chose to.
    notes = {
        side: [note_payload(note) for note in notes_on_video(video)] if show_notes else []
        for side, video in (("a", comparison.video_a), ("b", comparison.video_b))
    }
    media = shared.media if shared is not None else owner_media
    media_a, media_b = media(comparison.video_a), media(comparison.video_b)
    slider_max, slider_step = slider_bounds(comparison)
    page_url = shared.page_url if shared is not None else reverse("compare:comparison", args=[comparison.pk])
    config = {
        "api_url": shared.api_url if shared is not None else reverse("api-comparison-detail", args=[comparison.pk]),
        "slider_max": slider_max,
        "a": _video_config(comparison.video_a, media_a, shared=shared is not None),
        "b": _video_config(comparison.video_b, media_b, shared=shared is not None),
        # compare/format.js `kindLabel`: a "both" that replaced a stretch in place is named "replaced".
        "kind_labels": {**KIND_LABELS, "replaced": REPLACED_LABEL},
        "count_words": COUNT_WORDS,
        "severity_badges": SEVERITY_BADGES,
        "start": {"side": start.side, "time": start.time} if start else None,
        "notes": notes,
        "suggested_threshold": suggested,
        "page_url": page_url,
        "read_only": read_only,
        # Saving a default threshold changes the comparison: for the roles that may (`video.change`).
        "may_save_threshold": not read_only
        and member is not None
        and may(member, "video.change", workspace_id=comparison.workspace_id),
    }
    context: dict[str, Any] = {
        "base_template": shared.base_template if shared is not None else "base.html",
        "comparison": comparison,
        "read_only": read_only,
        "shared": shared is not None,
        "show_notes": show_notes,
        "show_sample": read_only and shared is None,  # the sample's extras: showcase's {% sample_card %}
        "payload": payload,
        "config": config,
        "offset_text": offset_words(comparison.offset),
        "spans": [MatchedSpanRow(**span) for span in matched_span_dicts(comparison)],
        "view_a": media_a,
        "view_b": media_b,
        "rows": difference_rows(payload),
        "counts_text": counts_text(payload["counts"]),
        "threshold_attr": f"{comparison.threshold:.6g}",
        "slider_max_attr": f"{slider_max:.6g}",
        "slider_step_attr": f"{slider_step:.6g}",
        "suggested_threshold_attr": f"{suggested:.6g}",
        # Without JavaScript a shared moment still opens there: in the player of the side it names.
        "start_a": seconds_attr(start.time) if start and start.side == "a" else "",
        "start_b": seconds_attr(start.time) if start and start.side == "b" else "",
        "note_rows": [(side.upper(), note, clock_tenths(note["start"])) for side in ("a", "b") for note in notes[side]],
        "comments_panel": shared.comments_panel if shared is not None else None,
    }
    if not read_only:
        assert member is not None  # a member's own page
        export = "api-comparison-export"
        context.update(
            form=ComparisonForm(
                initial={"metric": comparison.metric, "alignment": comparison.alignment},
                videos=Video.objects.none(),
                label_suffix="",
            ),
            export_json=reverse(export, kwargs={"comparison_id": comparison.pk, "file_type": "json"}),
            export_csv=reverse(export, kwargs={"comparison_id": comparison.pk, "file_type": "csv"}),
            marker_links=marker_links(comparison),
            marker_form=marker_form(comparison),
            comments_panel=owner_comments_panel(comparison, actor=member),
        )
    elif shared is None:
        # The shared sample keeps its exports (they are its owner's API URLs, which every account may read).
        export = "api-comparison-export"
        context.update(
            export_json=reverse(export, kwargs={"comparison_id": comparison.pk, "file_type": "json"}),
            export_csv=reverse(export, kwargs={"comparison_id": comparison.pk, "file_type": "csv"}),
            marker_links=marker_links(comparison),
            marker_form=marker_form(comparison),
        )
    return context


@require_GET
@login_required
def comparison_page(request: HttpRequest, comparison_id: int) -> HttpResponse:
    comparison = found_following_link(
        request,
        lambda member: comparison_get_to_view(member, comparison_id),
        rows=Comparison.objects.filter(pk=comparison_id),
    )
    member = acting_membership(request)
    # The shared sample opens for everyone, read-only: its owner's notes, nothing to save or add.
    context = comparison_context(
        comparison,
        request.GET.dict(),
        read_only=comparison.workspace_id != member.workspace_id,
        member=request_actor(request),  # their own comments and drawings, as their role allows
    )
    return render(request, comparison_template(comparison), context)


@require_POST
@login_required
def comparison_delete_page(request: HttpRequest, comparison_id: int) -> HttpResponse:
    """Delete one of my comparisons (the form a comparison that can no longer be recomputed offers),
    then back to my comparisons."""
    comparison_get_for_user(acting_membership(request), comparison_id).delete()
    return redirect("compare:picker")
