"""Comparisons through the API: making one (or reusing it), ownership, what may be compared, the
threshold (judged without saving, then kept), the words that changed, and the exports.

The clip vectors here are synthetic (random unit vectors, with known edits) so that these tests
check the service and API around the engine; the engine's judgement on real videos is
tests/videos/test_compare_media.py's."""

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
from videos.compare import default_threshold
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


def test_comparing_finds_the_replaced_stretch_and_the_words_that_changed(owner, pair) -> None:
    a, b = pair
    response = create(client_for(owner), a, b, alignment="none")

    assert response.status_code == 201, response.content
    body = response.json()
    assert [(s["kind"], s["a_start"], s["a_end"]) for s in body["segments"]] == [("visual", 6.0, 10.0)]
    assert body["segments"][0]["severity"] == "high"
    assert body["similarity"] == pytest.approx(80.0)
    assert body["word_changes"] == {"0": {"removed": ["kitchen"], "added": ["garage"]}}
    assert "kitchen" in body["summary"] and "garage" in body["summary"]
    assert len(body["curve"]["visual"]) == 10


def test_words_the_recogniser_was_unsure_of_are_not_reported_as_changed(owner, pair) -> None:
    a, b = pair
    TranscriptSegment.objects.filter(transcript__video=b, text="this is the garage").update(low_confidence=True)

    body = create(client_for(owner), a, b, alignment="none").json()

    # B's unsure line takes no part in the diff: A's words there are "only in A", but nothing
    # invented by the recogniser is shown as said by B.
    assert body["word_changes"] == {"0": {"removed": ["this", "is", "the", "kitchen"], "added": []}}


def test_the_same_settings_reuse_the_stored_comparison(owner, pair) -> None:
    a, b = pair
    client = client_for(owner)
    first = create(client, a, b, alignment="cuts")
    again = create(client, a, b, alignment="cuts")
    other_metric = create(client, a, b, alignment="cuts", metric="euclidean")

    assert (first.status_code, again.status_code, other_metric.status_code) == (201, 200, 201)
    assert first.json()["id"] == again.json()["id"] != other_metric.json()["id"]
    assert Comparison.objects.filter(owner=owner).count() == 2


CLIP_AND_TRANSCRIPT_TABLES = (ClipEmbedding._meta.db_table, TranscriptSegment._meta.db_table)


def queries_of_clips_or_transcripts(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in CLIP_AND_TRANSCRIPT_TABLES)]


def test_a_threshold_is_judged_from_stored_distances_and_kept_when_patched(owner, pair, monkeypatch) -> None:
    a, b = pair
    client = client_for(owner)
    comparison_id = create(client, a, b, alignment="none").json()["id"]
    # From here on no vector may be read: re-judging works from the stored distances alone.
    import videos.compare.services as services

    monkeypatch.setattr(services, "clip_series", lambda video: pytest.fail("vectors were read again"))
    url = reverse("api-comparison-detail", args=[comparison_id])

    with CaptureQueriesContext(connection) as captured:
        lenient = client.get(url, {"threshold": "5"}).json()  # nothing is that far apart
        page = client.get(reverse("compare:comparison", args=[comparison_id]))
    assert (lenient["threshold"], lenient["similarity"], lenient["segments"]) == (5.0, 100.0, [])
    assert page.status_code == 200
    # Nor clip times nor transcripts: the row keeps what a preview needs.
    assert queries_of_clips_or_transcripts(captured) == []
    stored = Comparison.objects.get(pk=comparison_id)
    assert (stored.threshold, len(stored.segments)) == (default_threshold("cosine"), 1)  # a preview does not save

    with CaptureQueriesContext(connection) as captured:
        kept = client.patch(url, {"threshold": 5.0}, content_type="application/json")
    assert queries_of_clips_or_transcripts(captured) == []
    assert kept.status_code == 200 and kept.json()["segments"] == []
    stored = Comparison.objects.get(pk=comparison_id)
    assert (stored.threshold, stored.similarity, stored.segments) == (5.0, 100.0, [])
    assert client.get(url).json()["threshold"] == 5.0

    assert client.get(url, {"threshold": "-1"}).status_code == 400
    assert client.patch(url, {"threshold": "lots"}, content_type="application/json").status_code == 400


@pytest.fixture
def two_edits(owner) -> tuple[Video, Video]:
    """B: A with clips 3–4 (6–10 s) replaced and clip 7 (14–16 s) a little changed, each with other
    words: a strict threshold finds both, a lenient one only the replacement."""
    edited = unit(BASE_VISUAL.copy())
    edited[3:5] = unit(OTHER_VISUAL[3:5])
    edited[7] = unit(edited[7:8] + 0.6 * unit(OTHER_VISUAL[7:8]))[0]
    words_a = [
        (0.0, 6.0, "we start the tour"),
        (6.0, 10.0, "this is the kitchen"),
        (10.0, 14.0, "and the garden"),
        (14.0, 16.0, "with red roses"),
        (16.0, 20.0, "that is all"),
    ]
    words_b = [(0.0, 6.0, "we start the tour"), (6.0, 10.0, "this is the garage"), (10.0, 14.0, "and the garden"),
               (14.0, 16.0, "with white tulips"), (16.0, 20.0, "that is all")]  # fmt: skip
    return (
        ready_video(owner, "original", BASE_VISUAL, BASE_AUDIO, lines=words_a),
        ready_video(owner, "edited", edited, BASE_AUDIO, lines=words_b),
    )


def test_the_words_of_a_preview_are_those_of_a_comparison_built_at_that_threshold(owner, two_edits) -> None:
    a, b = two_edits
    client = client_for(owner)
    built = create(client, a, b, alignment="none").json()
    assert [(s["a_start"], s["a_end"]) for s in built["segments"]] == [(6.0, 10.0), (14.0, 16.0)]
    assert built["word_changes"] == {
        "0": {"removed": ["kitchen"], "added": ["garage"]},
        "1": {"removed": ["red", "roses"], "added": ["white", "tulips"]},
    }
    lenient = 0.5  # over the small change, under the replacement

    preview = client.get(reverse("api-comparison-detail", args=[built["id"]]), {"threshold": str(lenient)}).json()
    Comparison.objects.all().delete()
    fresh = create(client, a, b, alignment="none", threshold=lenient).json()

    assert fresh["segments"] == preview["segments"]
    assert [(s["a_start"], s["a_end"]) for s in preview["segments"]] == [(6.0, 10.0)]
    assert preview["word_changes"] == fresh["word_changes"] == {"0": {"removed": ["kitchen"], "added": ["garage"]}}


def test_a_comparison_stored_before_clip_times_and_words_were_kept_gets_them_on_first_use(owner, two_edits) -> None:
    a, b = two_edits
    client = client_for(owner)
    built = create(client, a, b, alignment="none").json()
    url = reverse("api-comparison-detail", args=[built["id"]])
    Comparison.objects.filter(pk=built["id"]).update(a_clip_times=None, b_clip_times=None, word_diff=None)

    with CaptureQueriesContext(connection) as first_use:
        first = client.get(url, {"threshold": "0.5"}).json()
    with CaptureQueriesContext(connection) as captured:
        again = client.get(url, {"threshold": "0.5"}).json()

    assert first == again
    assert len(queries_of_clips_or_transcripts(first_use)) == 4  # both videos' clip times and transcripts
    assert first["word_changes"] == {"0": {"removed": ["kitchen"], "added": ["garage"]}}
    assert len(first["curve"]["a_time"]) == 10 and first["curve"]["a_time"][3] == 6.0
    assert queries_of_clips_or_transcripts(captured) == []  # filled once, then kept
    stored = Comparison.objects.get(pk=built["id"])
    assert stored.a_clip_times is not None and len(stored.a_clip_times) == 10
    assert stored.word_diff is not None and stored.word_diff["removed"][0] == [6.0, 10.0, ["kitchen"], 7]


def test_an_insertion_is_only_in_b_with_cuts_alignment(owner) -> None:
    inserted = np.concatenate([BASE_VISUAL[:5], OTHER_VISUAL[:3], BASE_VISUAL[5:]])
    inserted_audio = np.concatenate([BASE_AUDIO[:5], RNG.normal(size=(3, 8)), BASE_AUDIO[5:]])
    a = ready_video(owner, "a", BASE_VISUAL, BASE_AUDIO)
    b = ready_video(owner, "b", inserted, inserted_audio)

    segments = create(client_for(owner), a, b, alignment="cuts").json()["segments"]

    assert [(s["kind"], s["b_start"], s["b_end"], s["a_start"]) for s in segments] == [("only_b", 10.0, 16.0, 10.0)]


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


def test_exports_hold_every_segment_and_every_clip_pair(owner, pair) -> None:
    a, b = pair
    client = client_for(owner)
    comparison_id = create(client, a, b, alignment="none").json()["id"]

    as_json = client.get(reverse("api-comparison-export", args=[comparison_id, "json"]))
    assert as_json["Content-Disposition"] == f'attachment; filename="comparison-{comparison_id}.json"'
    report = as_json.json()
    assert len(report["segments"]) == 1 and len(report["curve"]["a_time"]) == 10

    as_csv = client.get(reverse("api-comparison-export", args=[comparison_id, "csv"]))
    assert as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    segments = [row for row in rows if row["record"] == "segment"]
    clips = [row for row in rows if row["record"] == "clip"]
    assert len(segments) == 1 and segments[0]["kind"] == "visual"
    assert (segments[0]["words_only_in_a"], segments[0]["words_only_in_b"]) == ("kitchen", "garage")
    assert len(clips) == 10 and float(clips[3]["visual_distance"]) > float(clips[0]["visual_distance"])


def test_with_gemini_the_summary_is_gemini_s_and_gets_the_differences_as_data(
    owner, pair, gemini_stub, django_capture_on_commit_callbacks
) -> None:
    a, b = pair
    gemini_stub.reply("At [00:06] the kitchen became a garage.")
    with django_capture_on_commit_callbacks(execute=True):  # the summary task runs (eagerly)
        comparison_id = create(client_for(owner), a, b, alignment="none").json()["id"]

    stored = Comparison.objects.get(pk=comparison_id)
    assert (stored.summary, stored.summary_backend) == ("At [00:06] the kitchen became a garage.", "gemini")
    prompt = gemini_stub.last.prompt
    assert "not instructions" in prompt and '"removed": ["kitchen"]' in prompt


def test_when_gemini_fails_the_built_summary_stays(
    owner, pair, gemini_stub, django_capture_on_commit_callbacks
) -> None:
    a, b = pair
    gemini_stub.reply(GeminiReply(status=500))
    with django_capture_on_commit_callbacks(execute=True):
        comparison_id = create(client_for(owner), a, b, alignment="none").json()["id"]

    stored = Comparison.objects.get(pk=comparison_id)
    assert stored.summary_backend == "extractive" and "garage" in stored.summary


# --- what the alignment found (engine 2) ---------------------------------------------------------
#
# Engine-2 rows are made by ComparisonFactory(refined=True) as the refined engine stores them
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

    assert (body["engine"], body["offset"], body["threshold"]) == (2, 1.4, 0.15)
    assert body["matched_spans"] == [
        {"a_start": 0.0, "a_end": 9.6, "b_start": 1.4, "b_end": 11.0},
        {"a_start": 9.6, "a_end": 20.0, "b_start": 13.0, "b_end": 23.4},
    ]
    # Stored to the millisecond, said to a tenth of a second; scores kept; no clip pairs on engine 2.
    visual, both = body["segments"][1], body["segments"][3]
    assert visual == {
        "kind": "visual", "a_start": 4.2, "a_end": 6.9, "b_start": 5.6, "b_end": 8.3, "peak": 0.183, "mean": 0.183,
        "severity": "low", "picture": 0.183, "sound": 0.012,
    }  # fmt: skip
    assert (both["a_start"], both["a_end"], both["b_start"], both["b_end"]) == (15.0, 17.5, 18.4, 20.9)
    assert [s["kind"] for s in body["segments"]] == ["only_b", "visual", "only_b", "both"]
    assert body["segments"][2] == {
        "kind": "only_b", "a_start": 9.6, "a_end": 9.6, "b_start": 11.0, "b_end": 13.0, "peak": None, "mean": None,
        "severity": None, "picture": None, "sound": None,
    }  # fmt: skip
    for segment in body["segments"]:
        for name in ("a_start", "a_end", "b_start", "b_end"):
            assert segment[name] == round(segment[name], 1)
    # The curve follows the spans: B's time is A's plus the span's offset.
    curve = body["curve"]
    assert curve["a_time"] and all(
        b == pytest.approx(a + (1.4 if a < 9.6 else 3.4)) for a, b in zip(curve["a_time"], curve["b_time"], strict=True)
    )
    conforms(openapi, "ComparisonOutput", body)


def test_an_older_comparison_says_engine_1_with_no_spans_and_its_clip_pairs(owner, pair, openapi) -> None:
    a, b = pair
    body = create(client_for(owner), a, b, alignment="none").json()

    assert (body["engine"], body["offset"], body["matched_spans"]) == (1, None, [])
    (segment,) = body["segments"]
    assert (segment["picture"], segment["sound"]) == (None, None)
    assert (segment["first_pair"], segment["last_pair"]) == (3, 4)
    conforms(openapi, "ComparisonOutput", body)


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
        for segment in judged["segments"]:
            assert all(segment[name] == round(segment[name], 1) for name in ("a_start", "a_end", "b_start", "b_end"))
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
    assert (report["engine"], report["offset"], len(report["matched_spans"])) == (2, 1.4, 2)
    assert report["segments"][1]["a_start"] == 4.2

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
        "4.2",
        "6.9",
        "5.6",
        "8.3",
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


def test_the_csv_of_an_older_comparison_keeps_its_columns_and_clip_rows(owner, pair) -> None:
    a, b = pair
    comparison_id = create(client_for(owner), a, b, alignment="none").json()["id"]

    as_csv = client_for(owner).get(reverse("api-comparison-export", args=[comparison_id, "csv"])).content.decode()

    header = as_csv.splitlines()[0].split(",")
    assert header[:13] == [
        "record", "kind", "severity", "a_start", "a_end", "b_start", "b_end", "peak", "mean",
        "visual_distance", "audio_distance", "words_only_in_a", "words_only_in_b",
    ]  # fmt: skip
    records = [row["record"] for row in csv.DictReader(io.StringIO(as_csv))]
    assert records == ["segment"] + ["clip"] * 10  # no spans on the clip grid


def test_the_schema_documents_what_the_alignment_found(openapi) -> None:
    schemas = openapi["components"]["schemas"]
    comparison = schemas["ComparisonOutput"]["properties"]
    difference = schemas["DifferenceOutput"]

    assert {"engine", "offset", "matched_spans", "segments"} <= set(schemas["ComparisonOutput"]["required"])
    assert {"picture", "sound", "severity"} <= set(difference["required"])
    assert not {"first_pair", "last_pair"} & set(difference["required"])
    assert "same moment on B" in comparison["offset"]["description"]
    assert set(schemas["MatchedSpanOutput"]["required"]) == {"a_start", "a_end", "b_start", "b_end"}
    # The severity scale and the threshold's meaning on engine 2 are written out.
    severity = difference["properties"]["severity"]["description"]
    assert "fixed scale" in severity and "replaced scene" in severity and "logo" in severity
    assert "0–1 change score" in comparison["threshold"]["description"]
    export = openapi["paths"]["/api/v1/comparisons/{comparison_id}/export.{file_type}"]["get"]
    assert "`span` row per matched span" in export["description"]
