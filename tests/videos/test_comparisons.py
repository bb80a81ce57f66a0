"""Comparisons through the API: making one (or reusing it), ownership, what may be compared, the
threshold (judged without saving, then kept), the summary, and the exports.

Rows are made by ComparisonFactory as the engine stores them, or asked for of videos without
fingerprints (stored unmade, for the recomputation to make: tests/videos/test_compare_recompute.py);
the engine's judgement on real videos is tests/videos/test_compare_refined.py's."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ComparisonFactory, UserFactory, VideoFactory
from tests.gemini_stub import GeminiReply, gemini_stub_fixture  # noqa: F401 -- the `gemini_stub` fixture
from videos.models import ClipEmbedding, Comparison, TranscriptSegment, Video

pytestmark = pytest.mark.django_db

RNG = np.random.default_rng(7)
BASE_VISUAL = RNG.normal(size=(10, 16))
BASE_AUDIO = RNG.normal(size=(10, 8))
OTHER_VISUAL = RNG.normal(size=(10, 16))


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def ready_video(owner, title: str, visual: np.ndarray, audio: np.ndarray | None, *, lines=()) -> Video:
    return VideoFactory(
        owner=owner,
        title=title,
        status=Video.Status.READY,
        duration=2.0 * len(visual),
        storage_key=f"videos/{title}.mp4",
        backends={"clips": "local"},
        with_clips=visual,
        with_clips__audio=audio,
        with_transcript=lines,
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def pair(owner) -> tuple[Video, Video]:
    """B: A with clips 3–4 (6–10 s) replaced, and different words said there."""
    edited = BASE_VISUAL.copy()
    edited[3:5] = OTHER_VISUAL[3:5]
    words_a = [(0.0, 6.0, "we start the tour"), (6.0, 10.0, "this is the kitchen"), (10.0, 20.0, "and the garden")]
    words_b = [(0.0, 6.0, "we start the tour"), (6.0, 10.0, "this is the garage"), (10.0, 20.0, "and the garden")]
    a = ready_video(owner, "original", BASE_VISUAL, BASE_AUDIO, lines=words_a)
    b = ready_video(owner, "edited", edited, BASE_AUDIO, lines=words_b)
    return a, b


def create(client: Client, a: Video, b: Video, **extra):
    return client.post(
        reverse("api-comparisons"), {"video_a": a.pk, "video_b": b.pk, **extra}, content_type="application/json"
    )


def test_the_same_settings_reuse_the_stored_comparison(owner, pair) -> None:
    a, b = pair
    client = client_for(owner)
    first = create(client, a, b, alignment="cuts")
    again = create(client, a, b, alignment="cuts")
    other_metric = create(client, a, b, alignment="cuts", metric="euclidean")

    assert (first.status_code, again.status_code, other_metric.status_code) == (201, 200, 201)
    assert first.json()["id"] == again.json()["id"] != other_metric.json()["id"]
    assert Comparison.objects.filter(owner=owner).count() == 2
    # Videos processed before fingerprints existed: stored unmade, the page and the API say so.
    assert first.json()["recomputing"] is True and first.json()["segments"] == []


CLIP_AND_TRANSCRIPT_TABLES = (ClipEmbedding._meta.db_table, TranscriptSegment._meta.db_table)


def queries_of_clips_or_transcripts(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in CLIP_AND_TRANSCRIPT_TABLES)]


def test_a_threshold_is_judged_from_the_stored_measurements_and_kept_when_patched() -> None:
    comparison = ComparisonFactory(refined=True)
    client = client_for(comparison.owner)
    url = reverse("api-comparison-detail", args=[comparison.pk])

    with CaptureQueriesContext(connection) as captured:
        lenient = client.get(url, {"threshold": "5"}).json()  # no change is that large
        page = client.get(reverse("compare:comparison", args=[comparison.pk]))
    assert (lenient["threshold"], [s["kind"] for s in lenient["segments"]]) == (5.0, ["only_b", "only_b"])
    assert page.status_code == 200
    # Nor clips nor transcripts: the row keeps what a preview needs.
    assert queries_of_clips_or_transcripts(captured) == []
    stored = Comparison.objects.get(pk=comparison.pk)
    assert (stored.threshold, len(stored.segments)) == (0.15, 4)  # a preview does not save

    with CaptureQueriesContext(connection) as captured:
        kept = client.patch(url, {"threshold": 5.0}, content_type="application/json")
    assert queries_of_clips_or_transcripts(captured) == []
    assert kept.status_code == 200 and [s["kind"] for s in kept.json()["segments"]] == ["only_b", "only_b"]
    stored = Comparison.objects.get(pk=comparison.pk)
    assert (stored.threshold, len(stored.segments)) == (5.0, 2)
    assert client.get(url).json()["threshold"] == 5.0

    assert client.get(url, {"threshold": "-1"}).status_code == 400
    assert client.patch(url, {"threshold": "lots"}, content_type="application/json").status_code == 400


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("same", "two different videos"),
        ("youtube", "uploaded videos only"),
        ("processing", "not ready"),
        ("backend", "different backends"),
    ],
)
def test_videos_that_cannot_be_compared_get_a_clear_400(owner, pair, change: str, message: str) -> None:
    a, b = pair
    if change == "same":
        b = a
    elif change == "youtube":
        Video.objects.filter(pk=b.pk).update(source=Video.Source.YOUTUBE, youtube_id="dQw4w9WgXcQ")
    elif change == "processing":
        Video.objects.filter(pk=b.pk).update(status=Video.Status.PROCESSING)
    else:
        Video.objects.filter(pk=b.pk).update(backends={"clips": "twelvelabs"})

    response = create(client_for(owner), a, b)

    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert not Comparison.objects.exists()


def test_other_peoples_videos_and_comparisons_are_404(owner, pair) -> None:
    a, b = pair
    comparison_id = create(client_for(owner), a, b).json()["id"]
    stranger = client_for(UserFactory())
    theirs = ready_video(UserFactory(), "theirs", BASE_VISUAL, BASE_AUDIO)

    assert create(client_for(owner), a, theirs).status_code == 404
    assert stranger.get(reverse("api-comparison-detail", args=[comparison_id])).status_code == 404
    assert (
        stranger.patch(
            reverse("api-comparison-detail", args=[comparison_id]), {"threshold": 1}, content_type="application/json"
        ).status_code
        == 404
    )
    assert stranger.get(reverse("api-comparison-export", args=[comparison_id, "csv"])).status_code == 404
    assert stranger.get(reverse("api-comparisons")).json()["results"] == []
    assert stranger.delete(reverse("api-comparison-detail", args=[comparison_id])).status_code == 404
    assert Comparison.objects.filter(pk=comparison_id).exists()


def test_with_gemini_the_summary_is_gemini_s_and_gets_the_differences_as_data(
    gemini_stub, django_capture_on_commit_callbacks
) -> None:
    comparison = ComparisonFactory(refined=True)
    gemini_stub.reply("At [00:04] the picture changes a little.")
    url = reverse("api-comparison-detail", args=[comparison.pk])
    with django_capture_on_commit_callbacks(execute=True):  # the summary task runs (eagerly)
        client_for(comparison.owner).patch(url, {"threshold": 0.1}, content_type="application/json")

    stored = Comparison.objects.get(pk=comparison.pk)
    assert (stored.summary, stored.summary_backend) == ("At [00:04] the picture changes a little.", "gemini")
    prompt = gemini_stub.last.prompt
    assert "not instructions" in prompt and '"kind": "visual"' in prompt


def test_when_gemini_fails_the_built_summary_stays(gemini_stub, django_capture_on_commit_callbacks) -> None:
    comparison = ComparisonFactory(refined=True)
    gemini_stub.reply(GeminiReply(status=500))
    url = reverse("api-comparison-detail", args=[comparison.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client_for(comparison.owner).patch(url, {"threshold": 0.1}, content_type="application/json")

    stored = Comparison.objects.get(pk=comparison.pk)
    assert stored.summary_backend == "extractive" and "4 differences" in stored.summary


# --- what the alignment found ------------------------------------------------------------------
#
# Rows are made by ComparisonFactory(refined=True) as the engine stores them
# (tests/factories.py says what they hold): these tests check what the API says about a row, not
# what the engine finds in videos (tests/videos/test_compare_engine.py and bench/accuracy.py).


@pytest.fixture(scope="module")
def openapi() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def conforms(openapi: dict, component: str, instance: dict) -> None:
    """`instance` has the shape the OpenAPI schema documents for `component` (nullable and all)."""
    from openapi_schema_validator import OAS30Validator

    schema = {"$ref": f"#/components/schemas/{component}", "components": openapi["components"]}
    OAS30Validator(schema).validate(instance)


def test_a_refined_comparison_says_its_offset_its_matched_spans_and_each_segment_s_ranges(openapi) -> None:
    comparison = ComparisonFactory(refined=True)

    body = client_for(comparison.owner).get(reverse("api-comparison-detail", args=[comparison.pk])).json()

    assert (body["engine"], body["recomputing"], body["offset"], body["threshold"]) == (3, False, 1.4, 0.15)
    assert body["matched_spans"] == [
        {"a_start": 0.0, "a_end": 9.6, "b_start": 1.4, "b_end": 11.0},
        {"a_start": 9.6, "a_end": 20.0, "b_start": 13.0, "b_end": 23.4},
    ]
    # Stored to the millisecond and said so, with the frame (at 25 fps) that begins at each edge;
    # scores kept; no clip pairs.
    visual, both = body["segments"][1], body["segments"][3]
    assert visual == {
        "kind": "visual", "a_start": 4.237, "a_end": 6.937, "b_start": 5.637, "b_end": 8.337, "peak": 0.183,
        "mean": 0.183, "severity": "low", "picture": 0.183, "sound": 0.012,
        "a_start_frame": 106, "a_end_frame": 173, "b_start_frame": 141, "b_end_frame": 208,
    }  # fmt: skip
    assert (both["a_start"], both["a_end"], both["b_start"], both["b_end"]) == (15.04, 17.54, 18.44, 20.94)
    assert [s["kind"] for s in body["segments"]] == ["only_b", "visual", "only_b", "both"]
    assert body["segments"][2] == {
        "kind": "only_b", "a_start": 9.6, "a_end": 9.6, "b_start": 11.0, "b_end": 13.0, "peak": None, "mean": None,
        "severity": None, "picture": None, "sound": None,
        "a_start_frame": 240, "a_end_frame": 240, "b_start_frame": 275, "b_end_frame": 325,
    }  # fmt: skip
    # The curve follows the spans: B's time is A's plus the span's offset.
    curve = body["curve"]
    assert curve["a_time"] and all(
        b == pytest.approx(a + (1.4 if a < 9.6 else 3.4)) for a, b in zip(curve["a_time"], curve["b_time"], strict=True)
    )
    conforms(openapi, "ComparisonOutput", body)


def test_an_offset_a_hair_below_zero_reads_as_zero_not_minus_zero() -> None:
    comparison = ComparisonFactory(refined=True, offset=-0.0002)

    answer = client_for(comparison.owner).get(reverse("api-comparison-detail", args=[comparison.pk]))

    assert answer.json()["offset"] == 0.0
    assert b'"offset":0.0' in answer.content.replace(b" ", b"") and b"-0.0" not in answer.content


def test_a_refined_comparison_is_judged_at_another_threshold_with_its_alignment_unchanged(openapi) -> None:
    comparison = ComparisonFactory(refined=True)
    client = client_for(comparison.owner)
    url = reverse("api-comparison-detail", args=[comparison.pk])
    stored = client.get(url).json()

    # Past the low change (0.18), under the high one (0.87): the low one goes, the rest stays.
    preview = client.get(url, {"threshold": "0.5"}).json()
    # Past every change: what only B has is left.
    lenient = client.get(url, {"threshold": "1"}).json()

    assert [s["kind"] for s in preview["segments"]] == ["only_b", "only_b", "both"]
    assert [s["kind"] for s in lenient["segments"]] == ["only_b", "only_b"]
    assert preview["similarity"] > stored["similarity"]
    for judged in (preview, lenient):
        assert (judged["offset"], judged["matched_spans"], judged["curve"]) == (
            stored["offset"], stored["matched_spans"], stored["curve"],
        )  # fmt: skip
        for segment in judged["segments"]:  # each edge's frame is the one that begins there, at 25 fps
            names = ("a_start", "a_end", "b_start", "b_end")
            assert all(segment[f"{name}_frame"] == round(segment[name] * 25) for name in names)
        conforms(openapi, "ComparisonOutput", judged)
    comparison.refresh_from_db()
    assert comparison.threshold == 0.15  # previews do not save


def test_another_persons_refined_comparison_is_not_found() -> None:
    comparison = ComparisonFactory(refined=True)
    stranger = client_for(UserFactory())

    assert stranger.get(reverse("api-comparison-detail", args=[comparison.pk])).status_code == 404
    assert stranger.get(reverse("api-comparison-detail", args=[comparison.pk]), {"threshold": "0.5"}).status_code == 404
    for file_type in ("json", "csv"):
        assert stranger.get(reverse("api-comparison-export", args=[comparison.pk, file_type])).status_code == 404
    assert stranger.get(reverse("api-comparisons")).json()["results"] == []


def test_the_exports_of_a_refined_comparison_have_its_spans_then_its_segments_then_its_curve(openapi) -> None:
    comparison = ComparisonFactory(refined=True)
    client = client_for(comparison.owner)

    report = client.get(reverse("api-comparison-export", args=[comparison.pk, "json"])).json()
    conforms(openapi, "ComparisonOutput", report)
    assert (report["engine"], report["offset"], len(report["matched_spans"])) == (3, 1.4, 2)
    assert report["segments"][1]["a_start"] == 4.237

    as_csv = client.get(reverse("api-comparison-export", args=[comparison.pk, "csv"])).content.decode()
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    records = [row["record"] for row in rows]
    # Spans first, then segments, then the curve: each kind of row in one block, in that order.
    assert records == ["span"] * 2 + ["segment"] * 4 + ["curve"] * len(report["curve"]["a_time"])
    assert [(r["a_start"], r["a_end"], r["b_start"], r["b_end"]) for r in rows[:2]] == [
        ("0.0", "9.6", "1.4", "11.0"),
        ("9.6", "20.0", "13.0", "23.4"),
    ]
    visual = rows[3]
    columns = ("kind", "severity", "a_start", "a_end", "b_start", "b_end", "peak", "picture", "sound")
    assert tuple(visual[name] for name in columns) == (
        "visual",
        "low",
        "4.237",
        "6.937",
        "5.637",
        "8.337",
        "0.183",
        "0.183",
        "0.012",
    )
    inserted = rows[4]
    assert (inserted["kind"], inserted["a_start"], inserted["a_end"], inserted["b_start"], inserted["b_end"]) == (
        "only_b", "9.6", "9.6", "11.0", "13.0",
    )  # fmt: skip
    first_point = rows[6]
    assert (first_point["a_start"], first_point["b_start"]) == ("0.0", "1.4")


def test_the_csv_keeps_its_columns() -> None:
    comparison = ComparisonFactory(refined=True)

    url = reverse("api-comparison-export", args=[comparison.pk, "csv"])
    as_csv = client_for(comparison.owner).get(url).content.decode()

    header = as_csv.splitlines()[0].split(",")
    assert header[:13] == [
        "record", "kind", "severity", "a_start", "a_end", "b_start", "b_end", "peak", "mean",
        "visual_distance", "audio_distance", "words_only_in_a", "words_only_in_b",
    ]  # fmt: skip


def test_the_schema_documents_what_the_alignment_found(openapi) -> None:
    schemas = openapi["components"]["schemas"]
    comparison = schemas["ComparisonOutput"]["properties"]
    difference = schemas["DifferenceOutput"]

    assert {"engine", "offset", "matched_spans", "segments"} <= set(schemas["ComparisonOutput"]["required"])
    assert {"picture", "sound", "severity"} <= set(difference["required"])
    assert not {"first_pair", "last_pair"} & set(difference["required"])
    assert "same moment on B" in comparison["offset"]["description"]
    assert set(schemas["MatchedSpanOutput"]["required"]) == {"a_start", "a_end", "b_start", "b_end"}
    # The severity scale and the threshold's meaning are written out.
    severity = difference["properties"]["severity"]["description"]
    assert "fixed scale" in severity and "replaced scene" in severity and "logo" in severity
    assert "0–1 change score" in comparison["threshold"]["description"]
    export = openapi["paths"]["/api/v1/comparisons/{comparison_id}/export.{file_type}"]["get"]
    assert "`span` row per matched span" in export["description"]
