"""Engine 3's findings made readable: a move, A/V sync, a speed change, changed text on screen and a
stretch replaced in place, in the page's list (server-rendered), the written summary, the API and the
marker exports.

The rows are the factory's refined comparison (A 20 s, B 23.4 s, B 1.4 s later, 2 s inserted at A's
9.6 s) with findings stored as the engine stores them; what the engine finds in videos is tested
beside each finder (test_compare_sync.py, test_compare_speed.py, test_compare_moves.py,
test_compare_text.py). The timeline in a browser is tests/browser/test_compare_findings.py's."""

from __future__ import annotations

import copy
import csv
import io
import re
from collections import Counter
from html import unescape
from typing import Any

import opentimelineio as otio
import pytest
from django.test import Client
from django.urls import reverse

from devtools.comparisons import REFINED_SEGMENTS
from tests.factories import ComparisonFactory, owner_actor
from tests.gemini_stub import gemini_stub_fixture  # noqa: F401 -- the `gemini_stub` fixture
from videos.compare.finding_words import finding_sentence
from videos.compare.markers import comparison_markers_file
from videos.compare.services import comparison_summarize_with_gemini, describe
from videos.models import Comparison

pytestmark = pytest.mark.django_db

NO_SCORES = {"peak": None, "mean": None, "severity": None, "picture": None, "sound": None}
SYNC = {"kind": "av_sync", "a_start": 0.0, "a_end": 20.0, "b_start": 1.4, "b_end": 23.4, "lag": 0.4, **NO_SCORES}
SPEED = {"kind": "speed", "a_start": 0.0, "a_end": 9.6, "b_start": 1.4, "b_end": 10.616, "ratio": 1.0417, **NO_SCORES}
TEXT = {
    "kind": "text", "a_start": 4.237, "a_end": 6.937, "b_start": 5.637, "b_end": 8.337,
    "text_a": "NEWS 24", "text_b": "NEWS 42", **NO_SCORES,
}  # fmt: skip
MOVED = {"kind": "moved", "a_start": 12.0, "a_end": 14.0, "b_start": 21.0, "b_end": 23.0, **NO_SCORES}
FINDINGS = [SYNC, SPEED, TEXT, MOVED]

SAID = {
    "av_sync": "B's sound is 0.40 s late from 00:01.4 to the end",
    "speed": "B runs 4.2 % fast from 00:01.4 to 00:10.6",
    "text": "Text on screen: A 'NEWS 24' → B 'NEWS 42'",
    "moved": "A 00:12.0–00:14.0 moved to B 00:21.0–00:23.0",
    "replaced": "A 00:15.0–00:17.5 replaced in place by B 00:18.4–00:20.9",
}


def by_position(segment: dict[str, Any]) -> tuple[float, float]:
    return (segment["a_start"] or 0.0, segment["b_start"] or 0.0)


def engine3_comparison(owner=None, findings: list[dict[str, Any]] = FINDINGS, **fields: Any) -> Comparison:
    """The factory's refined row as engine 3 stores it: its "both" a stretch replaced in place, and
    `findings` listed among its segments in order, counted, summarised."""
    segments = copy.deepcopy(REFINED_SEGMENTS)
    segments[3]["replaced"] = True
    segments = sorted(segments + copy.deepcopy(findings), key=by_position)
    counts = Counter(segment["kind"] for segment in segments)
    counts.update(segment["severity"] for segment in segments if segment["severity"])
    comparison = ComparisonFactory(
        refined=True,
        engine=3,
        segments=segments,
        findings=copy.deepcopy(findings),
        counts=dict(counts),
        **({"owner": owner} if owner else {}),
        **fields,
    )
    comparison.summary = describe(comparison)
    comparison.save(update_fields=["summary"])
    return comparison


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def page_of(comparison: Comparison, user=None) -> str:
    return client_for(user or comparison.owner).get(f"/compare/{comparison.pk}/").content.decode()


# --- the words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finding", "said"),
    [
        (
            {"kind": "av_sync", "b_start": 0.0, "b_end": 60.0, "lag": 0.4},
            "B's sound is 0.40 s late from 00:00.0 to the end",
        ),
        (
            {"kind": "av_sync", "b_start": 10.0, "b_end": 30.0, "lag": -0.12},
            "B's sound is 0.12 s early from 00:10.0 to 00:30.0",
        ),
        (
            {"kind": "av_sync", "b_start": 0.0, "b_end": 59.9, "lag": 0.0, "drift": 60.0},
            "B's sound drifts 60 ms per minute later from 00:00.0 to the end (in sync at 00:00.0)",
        ),
        (
            {"kind": "av_sync", "b_start": 5.0, "b_end": 20.0, "lag": 0.08, "drift": -30.0},
            "B's sound drifts 30 ms per minute earlier from 00:05.0 to 00:20.0 (0.08 s late at 00:05.0)",
        ),
        (
            {"kind": "speed", "b_start": 0.0, "b_end": 59.9, "ratio": 25 / 24},
            "B runs 4.2 % fast from 00:00.0 to the end",
        ),
        (
            {"kind": "speed", "b_start": 10.0, "b_end": 23.3, "ratio": 1.5},
            "B runs 50.0 % fast (1.50×) from 00:10.0 to 00:23.3",
        ),
        ({"kind": "speed", "b_start": 0.0, "b_end": 30.0, "ratio": 0.96}, "B runs 4.0 % slow from 00:00.0 to 00:30.0"),
        ({"kind": "text", "text_a": "", "text_b": "BREAKING"}, "Text on screen: A (none) → B 'BREAKING'"),
        (
            {"kind": "moved", "a_start": 36.6, "a_end": 41.6, "b_start": 31.6, "b_end": 36.6},
            "A 00:36.6–00:41.6 moved to B 00:31.6–00:36.6",
        ),
        ({"kind": "visual", "a_start": 1.0, "a_end": 2.0, "b_start": 1.0, "b_end": 2.0}, ""),
    ],
)
def test_each_finding_is_said_in_plain_words(finding: dict[str, Any], said: str) -> None:
    assert finding_sentence(finding, duration_b=60.0) == said


# --- the page ------------------------------------------------------------------------------------


def test_the_page_lists_each_finding_with_what_it_found() -> None:
    comparison = engine3_comparison()

    html = page_of(comparison)

    text = page_text(html)
    for sentence in SAID.values():
        assert sentence in text
    items = re.findall(r'<li class="difference difference-(\w+)".*?</li>', html, flags=re.S)
    assert items == ["only_b", "av_sync", "speed", "visual", "text", "only_b", "moved", "both"]
    for label in ("A/V sync", "Speed", "Text on screen", "Moved", "Replaced: picture and sound"):
        assert f"</span>{label}</span>" in html
    assert (
        "8 differences: 1 picture, 1 picture and sound, 2 only in B, 1 moved, 1 A/V sync, 1 speed, 1 text on screen."
        in text
    )
    # The legend says what the new marks are; a current comparison is not marked as older.
    assert "Moved (A's place and B's, joined)" in text and "A/V sync (its own row)" in text
    assert "older engine" not in text and "Compare again" not in text
    # compare.js names a replaced stretch as the list does.
    assert '"replaced": "Replaced: picture and sound"' in html


def test_the_summary_says_what_each_finding_found() -> None:
    comparison = engine3_comparison()

    summary = page_text(page_of(comparison)).split("Summary", 1)[1]

    assert summary.lstrip().startswith("8 differences (2 only in B, 1 A/V sync, 1 speed, 1 picture, 1 text on screen,")
    for sentence in SAID.values():
        assert f"{sentence}." in summary


def test_with_gemini_the_summary_prompt_explains_the_findings_and_carries_them(gemini_stub) -> None:
    comparison = engine3_comparison()
    gemini_stub.reply("B's sound runs 0.4 s late throughout.")

    assert comparison_summarize_with_gemini(comparison=comparison)

    prompt = gemini_stub.last.prompt
    # What each new kind and field means, then the findings themselves as data.
    assert "moved (A's a_start-a_end is shown at B's b_start-b_end, elsewhere)" in prompt
    assert "av_sync (B's sound is `lag` seconds late" in prompt and "speed (B plays `ratio` times" in prompt
    assert '"kind": "av_sync"' in prompt and '"lag": 0.4' in prompt and '"text_b": "NEWS 42"' in prompt
    assert Comparison.objects.get(pk=comparison.pk).summary == "B's sound runs 0.4 s late throughout."


def test_text_read_from_the_screen_is_shown_as_text_not_markup() -> None:
    shown = {**TEXT, "text_b": '<img src=x onerror="alert(1)">'}
    comparison = engine3_comparison(findings=[shown])

    html = page_of(comparison)

    assert "<img src=x" not in html
    assert "Text on screen: A 'NEWS 24' → B '<img src=x onerror=\"alert(1)\">'" in page_text(html)


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_gives_each_finding_with_its_own_fields(openapi) -> None:
    comparison = engine3_comparison()

    body = client_for(comparison.owner).get(reverse("api-comparison-detail", args=[comparison.pk])).json()

    assert (body["engine"], body["older_engine"]) == (3, None)
    found = {segment["kind"]: segment for segment in body["segments"]}
    assert found["av_sync"]["lag"] == 0.4 and "drift" not in found["av_sync"]
    assert found["speed"]["ratio"] == 1.0417
    assert (found["text"]["text_a"], found["text"]["text_b"]) == ("NEWS 24", "NEWS 42")
    assert (found["moved"]["a_start"], found["moved"]["b_start"]) == (12.0, 21.0)
    assert found["both"]["replaced"] is True
    # Fields a finding does not have are left out, not null.
    assert not {"lag", "ratio", "text_a", "replaced"} & set(found["visual"])
    conforms(openapi, "ComparisonOutput", body)


def test_a_current_comparison_is_not_made_again(django_capture_on_commit_callbacks) -> None:
    current = engine3_comparison()

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client_for(current.owner).post(reverse("api-comparison-compare-again", args=[current.pk]))

    assert response.status_code == 202 and queued == []


def test_the_csv_report_carries_each_finding_in_words_and_fields() -> None:
    comparison = engine3_comparison()

    response = client_for(comparison.owner).get(
        reverse("api-comparison-export", kwargs={"comparison_id": comparison.pk, "file_type": "csv"})
    )

    rows = [row for row in csv.DictReader(io.StringIO(response.content.decode())) if row["record"] == "segment"]
    said = {row["kind"]: row for row in rows}
    assert said["av_sync"]["says"] == SAID["av_sync"] and said["av_sync"]["lag"] == "0.4"
    assert said["speed"]["ratio"] == "1.0417"
    assert (said["text"]["text_a"], said["text"]["text_b"]) == ("NEWS 24", "NEWS 42")
    assert said["moved"]["says"] == SAID["moved"]
    assert said["visual"]["says"] == ""


# --- marker exports ----------------------------------------------------------------------------


def markers_on(comparison: Comparison, side: str) -> list[otio.schema.Marker]:
    fcpxml = comparison_markers_file(comparison, actor=owner_actor(comparison), side=side, file_type="fcpxml")  # type: ignore[arg-type]
    [clip] = otio.adapters.read_from_string(fcpxml, "fcpx_xml").find_clips()
    return list(clip.markers)


def test_marker_exports_name_each_finding_and_put_a_move_at_its_place_on_each_side() -> None:
    comparison = engine3_comparison()

    on_b = comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="csv")
    on_a = comparison_markers_file(comparison, actor=owner_actor(comparison), side="a", file_type="csv")

    rows_b = {row["name"].split(". ", 1)[1]: row for row in csv.DictReader(io.StringIO(on_b.removeprefix("\ufeff")))}
    rows_a = {row["name"].split(". ", 1)[1]: row for row in csv.DictReader(io.StringIO(on_a.removeprefix("\ufeff")))}
    # A move: where it is on B's timeline, where it was on A's.
    assert (rows_b["Moved here (from A)"]["start_seconds"], rows_b["Moved here (from A)"]["end_seconds"]) == (
        "21.0",
        "23.0",
    )
    assert (rows_a["Moved from here (to B)"]["start_seconds"], rows_a["Moved from here (to B)"]["end_seconds"]) == (
        "12.0",
        "14.0",
    )
    assert rows_b["Moved here (from A)"]["note"] == "A 00:12.0-00:14.0 moved to B 00:21.0-00:23.0"
    assert rows_b["Moved here (from A)"]["colour"] == "MAGENTA"
    assert rows_b["A/V sync"]["note"] == "B's sound is 0.40 s late from 00:01.4 to the end"
    assert rows_b["Speed"]["note"] == "B runs 4.2 % fast from 00:01.4 to 00:10.6"
    # ASCII in every marker file: an EDL's comment line is plain text.
    assert rows_b["Text on screen changed"]["note"] == "Text on screen: A 'NEWS 24' -> B 'NEWS 42'"
    assert (
        rows_b["Replaced: picture and sound (high)"]["note"]
        == "A 00:15.0-00:17.5 replaced in place by B 00:18.4-00:20.9"
    )
    edl = comparison_markers_file(comparison, actor=owner_actor(comparison), side="b", file_type="edl")
    assert "* COMMENT: A 00:12.0-00:14.0 moved to B 00:21.0-00:23.0\r\n" in edl
    assert " |C:ResolveColorFuchsia |M:" in edl
    assert "* COMMENT: Text on screen: A 'NEWS 24' -> B 'NEWS 42'\r\n" in edl
    # Final Cut gets the same names, one marker per difference on each side.
    assert len(markers_on(comparison, "b")) == len(markers_on(comparison, "a")) == len(comparison.segments)


def conforms(openapi: dict, component: str, instance: dict) -> None:
    from openapi_schema_validator import OAS30Validator

    schema = {"$ref": f"#/components/schemas/{component}", "components": openapi["components"]}
    OAS30Validator(schema).validate(instance)


@pytest.fixture
def openapi() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)
