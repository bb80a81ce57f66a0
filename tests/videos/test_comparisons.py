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

from tests.factories import UserFactory
from tests.gemini_stub import GeminiReply, gemini_stub_fixture  # noqa: F401 -- the `gemini_stub` fixture
from videos.compare import default_threshold
from videos.models import ClipEmbedding, Comparison, Transcript, TranscriptSegment, Video

pytestmark = pytest.mark.django_db

RNG = np.random.default_rng(7)
BASE_VISUAL = RNG.normal(size=(10, 16))
BASE_AUDIO = RNG.normal(size=(10, 8))
OTHER_VISUAL = RNG.normal(size=(10, 16))


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def ready_video(owner, title: str, visual: np.ndarray, audio: np.ndarray | None, *, lines=()) -> Video:
    video = Video.objects.create(
        owner=owner,
        title=title,
        status=Video.Status.READY,
        duration=2.0 * len(visual),
        storage_key=f"videos/{title}.mp4",
        backends={"clips": "local"},
    )
    ClipEmbedding.objects.bulk_create(
        ClipEmbedding(
            video=video,
            index=index,
            start=2.0 * index,
            end=2.0 * index + 2,
            backend="local",
            visual=unit(visual)[index],
            audio=None if audio is None else unit(audio)[index],
        )
        for index in range(len(visual))
    )
    if lines:
        transcript = Transcript.objects.create(video=video, source=Transcript.Source.SIDECAR)
        TranscriptSegment.objects.bulk_create(
            TranscriptSegment(transcript=transcript, index=i, start=start, end=end, text=text)
            for i, (start, end, text) in enumerate(lines)
        )
    return video


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
    assert stored.word_diff is not None and stored.word_diff["removed"][0] == [6.0, 10.0, ["kitchen"]]


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
