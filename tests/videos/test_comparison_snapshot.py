"""What a user and a client see of a comparison, pinned: for pairs of the corpus that together make
every kind of finding engine 3 reports, the comparison is asked for as a client asks (`POST
/api/v1/comparisons`), then read back as each reader gets it — the API's JSON, the CSV and JSON
reports, the markers (EDL, FCPXML, CSV) on both sides and the page's differences, counts, summary
and alignment — and the whole compared with the snapshot committed beside this file; the JSON
also against the committed API schema, the FCPXML against Final Cut's DTD.

It is the guard for work on the engine that must change nothing a user sees (a speed-up, a new
layout): a difference fails here. When a change to what users see is intended and said (in the
commit and the issue), `pytest tests/videos/test_comparison_snapshot.py --snapshot-update` writes
the new snapshot, to be reviewed like code.

What legitimately varies is taken out: ids (in fields, file names and the markers' titles and
uids) and timestamps; floats are rounded to 3 decimals. The real-footage pairs need the public
media (SAGE_BENCH_MEDIA) and skip without it; every file is rendered once into the corpus caches
bench/accuracy.py uses (by a hash of the code that renders it)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import pytest
import yaml
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from lxml import etree
from lxml import html as lxml_html
from openapi_schema_validator import OAS30Validator
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from sage.synthetic_media.corpus import case_named, render_case
from sage.synthetic_media.real_footage import REAL_CASES, render_real_case
from sage.synthetic_media.real_footage.sources import missing_media
from tests.factories import TranscriptFactory, UserFactory, VideoFactory
from tests.videos.test_marker_formats import DTD
from videos.models import Video, VideoFingerprint
from videos.pipeline.steps import embed_and_store_clips
from videos.screen_text import stage as screen_text_stage
from videos.screen_text.stage import screen_text_read
from videos.screen_text.tracking import ShownLine

pytestmark = pytest.mark.django_db

PLACES = 3
COMMITTED_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
Line = tuple[float, float, str]


@dataclass(frozen=True)
class Pair:
    """Two files of the corpus and how they are compared: `lines_*` a sidecar transcript each (the
    words on the page), `screen_*` what the screen reader gives for each (the screen-text stage
    runs on both first, storing them)."""

    files: Callable[[], tuple[Path, Path]]
    real: bool = False
    alignment: str = "cuts"
    lines_a: list[Line] = field(default_factory=list)
    lines_b: list[Line] = field(default_factory=list)
    screen_a: list[ShownLine] | None = None
    screen_b: list[ShownLine] | None = None


def real(name: str) -> Callable[[], tuple[Path, Path]]:
    [case] = [case for case in REAL_CASES if case.name == name]
    return lambda: render_real_case(case)


def synthetic(name: str) -> Callable[[], tuple[Path, Path]]:
    return lambda: render_case(case_named(name))


# Said over real footage: the same words but where B's stretch (11.6–16 s) was replaced, or cut
# (6.1–9.4 s on A) and inserted (16.4–19.1 s on B).
SAID_A = [(1.0, 5.0, "the morning light comes in"), (6.0, 10.0, "people pass by the window")]
REPLACED_A = [*SAID_A, (11.8, 15.8, "a cup of coffee on the table"), (17.0, 22.0, "and the day goes on")]
REPLACED_B = [*SAID_A, (11.8, 15.8, "a street with cars going past"), (17.0, 22.0, "and the day goes on")]
CUT_A = [(1.0, 5.0, "the morning light comes in"), (6.3, 9.2, "this part was cut out"), (12.0, 15.0, "it stays")]
CUT_B = [(1.0, 5.0, "the morning light comes in"), (8.9, 11.9, "it stays"), (16.6, 18.9, "this part is new")]
# A title and a lower third as the reader gives them (reading the screen itself is
# test_compare_text.py's; the OCR model is not what this guards): B opens 2.3 s later and its lower
# third reads NEWS 42 where A's reads NEWS 24.
TITLE, LOWER_THIRD = (0.1, 0.08, 0.6, 0.08), (0.06, 0.78, 0.3, 0.06)
SCREEN_A = [ShownLine(0.5, 20.0, "Morning briefing", TITLE, 0.97), ShownLine(3.0, 9.0, "NEWS 24", LOWER_THIRD, 0.95)]
SCREEN_B = [ShownLine(2.8, 22.3, "Morning briefing", TITLE, 0.96), ShownLine(5.3, 11.3, "NEWS 42", LOWER_THIRD, 0.94)]

PAIRS: dict[str, Pair] = {
    # `both`, replaced in place, with the words said there changed.
    "real_replaced_in_place": Pair(real("real_replaced_in_place"), True, lines_a=REPLACED_A, lines_b=REPLACED_B),
    # `only_a` and `only_b`, each with its words.
    "real_cut_and_insertion": Pair(real("real_cut_and_insertion"), True, lines_a=CUT_A, lines_b=CUT_B),
    "real_one_stretch_moved": Pair(real("real_one_stretch_moved"), True),  # `moved`
    "real_sound_drift_60ms_per_min": Pair(real("real_sound_drift_60ms_per_min"), True),  # `av_sync` with a drift
    "real_section_1_5x": Pair(real("real_section_1_5x"), True),  # `speed`
    # A lead-in (`only_b`) on the `offset` alignment, and `text`.
    "real_offset_start_text": Pair(
        real("real_offset_start"), True, alignment="offset", screen_a=SCREEN_A, screen_b=SCREEN_B
    ),
    "quick_grade": Pair(synthetic("quick_grade")),  # `visual`
    "quick_music_swap": Pair(synthetic("quick_music_swap")),  # `audio`
}


@pytest.fixture(scope="module")
def comparison_schema() -> OAS30Validator:
    """The committed API contract's comparison (test_api_schema_snapshot.py keeps it the code's)."""
    components = yaml.safe_load(COMMITTED_SCHEMA.read_text())["components"]
    return OAS30Validator({"$ref": "#/components/schemas/ComparisonOutput", "components": components})


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def uploaded(owner: Any, path: Path, title: str, lines: list[Line]) -> Video:
    """A ready upload of `path` as the pipeline leaves it: clips and fingerprint, its duration and
    frame rate, and `lines` as a sidecar transcript."""
    key = default_storage.save(f"videos/{title}/original{path.suffix}", path.open("rb"))
    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate
    assert rate is not None
    video = VideoFactory(owner=owner, title=title, status=Video.Status.READY, storage_key=key, fps=float(rate))
    embed_and_store_clips(video, Path(default_storage.path(key)))
    video.duration = VideoFingerprint.objects.get(video=video).duration
    video.save(update_fields=["duration"])
    if lines:
        TranscriptFactory(video=video, lines=lines)
    return video


# --- what varies from run to run -------------------------------------------------------------------


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, PLACES)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def without_ids(data: dict[str, Any]) -> dict[str, Any]:
    data = {**data, "id": "<id>", "created_at": "<time>", "updated_at": "<time>"}
    data["video_a"] = {**data["video_a"], "id": "<id>"}
    data["video_b"] = {**data["video_b"], "id": "<id>"}
    return rounded(data)


def text_without_ids(text: str, comparison_id: int) -> list[str]:
    """A file's lines with the comparison's id and the uid made from it taken out."""
    text = re.sub(rf"\bcomparison([ -]){comparison_id}\b", r"comparison\1<id>", text)
    text = re.sub(r'uid="[0-9A-F-]{36}"', 'uid="<uid>"', text)
    return text.splitlines()


def csv_rows(text: str) -> list[str]:
    """Each row, its numbers rounded (a row a line in the snapshot, as a spreadsheet shows it)."""

    def cell(value: str) -> str:
        try:
            return repr(round(float(value), PLACES)) if re.fullmatch(r"-?\d+\.\d+", value) else value
        except ValueError:
            return value

    return [",".join(cell(value) for value in row) for row in csv.reader(io.StringIO(text))]


def download(client: Client, url: str, comparison_id: int) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {
        "content_type": response["Content-Type"],
        "file_name": response["Content-Disposition"].replace(str(comparison_id), "<id>"),
        "lines": text_without_ids(response.content.decode(), comparison_id),
    }


def page_parts(page: str) -> dict[str, Any]:
    """What the comparison page says in words (server-rendered): counts, each difference, the
    summary and the alignment."""
    tree = lxml_html.fromstring(page)

    def said(element: Any) -> str:
        return " ".join(element.text_content().split())

    [counts] = tree.xpath("//*[@data-field='counts']")
    [summary] = tree.xpath("//*[@data-field='summary']")
    return {
        "counts": said(counts),
        "differences": [said(item) for item in tree.xpath("//ol[@data-differences]/li")],
        "summary": said(summary),
        "alignment": [said(section) for section in tree.xpath("//section[contains(@class, 'compare-alignment')]")],
    }


# --- the snapshot ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PAIRS))
def test_what_users_see_of_a_comparison_is_what_the_snapshot_holds(
    name: str,
    snapshot_json: SnapshotAssertion,
    comparison_schema: OAS30Validator,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pair = PAIRS[name]
    if pair.real and (missing := missing_media()):
        pytest.skip("the real footage and speech are not in the public media folder: " + missing[0])
    path_a, path_b = pair.files()
    owner = UserFactory()
    video_a = uploaded(owner, path_a, "A", pair.lines_a)
    video_b = uploaded(owner, path_b, "B", pair.lines_b)
    for video, shown in ((video_a, pair.screen_a), (video_b, pair.screen_b)):
        if shown is not None:
            monkeypatch.setattr(screen_text_stage, "read_screen", lambda *args, shown=shown, **kwargs: shown)
            screen_text_read(video.pk)
    client = Client()
    client.force_login(owner)

    # As a client asks; what the request queues (verifying, a summary) runs as a worker would.
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            reverse("api-comparisons"),
            {"video_a": video_a.pk, "video_b": video_b.pk, "alignment": pair.alignment},
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    comparison_id = created.json()["id"]
    api = f"/api/v1/comparisons/{comparison_id}"

    detail = client.get(api).json()
    comparison_schema.validate(detail)
    # The JSON report is the API's comparison with the reviewers' comments (none here) added.
    report = client.get(f"{api}/export.json").json()
    assert without_ids(report) == {**without_ids(detail), "comments": []}

    seen = {
        "api": without_ids(detail),
        "export_csv": csv_rows(client.get(f"{api}/export.csv").content.decode()),
        "markers": {
            f"{side}.{file_type}": download(client, f"{api}/markers.{file_type}?side={side}", comparison_id)
            for side in ("a", "b")
            for file_type in ("edl", "fcpxml", "csv")
        },
        "page": page_parts(client.get(f"/compare/{comparison_id}/").content.decode()),
    }
    assert seen == snapshot_json
    # The marker files still open where they did: Final Cut's DTD for the FCPXML.
    for side in ("a", "b"):
        fcpxml = etree.fromstring(client.get(f"{api}/markers.fcpxml?side={side}").content)
        assert DTD.validate(fcpxml), DTD.error_log.filter_from_errors()
