"""Exports: Markdown with a link per note that opens the player there, and JSON; one video or all."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.factories import NoteFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db

YOUTUBE_ID = "dQw4w9WgXcQ"


@pytest.fixture
def library(user):
    bread = VideoFactory(owner=user, title="Bread at home", duration=4000.0, status=Video.Status.READY)
    NoteFactory(owner=user, video=bread, start=62.5, text="Knead for **ten** minutes")
    NoteFactory(owner=user, video=bread, start=5, end=12, text="Ingredients:\n- flour\n- water")
    NoteFactory(owner=user, video=bread, start=3605, text="Done", ai_generated=True, ai_status="done")
    NoteFactory(owner=user, video=bread, start=30, text="", ai_generated=True, ai_status="generating")
    NoteFactory(
        owner=user,
        video=bread,
        start=40,
        text="The AI note could not be written",
        ai_generated=True,
        ai_status="failed",
    )
    song = VideoFactory(
        owner=user,
        title="A song",
        source=Video.Source.YOUTUBE,
        youtube_id=YOUTUBE_ID,
        status=Video.Status.READY,
        duration=120.0,
    )
    NoteFactory(owner=user, video=song, start=42.9, text="The chorus")
    return bread, song


def test_a_videos_markdown_has_its_title_and_a_player_link_per_note(user, client_for, library) -> None:
    bread, _song = library

    response = client_for(user).get(f"/api/v1/videos/{bread.pk}/notes/export.md")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="notes-bread-at-home-{bread.pk}.md"'
    player = f"http://testserver/videos/{bread.pk}/"
    assert response.content.decode() == (
        "# Bread at home\n"
        "\n"
        f"- [00:05–00:12]({player}?t=5) Ingredients:\n"
        "  - flour\n"
        "  - water\n"
        f"- [01:02]({player}?t=62.5) Knead for **ten** minutes\n"
        f"- [1:00:05]({player}?t=3605) *(AI note)* Done\n"
    )


def test_a_youtube_videos_notes_link_to_our_player_and_to_youtube(user, client_for, library) -> None:
    _bread, song = library

    markdown = client_for(user).get(f"/api/v1/videos/{YOUTUBE_ID}/notes/export.md").content.decode()

    assert markdown == (
        "# A song\n\n"
        f"- [00:42](http://testserver/videos/{song.pk}/?t=42.9) "
        f"([YouTube](https://www.youtube.com/watch?v={YOUTUBE_ID}&t=42s)) The chorus\n"
    )


def test_a_videos_json_has_every_note_with_its_state_and_links(user, client_for, library) -> None:
    bread, _song = library

    response = client_for(user).get(f"/api/v1/videos/{bread.pk}/notes/export.json")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="notes-bread-at-home-{bread.pk}.json"'
    data = json.loads(response.content)
    (video,) = data["videos"]
    assert (video["id"], video["title"], video["source"]) == (bread.pk, "Bread at home", "upload")
    assert video["url"] == f"http://testserver/videos/{bread.pk}/"
    assert [note["start"] for note in video["notes"]] == [5, 30, 40, 62.5, 3605]
    assert [note["ai_status"] for note in video["notes"]] == ["", "generating", "failed", "", "done"]
    first = video["notes"][0]
    assert (first["end"], first["start_label"], first["end_label"]) == (12, "00:05", "00:12")
    assert first["url"] == f"http://testserver/videos/{bread.pk}/?t=5"
    assert "<li>flour</li>" in first["html"]
    assert data["exported_at"]


def test_all_my_notes_export_as_one_section_per_video(user, other_user, client_for, library) -> None:
    NoteFactory(
        owner=other_user,
        video=VideoFactory(owner=other_user, title="Theirs", status=Video.Status.READY, duration=120.0),
        start=1,
        text="not mine",
    )
    client = client_for(user)

    markdown = client.get("/api/v1/notes/export.md")
    assert markdown["Content-Disposition"] == 'attachment; filename="sage-notes.md"'
    text = markdown.content.decode()
    assert text.index("# A song") < text.index("# Bread at home")  # videos by title
    assert "The chorus" in text and "Knead for **ten** minutes" in text
    assert "not mine" not in text and "# Theirs" not in text

    data = json.loads(client.get("/api/v1/notes/export.json").content)
    assert [video["title"] for video in data["videos"]] == ["A song", "Bread at home"]
    assert data["videos"][0]["notes"][0]["youtube_url"] == f"https://www.youtube.com/watch?v={YOUTUBE_ID}&t=42s"
    assert sum(len(video["notes"]) for video in data["videos"]) == 6


def test_exports_with_no_notes_say_so(user, client_for) -> None:
    video = VideoFactory(owner=user, title="Empty", status=Video.Status.READY, duration=120.0)
    client = client_for(user)

    assert client.get(f"/api/v1/videos/{video.pk}/notes/export.md").content.decode() == "# Empty\n\n_No notes yet._\n"
    assert client.get("/api/v1/notes/export.md").content.decode() == "_No notes yet._\n"
    assert json.loads(client.get("/api/v1/notes/export.json").content)["videos"] == []


def test_the_pages_download_links_serve_the_same_files_to_the_signed_in_owner(user, other_user, library) -> None:
    bread, _song = library
    browser = Client()
    browser.force_login(user)

    video_file = browser.get(f"/notes/videos/{bread.pk}/export.md")
    all_file = browser.get("/notes/export.json")

    assert video_file.status_code == 200
    assert video_file.content.decode().startswith("# Bread at home\n")
    assert video_file["Content-Disposition"].startswith("attachment;")
    assert len(json.loads(all_file.content)["videos"]) == 2
    stranger = Client()
    stranger.force_login(other_user)
    assert stranger.get(f"/notes/videos/{bread.pk}/export.md").status_code == 404
    assert Client().get("/notes/export.md").status_code == 302  # to the sign-in page
