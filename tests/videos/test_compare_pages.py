"""The comparison pages: `/compare/` offers only my comparable videos and makes a comparison (or
says why it cannot), `/compare/<id>/` is mine alone and works read-only before JavaScript runs.

Clip vectors are synthetic (unit vectors with a known replaced stretch): what the engine finds in
real videos is tests/videos/test_compare_media.py's; the page in a browser is
tests/browser/test_compare_page.py's."""

from __future__ import annotations

import json
import re
from html import unescape

import numpy as np
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import ComparisonFactory, UserFactory, VideoFactory
from videos.compare.services import comparison_create, describe
from videos.compare.views import slider_bounds
from videos.models import Comparison, Video

pytestmark = pytest.mark.django_db

PICKER = "/compare/"
RNG = np.random.default_rng(11)
BASE_VISUAL = RNG.normal(size=(8, 12))
BASE_AUDIO = RNG.normal(size=(8, 6))
OTHER_VISUAL = RNG.normal(size=(8, 12))


def comparable_video(
    owner,
    title: str,
    visual: np.ndarray = BASE_VISUAL,
    *,
    backend: str = "local",
    lines: tuple[tuple[float, float, str], ...] = (),
    **fields,
) -> Video:
    """A ready upload with 2-second clip vectors, as the pipeline leaves one."""
    return VideoFactory(
        owner=owner,
        title=title,
        status=Video.Status.READY,
        duration=2.0 * len(visual),
        fps=15.0,
        storage_key=f"videos/{title}.mp4",
        backends={"clips": backend},
        with_clips=visual,
        with_clips__audio=BASE_AUDIO,
        with_clips__backend=backend,
        with_transcript=lines,
        **fields,
    )


def edited_visual() -> np.ndarray:
    """BASE_VISUAL with clips 2–3 (4–8 s) replaced."""
    edited = BASE_VISUAL.copy()
    edited[2:4] = OTHER_VISUAL[2:4]
    return edited


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def offered_titles(html: str) -> list[str]:
    return [unescape(title) for title in re.findall(r'<h2 class="video-card-title">([^<]*)</h2>', html)]


def page_text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def embedded_json(html: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no #{element_id} on the page"
    return json.loads(found.group(1))


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def pair(owner) -> tuple[Video, Video]:
    words_a = ((0.0, 4.0, "we open the door"), (4.0, 8.0, "this is the kitchen"), (8.0, 16.0, "and the garden"))
    words_b = ((0.0, 4.0, "we open the door"), (4.0, 8.0, "this is the garage"), (8.0, 16.0, "and the garden"))
    original = comparable_video(owner, "Original cut", lines=words_a)
    edited = comparable_video(owner, "Edited cut", edited_visual(), lines=words_b)
    return original, edited


def post_comparison(client: Client, a: Video, b: Video, **extra: str):
    return client.post(PICKER, {"video_a": a.pk, "video_b": b.pk, "metric": "cosine", "alignment": "cuts", **extra})


# --- the picker --------------------------------------------------------------------------------------


def test_the_picker_offers_only_my_ready_uploads_with_clip_analysis(owner, pair) -> None:
    comparable_video(UserFactory(), "Someone else's video")
    VideoFactory(owner=owner, title="Still processing", status=Video.Status.PROCESSING)
    VideoFactory(owner=owner, title="Ready without clips", status=Video.Status.READY, duration=5.0)
    VideoFactory(
        owner=owner,
        title="A YouTube talk",
        source=Video.Source.YOUTUBE,
        youtube_id="dQw4w9WgXcQ",
        status=Video.Status.READY,
        backends={"clips": "local"},
    )

    response = client_for(owner).get(PICKER)

    assert response.status_code == 200
    html = response.content.decode()
    assert sorted(offered_titles(html)) == ["Edited cut", "Original cut"]
    assert "YouTube videos cannot be compared" in page_text(html)
    # Each offered video can be chosen as A or as B.
    original, _ = pair
    assert f'name="video_a" value="{original.pk}"' in html
    assert f'name="video_b" value="{original.pk}"' in html


def test_the_picker_says_what_is_missing_when_nothing_can_be_compared(owner) -> None:
    response = client_for(owner).get(PICKER)

    text = page_text(response.content.decode())
    assert "You have no video that can be compared yet" in text
    assert "None yet." in text  # no past comparisons either


def test_a_link_with_a_video_preselects_it_as_a(owner, pair) -> None:
    _, edited = pair

    html = client_for(owner).get(PICKER, {"a": edited.pk}).content.decode()

    assert re.findall(r'name="(video_[ab])" value="(\d+)" checked', html) == [("video_a", str(edited.pk))]


def test_submitting_two_videos_makes_the_comparison_and_opens_it(owner, pair) -> None:
    original, edited = pair
    client = client_for(owner)

    response = post_comparison(client, original, edited)

    comparison = Comparison.objects.get(owner=owner)
    assert response.status_code == 302
    assert response["Location"] == f"/compare/{comparison.pk}/"
    assert (comparison.video_a, comparison.video_b, comparison.alignment) == (original, edited, "cuts")
    # The same two videos with the same settings open the stored comparison again.
    again = post_comparison(client, original, edited)
    assert again["Location"] == f"/compare/{comparison.pk}/"
    assert Comparison.objects.filter(owner=owner).count() == 1
    # Another alignment is another comparison.
    offset = post_comparison(client, original, edited, alignment="offset")
    assert Comparison.objects.filter(owner=owner).count() == 2
    assert offset["Location"] != response["Location"]


def test_a_refusal_from_the_service_is_shown_on_the_form(owner, pair) -> None:
    original, _ = pair
    analysed_elsewhere = comparable_video(owner, "Marengo copy", backend="twelvelabs")

    response = post_comparison(client_for(owner), original, analysed_elsewhere)

    assert response.status_code == 400
    assert "analysed by different backends" in page_text(response.content.decode())
    assert not Comparison.objects.exists()


def test_the_same_video_twice_is_refused_with_a_message(owner, pair) -> None:
    original, _ = pair

    response = post_comparison(client_for(owner), original, original)

    assert response.status_code == 400
    assert "Choose two different videos." in page_text(response.content.decode())
    assert not Comparison.objects.exists()


def test_another_persons_video_cannot_be_chosen(owner, pair) -> None:
    original, _ = pair
    theirs = comparable_video(UserFactory(), "Their video")

    response = post_comparison(client_for(owner), original, theirs)

    assert response.status_code == 400
    assert "Video B cannot be compared" in page_text(response.content.decode())
    assert not Comparison.objects.exists()


def test_missing_choices_are_named(owner, pair) -> None:
    response = client_for(owner).post(PICKER, {"metric": "cosine", "alignment": "cuts"})

    text = page_text(response.content.decode())
    assert response.status_code == 400
    assert "Choose video A." in text and "Choose video B." in text


def test_past_comparisons_are_listed_newest_first(owner, pair) -> None:
    original, edited = pair
    older, _ = comparison_create(user=owner, video_a=original, video_b=edited, alignment="none")
    newer, _ = comparison_create(user=owner, video_a=edited, video_b=original, alignment="none")

    html = client_for(owner).get(PICKER).content.decode()

    links = re.findall(r'href="/compare/(\d+)/"', html)
    assert links == [str(newer.pk), str(older.pk)]


def test_the_picker_reads_a_fixed_number_of_queries_whatever_the_number_of_videos(owner, pair) -> None:
    original, edited = pair
    comparison_create(user=owner, video_a=original, video_b=edited, alignment="none")
    client = client_for(owner)
    with CaptureQueriesContext(connection) as few:
        client.get(PICKER)
    for number in range(4):
        extra = comparable_video(owner, f"More {number}")
        comparison_create(user=owner, video_a=original, video_b=extra, alignment="none")

    with CaptureQueriesContext(connection) as many:
        response = client.get(PICKER)

    assert len(offered_titles(response.content.decode())) == 6
    assert len(many) == len(few)


# --- the comparison page -----------------------------------------------------------------------------


def test_the_comparison_page_lists_the_differences_and_embeds_the_payload(owner) -> None:
    comparison = ComparisonFactory(
        refined=True, owner=owner, alignment="none", word_changes={"1": {"removed": ["kitchen"], "added": ["garage"]}}
    )
    original, edited = comparison.video_a, comparison.video_b

    response = client_for(owner).get(f"/compare/{comparison.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    text = page_text(html)
    # Read-only without JavaScript: both players, the difference with its times and words, the summary.
    assert f'src="/videos/{original.pk}/file"' in html and f'src="/videos/{edited.pk}/file"' in html
    assert "4 differences: 1 picture, 1 picture and sound, 2 only in B." in text
    assert "A 00:04.2–00:06.9 B 00:05.6–00:08.3 A says kitchen B says garage" in text
    assert describe(comparison) in text
    assert f'href="/api/v1/comparisons/{comparison.pk}/export.json"' in html
    assert f'href="/api/v1/comparisons/{comparison.pk}/export.csv"' in html
    # compare.js starts from the API's own payload and the players' details, with no request.
    data = embedded_json(html, "compare-data")
    assert data["id"] == comparison.pk
    assert [segment["kind"] for segment in data["segments"]] == ["only_b", "visual", "only_b", "both"]
    assert data["curve"]["a_time"]
    config = embedded_json(html, "compare-config")
    assert config["api_url"] == f"/api/v1/comparisons/{comparison.pk}"
    assert (config["a"]["fps"], config["b"]["duration"]) == (25.0, 23.4)
    # The metric and alignment form posts the same two videos to the picker.
    assert f'name="video_a" value="{original.pk}"' in html
    assert re.search(r'name="alignment" value="none"[^>]*checked', html)


def test_the_threshold_slider_covers_the_change_score_and_a_kept_threshold_past_it(owner) -> None:
    assert slider_bounds(ComparisonFactory(refined=True, owner=owner)) == (1.0, 0.01)
    upper, step = slider_bounds(ComparisonFactory(refined=True, owner=owner, threshold=2.5))
    assert upper == pytest.approx(2.5) and step == 0.01


def test_another_persons_comparison_is_not_found(owner, pair) -> None:
    original, edited = pair
    comparison, _ = comparison_create(user=owner, video_a=original, video_b=edited)

    response = client_for(UserFactory()).get(f"/compare/{comparison.pk}/")

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(owner, pair) -> None:
    original, edited = pair
    comparison, _ = comparison_create(user=owner, video_a=original, video_b=edited)
    anonymous = Client()

    for path in (PICKER, f"/compare/{comparison.pk}/"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert anonymous.post(PICKER, {"video_a": original.pk, "video_b": edited.pk}).status_code == 302
    assert Comparison.objects.count() == 1


def test_the_navigation_links_to_compare(owner) -> None:
    html = client_for(owner).get(PICKER).content.decode()

    assert re.search(r'<a href="/compare/" aria-current="page">Compare</a>', html)


def test_a_ready_uploads_page_offers_to_compare_it_and_a_youtube_video_does_not(owner, pair) -> None:
    a, _ = pair
    youtube = VideoFactory(
        owner=owner, title="tube", source=Video.Source.YOUTUBE, youtube_id="dQw4w9WgXcQ", status=Video.Status.READY
    )
    client = client_for(owner)

    assert f"/compare/?a={a.pk}" in client.get(f"/videos/{a.pk}/").content.decode()
    assert "/compare/?a=" not in client.get(f"/videos/{youtube.pk}/").content.decode()


# --- a refined comparison (engine 2) -----------------------------------------------------------------
#
# Rows made by ComparisonFactory(refined=True) as the refined engine stores them: B has 1.4 s more
# lead-in and 2 s inserted at A's 9.6 s (tests/factories.py).


def test_a_refined_comparison_states_its_offset_and_lists_its_matched_spans(owner) -> None:
    comparison = ComparisonFactory(refined=True, owner=owner)

    html = client_for(owner).get(f"/compare/{comparison.pk}/").content.decode()

    text = page_text(html)
    assert re.search(r'<span class="compare-offset" data-field="offset">B starts 1.4 s later</span>', html)
    assert "Refined to the frame" in text and "Cosine distance" not in text
    # The alignment, readable without JavaScript: the offset, then each span, A beside B, to 0.1 s.
    assert "B starts 1.4 s later. 2 stretches match, in order:" in text
    assert "A 00:00.0–00:09.6 ↔ is B 00:01.4–00:11.0" in text
    assert "A 00:09.6–00:20.0 ↔ is B 00:13.0–00:23.4" in text
    # The differences at the new precision (stored 4.237–6.937 s on A).
    assert "A 00:04.2–00:06.9 B 00:05.6–00:08.3" in text
    assert "A at 00:09.6 B 00:11.0–00:13.0" in text
    assert "A 00:15.0–00:17.5 B 00:18.4–00:20.9" in text
    assert "4 differences: 1 picture, 1 picture and sound, 2 only in B." in text
    # The threshold is the engine's 0–1 change score, in hundredths.
    assert "A stretch differs where its picture or sound change (0 to 1) passes the threshold." in text
    assert re.search(r'id="compare-threshold" min="0" max="1" step="0.01" value="0.15"', html)
    # compare.js gets the spans with the payload, to drive the players through them.
    data = embedded_json(html, "compare-data")
    assert (data["engine"], data["offset"]) == (3, 1.4)
    assert data["matched_spans"][1] == {"a_start": 9.6, "a_end": 20.0, "b_start": 13.0, "b_end": 23.4}
    # Another distance would be the same comparison: only the alignment is offered.
    assert 'type="hidden" name="metric" value="cosine"' in html
    assert 'name="metric" value="euclidean"' not in html


@pytest.mark.parametrize(
    ("offset", "said"),
    [(-1.26, "A starts 1.3 s later"), (3.37, "B starts 3.4 s later"), (0.04, ""), (-0.049, ""), (None, "")],
)
def test_the_offset_is_said_when_one_video_starts_later(owner, offset: float | None, said: str) -> None:
    comparison = ComparisonFactory(refined=True, owner=owner, offset=offset)

    html = client_for(owner).get(f"/compare/{comparison.pk}/").content.decode()

    stated = re.search(r'data-field="offset">([^<]*)<', html)
    assert (stated.group(1) if stated else "") == said


def only(kind: str, start: float, end: float, point: float) -> dict:
    """An "only in A" / "only in B" segment as engine 2 stores it: `start`–`end` on that video,
    sitting at `point` on the other."""
    on, other = ("a", "b") if kind == "only_a" else ("b", "a")
    return {
        "kind": kind, f"{on}_start": start, f"{on}_end": end, f"{other}_start": point, f"{other}_end": point,
        "peak": None, "mean": None, "severity": None, "picture": None, "sound": None,
    }  # fmt: skip


def test_the_summary_and_the_list_give_a_moment_the_same_tenth_of_a_second(owner) -> None:
    # B's extra stretch starts at 19.96 s: the summary must not say 00:19 where the list says 00:20.0.
    comparison = ComparisonFactory(
        refined=True, owner=owner, segments=[only("only_b", 19.96, 26.04, 19.96)], counts={"only_b": 1}, measured=[]
    )
    comparison.summary = describe(comparison)
    comparison.save(update_fields=["summary"])

    text = page_text(client_for(owner).get(f"/compare/{comparison.pk}/").content.decode())

    assert "A at 00:20.0 B 00:20.0–00:26.0" in text
    assert "[00:20.0]–[00:26.0] is only in B." in text


def test_a_summary_written_before_times_had_tenths_reads_as_the_list_does(owner) -> None:
    comparison = ComparisonFactory(
        refined=True,
        owner=owner,
        segments=[only("only_b", 19.96, 26.04, 19.96)],
        counts={"only_b": 1},
        measured=[],
        summary="1 difference (1 only in B). [00:19]–[00:26] is only in B.",
        summary_backend="extractive",
    )

    html = client_for(owner).get(f"/compare/{comparison.pk}/").content.decode()

    assert "[00:20.0]–[00:26.0] is only in B." in page_text(html)
    assert "[00:19]" not in html


def test_a_summary_written_by_gemini_is_shown_as_written(owner) -> None:
    written = "B adds a break at about twenty seconds."
    comparison = ComparisonFactory(refined=True, owner=owner, summary=written, summary_backend="gemini")

    html = client_for(owner).get(f"/compare/{comparison.pk}/").content.decode()

    assert written in page_text(html)


@pytest.mark.parametrize(
    ("query", "start"),
    [
        ("a=4.3", {"side": "a", "time": 4.3}),
        ("b=0:12.5", {"side": "b", "time": 12.5}),
        ("t=4.3", {"side": "a", "time": 4.3}),  # the older name: A's time, as it always was
        ("tb=12.5", {"side": "b", "time": 12.5}),
        ("a=99", {"side": "a", "time": 20.0}),  # kept inside A
        ("b=soon", None),
    ],
)
def test_a_link_to_a_moment_names_the_video_whose_time_it_gives(owner, query: str, start: dict | None) -> None:
    comparison = ComparisonFactory(refined=True, owner=owner)

    html = client_for(owner).get(f"/compare/{comparison.pk}/?{query}").content.decode()

    assert embedded_json(html, "compare-config")["start"] == start


def test_a_refined_comparison_with_nothing_matched_says_so(owner) -> None:
    comparison = ComparisonFactory(
        refined=True,
        owner=owner,
        offset=None,
        matched_spans=[],
        measured=[],
        segments=[only("only_a", 0.0, 20.0, 0.0), only("only_b", 0.0, 23.4, 0.0)],
        counts={"only_a": 1, "only_b": 1},
        similarity=0.0,
    )

    response = client_for(owner).get(f"/compare/{comparison.pk}/")

    text = page_text(response.content.decode())
    assert response.status_code == 200
    assert "No stretch of A was found in B" in text
    assert "A 00:00.0–00:20.0 B at 00:00.0" in text


def test_another_persons_refined_comparison_page_is_not_found(owner) -> None:
    comparison = ComparisonFactory(refined=True, owner=owner)

    assert client_for(UserFactory()).get(f"/compare/{comparison.pk}/").status_code == 404


def test_past_comparisons_say_their_similarity_or_that_they_are_being_recomputed(owner, pair) -> None:
    original, edited = pair
    comparison_create(user=owner, video_a=original, video_b=edited, alignment="none")  # no fingerprints: unmade
    ComparisonFactory(refined=True, owner=owner)

    text = page_text(client_for(owner).get(PICKER).content.decode())

    assert "% similar · Cuts (insertions and removals)" in text
    assert "Being recomputed · None (clip by clip)" in text
