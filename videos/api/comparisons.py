"""`/api/v1/comparisons…`: compare two of my ready uploads, judge at another threshold, export."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from sage.api.fields import IdField
from sage.export_text import csv_table
from sage.timebase import Timebase
from videos.compare.finding_words import finding_sentence
from videos.compare.recompute import comparison_recompute_soon, comparison_recomputing, comparison_state_note
from videos.compare.selectors import comparison_get_for_user, comparison_get_to_view
from videos.compare.services import (
    CURRENT_ENGINE,
    MAX_THRESHOLD,
    comparison_at,
    comparison_create,
    comparison_set_threshold,
    comparison_word_changes,
    segment_dicts,
)
from videos.engine.result import DEFAULT_CHANGE_THRESHOLD, SEVERITY_BANDS
from videos.models import Comparison
from videos.review_comments import comments_on_comparison, exported_comment_dict
from videos.selectors import comparisons_for_user, video_get_for_user
from videos.viewing import require_view
from workspaces.current import acting_membership, request_actor
from workspaces.policy import Actor

_COMPARISON_ID = OpenApiParameter("comparison_id", int, OpenApiParameter.PATH, description="The comparison's id.")


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


# What the threshold means, said once for the create input, the threshold input and the docs.
THRESHOLD_HELP = (
    "A 0–1 change score on a fixed scale; a stretch differs where its picture or its sound change score "
    f"is above the threshold (above 1 nothing differs; the default is {DEFAULT_CHANGE_THRESHOLD:g})."
)
_LOW_UNDER, _MEDIUM_UNDER = (limit for limit, _ in SEVERITY_BANDS)
SEVERITY_HELP = (
    "How visible or audible the change is, from the peak score on a fixed scale that does not "
    f"move with the threshold: `low` (under {_LOW_UNDER:g}) visible or audible on close inspection; "
    f"`medium` (under {_MEDIUM_UNDER:g}) clearly visible or audible, the same content (a logo, an overlay, "
    "burned-in text, a noticeable grade, a re-mix, a level change); `high` different or strongly changed "
    "content (a replaced scene, a strong grade, a new or muted soundtrack). Null for `only_a` and `only_b`."
)
# Times are seconds to the millisecond: every edge is a frame boundary k/rate of its video's exact
# rate (sage.timebase), and a millisecond names that frame at any rate up to 120 fps (frames are
# at least 8.3 ms apart). Segments also give the frames themselves (`segment_frames`).
SEGMENT_PLACES = 3
SPAN_PLACES = 3
SCORE_PLACES = 3


class RoundedFloatField(serializers.FloatField):
    """A float rounded to `places` decimals in the output."""

    def __init__(self, *, places: int, **kwargs: Any) -> None:
        self.places = places
        super().__init__(**kwargs)

    # The stubs type a FloatField's output as str; DRF's own FloatField returns a float, as this does.
    def to_representation(self, value: Any) -> float:  # type: ignore[override]
        # + 0.0: a value a hair below zero rounds to -0.0, which JSON writes as "-0.0".
        return round(float(value), self.places) + 0.0


class ComparisonCreateInput(serializers.Serializer[Any]):
    video_a = IdField(help_text="One of my ready uploaded videos.")
    video_b = IdField(help_text="Another one.")
    metric = serializers.ChoiceField(
        choices=Comparison.Metric.choices,
        default=Comparison.Metric.COSINE,
        help_text="Kept with the comparison's settings for compatibility: the engine measures change on its "
        "own scale, whichever is chosen.",
    )
    alignment = serializers.ChoiceField(
        choices=Comparison.Alignment.choices,
        default=Comparison.Alignment.CUTS,
        help_text="`none` clip by clip, `offset` one constant offset, `cuts` insertions and removals too.",
    )
    threshold = serializers.FloatField(required=False, min_value=0, max_value=MAX_THRESHOLD, help_text=THRESHOLD_HELP)


class ThresholdInput(serializers.Serializer[Any]):
    threshold = serializers.FloatField(min_value=0, max_value=MAX_THRESHOLD, help_text=THRESHOLD_HELP)


class MatchedSpanOutput(serializers.Serializer[Any]):
    """A stretch shown in both videos: A's `a_start`–`a_end` is B's `b_start`–`b_end`."""

    a_start = RoundedFloatField(places=SPAN_PLACES, help_text="Seconds on A, to the millisecond (a frame's start).")
    a_end = RoundedFloatField(places=SPAN_PLACES, help_text="Seconds on A.")
    b_start = RoundedFloatField(
        places=SPAN_PLACES,
        help_text="Seconds on B. Inside the span B's time is `b_start + (a − a_start)` for A's time `a`.",
    )
    b_end = RoundedFloatField(places=SPAN_PLACES, help_text="Seconds on B.")


class DifferenceOutput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=["visual", "audio", "both", "only_a", "only_b", "moved", "av_sync", "speed", "text"],
        help_text="`visual` the picture differs, `audio` the sound, `both` both (`replaced`: a stretch of A "
        "replaced in place by other footage); `only_a` / `only_b` a stretch only that video has (removed "
        "from A or inserted in B). Engine 3 also finds, at any threshold: `moved` (A's `a_start`–`a_end` "
        "is shown at B's `b_start`–`b_end`, elsewhere in the order; a swap is two moves), `av_sync` (B's "
        "sound against its picture, relative to A's: `lag`, `drift`), `speed` (B plays the stretch "
        "`ratio` times as fast as A) and `text` (the text on screen reads `text_a` on A and `text_b` on B).",
    )
    a_start = RoundedFloatField(
        places=SEGMENT_PLACES,
        allow_null=True,
        help_text="Seconds on A, to the millisecond: where a frame of A begins (the first frame of the segment). "
        "For `only_b`, `a_start == a_end` is the point on A where B's extra stretch sits (and the other way "
        "round for `only_a`). Null only when A has nothing there.",
    )
    a_end = RoundedFloatField(
        places=SEGMENT_PLACES,
        allow_null=True,
        help_text="Seconds on A, to the millisecond: where the frame after the segment's last begins.",
    )
    b_start = RoundedFloatField(places=SEGMENT_PLACES, allow_null=True, help_text="Seconds on B, as `a_start`.")
    b_end = RoundedFloatField(places=SEGMENT_PLACES, allow_null=True, help_text="Seconds on B, as `a_end`.")
    a_start_frame = serializers.IntegerField(
        allow_null=True,
        help_text="The frame of A that begins at `a_start` (0 is the first), at A's `frame_rate`: the segment is "
        "A's frames `a_start_frame` to `a_end_frame` − 1 (none when they are equal: a point). Null with `a_start`.",
    )
    a_end_frame = serializers.IntegerField(allow_null=True, help_text="The frame of A that begins at `a_end`.")
    b_start_frame = serializers.IntegerField(
        allow_null=True, help_text="The frame of B that begins at `b_start`, at B's `frame_rate`."
    )
    b_end_frame = serializers.IntegerField(allow_null=True, help_text="The frame of B that begins at `b_end`.")
    peak = RoundedFloatField(
        places=SCORE_PLACES,
        allow_null=True,
        help_text="The largest change over the segment: a 0–1 change score (the larger of picture and sound). "
        "Null for `only_a` / `only_b`, which have nothing to measure.",
    )
    mean = RoundedFloatField(places=SCORE_PLACES, allow_null=True, help_text="The average change over the segment.")
    severity = serializers.ChoiceField(choices=["low", "medium", "high"], allow_null=True, help_text=SEVERITY_HELP)
    picture = RoundedFloatField(
        places=SCORE_PLACES,
        allow_null=True,
        help_text="The picture's peak change score (0–1); null where the picture was not measured (only one "
        "video has it).",
    )
    sound = RoundedFloatField(
        places=SCORE_PLACES,
        allow_null=True,
        help_text="The sound's peak change score (0–1); null without sound to compare.",
    )
    first_pair = serializers.IntegerField(
        required=False, help_text="No longer given (the clip-grid engine's first aligned clip pair)."
    )
    last_pair = serializers.IntegerField(required=False, help_text="No longer given (its last pair).")
    # Engine 3's findings: present only where they say something (see the kinds).
    lag = RoundedFloatField(
        places=SCORE_PLACES,
        required=False,
        help_text="`av_sync`: seconds B's sound is late against its picture, relative to A, at the finding's "
        "start (negative: early), to the millisecond.",
    )
    drift = RoundedFloatField(
        places=SCORE_PLACES,
        required=False,
        help_text="`av_sync`: milliseconds per minute by which that lag grows (negative: shrinks); absent "
        "when the lag holds.",
    )
    ratio = RoundedFloatField(
        places=4,
        required=False,
        help_text="`speed`: B's playback speed over the stretch relative to A's (1.0417: B runs 4.17 % fast; "
        "0.96: 4 % slow).",
    )
    text_a = serializers.CharField(
        required=False, allow_blank=True, help_text='`text`: the on-screen line on A ("" where A shows none).'
    )
    text_b = serializers.CharField(
        required=False, allow_blank=True, help_text='`text`: the line at the same place on B ("" where B shows none).'
    )
    replaced = serializers.BooleanField(
        required=False,
        help_text="`both`: true where a stretch of A was replaced in place by other footage of about the same "
        "length (absent otherwise).",
    )


class VideoBrief(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    duration = serializers.FloatField(allow_null=True)
    frame_rate = serializers.CharField(
        source="timebase.rate_text", help_text='The exact frame rate, a rational: "30000/1001", "25".'
    )


class ComparisonSummaryOutput(serializers.ModelSerializer[Comparison]):
    video_a = VideoBrief()
    video_b = VideoBrief()
    engine = serializers.ChoiceField(
        choices=[
            (0, "none yet"),
            (1, "aligned on 2 s clips"),
            (2, "refined"),
            (3, "refined, with moves, A/V sync, speed and text"),
        ],
        help_text="The engine that made the stored result. 3, the current one: aligned on fine fingerprints "
        "to the frame, differences verified on the frames and the sound (`matched_spans`, `offset`, segment "
        "times on the frame), and moves, A/V sync, speed changes and changed on-screen text looked for. 1 and 2 "
        "(older engines) and 0 (none yet: its videos are being fingerprinted): the row is being recomputed "
        "by the current engine (`recomputing`), and its lists are empty until then.",
    )
    recomputing = serializers.SerializerMethodField(
        help_text="True while a row made by an older engine (or by none yet) waits for the current one or is "
        "being made by it (usually minutes): fetch again until false, when `engine` is 3 and the lists are "
        "filled. False on a current row, and on one whose videos could not be read (`older_engine` says so)."
    )
    older_engine = serializers.SerializerMethodField(
        help_text="Null on a row made by the current engine (3). Otherwise what the page says of it: that it "
        "is being recomputed, or that its videos can no longer be read and it cannot be (compare them again "
        "or delete it).",
    )
    offset = RoundedFloatField(
        places=SPAN_PLACES,
        allow_null=True,
        help_text="Seconds to add to a time on A to get the same moment on B, over the first matched span "
        "(B has 3.4 s more lead-in: 3.4; A has: −3.4). Null when nothing matched, and while `recomputing`.",
    )
    threshold = serializers.FloatField(help_text=THRESHOLD_HELP)
    similarity = serializers.FloatField(help_text="Percent of the aligned time that matches at the threshold.")
    verified = serializers.BooleanField(
        help_text="False while the differences are the fingerprints' first estimate and a worker checks them "
        "on the decoded pictures and sound (a large comparison; usually seconds to a few minutes); fetch again "
        "until true.",
    )

    class Meta:
        model = Comparison
        fields = [
            "id", "video_a", "video_b", "metric", "alignment", "engine", "recomputing", "older_engine", "offset",
            "verified",
            "threshold", "similarity", "counts", "summary", "summary_backend", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_recomputing(self, comparison: Comparison) -> bool:
        return comparison_recomputing(comparison)

    def get_older_engine(self, comparison: Comparison) -> str | None:
        return comparison_state_note(comparison)


class CurveOutput(serializers.Serializer[Any]):
    a_time = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text="Per point, its time on A (null where only B has content): a point every half second along "
        "the matched spans.",
    )
    b_time = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="Its time on B.")
    visual = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text="Picture change there (a 0–1 score); null where not measured.",
    )
    audio = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="Sound change there.")


class ComparisonOutput(ComparisonSummaryOutput):
    matched_spans = MatchedSpanOutput(
        many=True,
        help_text="The stretches shown in both videos, in order (empty while `recomputing`). A gap on one side "
        "between two spans is what only that video has.",
    )
    segments = DifferenceOutput(many=True)
    word_changes = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        help_text="Per segment index: the words only A says there (`removed`) and only B says (`added`), as "
        'said, in order; an item "…" stands for words left out (the same on both sides, or past the 40 shown).',
    )
    curve = CurveOutput()

    class Meta(ComparisonSummaryOutput.Meta):
        fields = [*ComparisonSummaryOutput.Meta.fields, "matched_spans", "segments", "word_changes", "curve"]
        read_only_fields = fields


def segment_frames(segments: list[dict[str, Any]], timebase_a: Timebase, timebase_b: Timebase) -> list[dict[str, Any]]:
    """`segments` (as stored) with the frames that begin at each of their edges, on each video."""

    def frame(time: float | None, timebase: Timebase) -> int | None:
        return None if time is None else timebase.boundary_near(time)

    return [
        {
            **segment,
            "a_start_frame": frame(segment["a_start"], timebase_a),
            "a_end_frame": frame(segment["a_end"], timebase_a),
            "b_start_frame": frame(segment["b_start"], timebase_b),
            "b_end_frame": frame(segment["b_end"], timebase_b),
        }
        for segment in segments
    ]


def matched_span_dicts(comparison: Comparison) -> list[dict[str, float]]:
    """The stored spans ([[a_start, a_end, b_start, b_end], ...]) as the API names them, unrounded."""
    return [
        {"a_start": a_start, "a_end": a_end, "b_start": b_start, "b_end": b_end}
        for a_start, a_end, b_start, b_end, *_sync in comparison.matched_spans or []
    ]


def comparison_payload(comparison: Comparison, threshold: float | None = None) -> dict[str, Any]:
    """Everything about a comparison, judged at `threshold` (the stored one when None) without saving."""
    data = dict(ComparisonSummaryOutput(comparison).data)
    if comparison.engine != CURRENT_ENGINE:
        # Nothing the current engine can judge yet: the row's state (`recomputing`, `older_engine`) and
        # empty lists, in the same shape.
        curve: dict[str, list[float | None]] = {"a_time": [], "b_time": [], "visual": [], "audio": []}
        data.update(offset=None, matched_spans=[], segments=[], word_changes={}, curve=curve)
        return data
    # From the row alone (its word diff included): a preview reads no clip or transcript.
    result = comparison_at(comparison, threshold)
    if threshold is not None and threshold != comparison.threshold:
        segments = segment_dicts(result.segments)
        data.update(
            threshold=threshold,
            similarity=round(result.similarity, 2),
            counts=result.counts(),
            summary="",  # written for the stored threshold; remember this one (PATCH) for a new one
            summary_backend="",
        )
        changes = comparison_word_changes(comparison, segments)
    else:
        segments, changes = comparison.segments, comparison.word_changes
    data.update(
        matched_spans=MatchedSpanOutput(matched_span_dicts(comparison), many=True).data,
        segments=DifferenceOutput(
            segment_frames(segments, comparison.video_a.timebase, comparison.video_b.timebase), many=True
        ).data,
        word_changes=changes,
        curve=result.curve.as_lists(),
    )
    return data


class ComparisonListApi(generics.ListAPIView[Comparison]):
    workspace_actions = {"GET": "video.view", "POST": "video.change"}
    serializer_class = ComparisonSummaryOutput

    def get_queryset(self) -> QuerySet[Comparison]:
        return comparisons_for_user(acting_membership(self.request))

    @extend_schema(
        responses={200: ComparisonSummaryOutput(many=True), **error_responses(400, 404)}, summary="My comparisons"
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ComparisonCreateInput,
        responses={201: ComparisonOutput, 200: ComparisonOutput, **error_responses(400, 403, 404)},
        summary="Compare two videos",
        description="Both must be my ready uploaded videos. The same pair with the same metric and alignment "
        "returns the stored comparison (200), judged at `threshold` when given.",
    )
    def post(self, request: Request) -> Response:
        payload = ComparisonCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        user = _user(request)
        member = acting_membership(request)
        values = payload.validated_data
        comparison, created = comparison_create(
            user=user,
            video_a=video_get_for_user(member, values["video_a"]),
            video_b=video_get_for_user(member, values["video_b"]),
            metric=values["metric"],
            alignment=values["alignment"],
            threshold=values.get("threshold"),
        )
        return Response(
            comparison_payload(comparison), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ComparisonDetailApi(APIView):
    workspace_actions = {"GET": "video.view", "PATCH": "video.change", "DELETE": "video.change"}

    @extend_schema(
        parameters=[
            _COMPARISON_ID,
            OpenApiParameter(
                "threshold",
                float,
                description="Judge at this threshold without changing the stored one. " + THRESHOLD_HELP,
            ),
        ],
        responses={200: ComparisonOutput, **error_responses(400, 404)},
        summary="A comparison",
        description="What the alignment found (`engine`, `offset`, `matched_spans`: A's range ↔ B's range) and "
        "the differences (`segments`, each with its range on A and on B on the frame), judged at the stored "
        "threshold or at `?threshold=`. The alignment does not depend on the threshold.",
    )
    def get(self, request: Request, comparison_id: int) -> Response:
        comparison = comparison_get_to_view(acting_membership(request), comparison_id)  # the shared sample too
        threshold = None
        if "threshold" in request.query_params:
            query = ThresholdInput(data=request.query_params)
            query.is_valid(raise_exception=True)
            threshold = query.validated_data["threshold"]
        return Response(comparison_payload(comparison, threshold))

    @extend_schema(
        parameters=[_COMPARISON_ID],
        request=ThresholdInput,
        responses={200: ComparisonOutput, **error_responses(400, 403, 404)},
        summary="Keep another threshold",
        description="Segments, counts and similarity are derived again from the stored measurements (the "
        "alignment stays).",
    )
    def patch(self, request: Request, comparison_id: int) -> Response:
        comparison = comparison_get_for_user(acting_membership(request), comparison_id)
        payload = ThresholdInput(data=request.data)
        payload.is_valid(raise_exception=True)
        comparison_set_threshold(comparison=comparison, threshold=payload.validated_data["threshold"])
        return Response(comparison_payload(comparison))

    @extend_schema(parameters=[_COMPARISON_ID], responses={204: None, **error_responses(403, 404)}, summary="Delete")
    def delete(self, request: Request, comparison_id: int) -> Response:
        comparison_get_for_user(acting_membership(request), comparison_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ComparisonCompareAgainApi(APIView):
    workspace_actions = {"POST": "video.change"}

    @extend_schema(
        parameters=[_COMPARISON_ID],
        request=None,
        responses={202: ComparisonOutput, **error_responses(403, 404)},
        summary="Recompute now with the current engine",
        description="Rows made by an older engine are recomputed by the current one by themselves "
        "(`recomputing`); this queues one now rather than in its turn, at its threshold: fetch it until "
        "`recomputing` is false. Asked again while queued, or of a current row, nothing more is done. "
        "The comparison as it stands is returned.",
    )
    def post(self, request: Request, comparison_id: int) -> Response:
        comparison = comparison_get_for_user(acting_membership(request), comparison_id)
        comparison_recompute_soon(comparison)
        return Response(comparison_payload(comparison), status=status.HTTP_202_ACCEPTED)


def export_json(comparison: Comparison, *, actor: Actor) -> dict[str, Any]:
    """The report: the comparison, with the reviewers' comments `actor` sees (as on the page)."""
    data = comparison_payload(comparison)
    data["created_at"] = comparison.created_at.isoformat()
    data["updated_at"] = comparison.updated_at.isoformat()
    comments = comments_on_comparison(comparison, actor=actor)
    data["comments"] = [exported_comment_dict(comment) for comment in comments]
    return data


CSV_COLUMNS = [
    "record", "kind", "severity", "a_start", "a_end", "b_start", "b_end", "peak", "mean",
    "visual_distance", "audio_distance", "words_only_in_a", "words_only_in_b", "picture", "sound",
    "comment_id", "parent_id", "author_name", "body", "resolved",
    "says", "lag", "drift", "ratio", "text_a", "text_b", "replaced",
]  # fmt: skip
CSV_HELP = (
    "One table, a row per record: a `span` row per matched span (its range on A and on B), then a "
    "`segment` row per difference (kind, severity, ranges, peak, mean, picture, sound and the words "
    "only A or only B says there; engine 3's findings with `says`, their plain words, and `lag`, "
    "`drift`, `ratio`, `text_a`, `text_b`, `replaced` as in the API), then the curve: a `curve` row per point "
    "(every half second along the matched spans), with its time on A "
    "and B (`a_start`, `b_start`) and the picture and sound change there (`visual_distance`, "
    "`audio_distance`), then a `comment` row per reviewer's comment or reply (on A or B: its time in "
    "`a_start`/`a_end` or `b_start`/`b_end`; `comment_id`, `parent_id` for a reply, `author_name`, `body`, "
    "`resolved`). Columns: " + ", ".join(CSV_COLUMNS) + ". A text cell that would start like a spreadsheet "
    "formula (`=`, `+`, `-`, `@`, tab, carriage return) starts with a single quote; numbers stay numbers."
)


def export_csv(comparison: Comparison, *, actor: Actor) -> str:
    """One table: `span` rows, then a `segment` row per difference, then the curve's rows, then the
    reviewers' comments `actor` sees."""
    data = comparison_payload(comparison)
    rows: list[dict[str, Any]] = [{"record": "span", **span} for span in data["matched_spans"]]
    for number, segment in enumerate(data["segments"]):
        words = data["word_changes"].get(str(number), {})
        rows.append(
            {
                "record": "segment",
                **segment,
                "says": finding_sentence(segment, duration_b=comparison.video_b.duration),
                "words_only_in_a": " ".join(words.get("removed", [])),
                "words_only_in_b": " ".join(words.get("added", [])),
            }
        )
    curve = data["curve"]
    for a_time, b_time, visual, audio in zip(
        curve["a_time"], curve["b_time"], curve["visual"], curve["audio"], strict=True
    ):
        rows.append(
            {
                "record": "curve",
                "a_start": a_time,
                "b_start": b_time,
                "visual_distance": visual,
                "audio_distance": audio,
            }
        )
    for comment in comments_on_comparison(comparison, actor=actor):
        rows.append(
            {
                "record": "comment",
                f"{comment.side}_start": comment.start,
                f"{comment.side}_end": comment.end if comment.end is not None else comment.start,
                "comment_id": comment.id,
                "parent_id": comment.parent_id or "",
                "author_name": comment.author_name,
                "body": comment.body,
                "resolved": "yes" if comment.resolved else "no",
            }
        )
    # Reviewers' text reaches the owner's spreadsheet: `csv_table` makes every cell safe to open.
    return csv_table(CSV_COLUMNS, rows, ignore_extra=True)


class ComparisonExportApi(APIView):
    workspace_actions = {"GET": "video.view"}

    @extend_schema(
        parameters=[
            _COMPARISON_ID,
            OpenApiParameter("file_type", str, OpenApiParameter.PATH, enum=["json", "csv"], description="File type."),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(ComparisonOutput, description="The report."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The report."),
            **error_responses(404),
        },
        summary="Export a comparison report",
        description="`export.json`: the comparison as `GET /api/v1/comparisons/{id}` gives it, plus `comments`: "
        "reviewers' comments and replies from its share links (id, parent, side, start, end, author_name, "
        "by_owner, body, created_at, resolved, link_name), threads in time order. `export.csv`: " + CSV_HELP,
    )
    def get(self, request: Request, comparison_id: int, file_type: str) -> HttpResponse:
        comparison = comparison_get_to_view(acting_membership(request), comparison_id)  # the shared sample too
        actor = request_actor(request)
        require_view(actor, comparison)
        filename = f"comparison-{comparison.pk}.{file_type}"
        if file_type == "csv":
            response = HttpResponse(export_csv(comparison, actor=actor), content_type="text/csv; charset=utf-8")
        else:
            response = Response(export_json(comparison, actor=actor))
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
