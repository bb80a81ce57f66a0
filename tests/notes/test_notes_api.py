"""The notes API: create, list, change, delete; times and validation; ownership; token scopes;
videos named by YouTube id or link."""

from __future__ import annotations

from urllib.parse import quote

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notes.models import Note
from tests.factories import NoteFactory, UserFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db

YOUTUBE_ID = "dQw4w9WgXcQ"


def notes_url(ref: object) -> str:
    return f"/api/v1/videos/{quote(str(ref), safe='')}/notes"


def note_url(note_id: int) -> str:
    return f"/api/v1/notes/{note_id}"


# --- create, read, change, delete -----------------------------------------------------------------


def test_a_note_is_created_with_every_field_of_the_contract(user, client_for) -> None:
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)

    response = client_for(user).post(notes_url(video.pk), {"start": "1:02.5", "text": "**Knead** well"}, format="json")

    assert response.status_code == 201, response.content
    note = response.json()
    assert set(note) == {
        "id", "video_id", "start", "frame", "end", "start_label", "end_label", "text", "html", "ai_generated",
        "ai_status", "frame_url", "created_at", "updated_at", "author_id", "author_name", "can_change",
    }  # fmt: skip
    assert note["video_id"] == video.pk
    assert note["can_change"] is True  # the policy's `note.change`: their own
    assert (note["author_id"], note["author_name"]) == (user.pk, user.name)
    assert (note["start"], note["end"], note["start_label"], note["end_label"]) == (62.5, None, "01:02", None)
    assert note["text"] == "**Knead** well"
    assert note["html"] == "<p><strong>Knead</strong> well</p>\n"
    assert (note["ai_generated"], note["ai_status"], note["frame_url"]) == (False, "", None)
    assert Note.objects.get(pk=note["id"]).owner == user


def test_a_range_note_has_an_end_and_its_label(user, client_for) -> None:
    video = VideoFactory(owner=user, duration=4000.0, title="Bread at home", status=Video.Status.READY)

    note = client_for(user).post(notes_url(video.pk), {"start": 59, "end": "1:00:01", "text": "Intro"}, format="json")

    assert note.status_code == 201
    assert (note.json()["end"], note.json()["end_label"], note.json()["start_label"]) == (3601.0, "1:00:01", "00:59")


def test_a_videos_notes_come_in_the_order_of_the_video(user, client_for) -> None:
    client = client_for(user)
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    for start, text in (("1:00", "third"), (5, "first"), ("0:30", "second")):
        client.post(notes_url(video.pk), {"start": start, "text": text}, format="json")
    elsewhere = VideoFactory(owner=user, title="Other", status=Video.Status.READY, duration=120.0)
    client.post(notes_url(elsewhere.pk), {"start": 1, "text": "not this video"}, format="json")

    listed = client.get(notes_url(video.pk))

    assert listed.status_code == 200
    assert [note["text"] for note in listed.json()] == ["first", "second", "third"]


def test_a_note_is_changed_field_by_field(user, client_for) -> None:
    client = client_for(user)
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    created = client.post(notes_url(video.pk), {"start": 10, "end": 20, "text": "draft"}, format="json").json()

    changed = client.patch(note_url(created["id"]), {"text": "final *words*"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["text"], changed.json()["start"], changed.json()["end"]) == ("final *words*", 10, 20)
    assert changed.json()["html"] == "<p>final <em>words</em></p>\n"

    moved = client.patch(note_url(created["id"]), {"start": "0:15", "end": None}, format="json")
    assert (moved.json()["start"], moved.json()["end"], moved.json()["text"]) == (15, None, "final *words*")
    assert client.get(note_url(created["id"])).json()["start"] == 15


def test_a_deleted_note_is_gone(user, client_for) -> None:
    client = client_for(user)
    note = client.post(
        notes_url(VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0).pk),
        {"start": 1, "text": "x"},
        format="json",
    ).json()

    assert client.delete(note_url(note["id"])).status_code == 204
    assert client.get(note_url(note["id"])).status_code == 404
    assert client.delete(note_url(note["id"])).status_code == 404
    assert not Note.objects.filter(pk=note["id"]).exists()


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"text": "no time"}, "start", "This field is required."),
        ({"start": "soon", "text": "x"}, "start", "Give the time as seconds (90 or 90.5), mm:ss (1:30) or hh:mm:ss"),
        ({"start": "1:75", "text": "x"}, "start", "Give the time as seconds"),
        ({"start": True, "text": "x"}, "start", "Give the time as seconds"),
        ({"start": -3, "text": "x"}, "start", "The time cannot be negative."),
        ({"start": "2:30", "text": "x"}, "start", "The video is 02:00 long: 02:30 is past its end."),
        ({"start": 10, "end": "3:00", "text": "x"}, "end", "The video is 02:00 long: 03:00 is past its end."),
        ({"start": 30, "end": 20, "text": "x"}, "end", "The end (00:20) is before the start (00:30)."),
        ({"start": 30, "end": "soon", "text": "x"}, "end", "Give the time as seconds"),
        ({"start": 1, "text": "x" * 10_001}, "text", "A note can be at most 10,000 characters."),
        ({"start": 1, "text": "nul \x00 inside"}, "text", "Null characters are not allowed."),
    ],
)
def test_bad_input_is_a_400_naming_the_field(user, client_for, body, field, message) -> None:
    video = VideoFactory(
        owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0
    )  # two minutes long

    response = client_for(user).post(notes_url(video.pk), body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert error["fields"][field][0].startswith(message)
    assert error["message"].startswith(f"{field}: ")
    assert not Note.objects.exists()


def test_empty_text_is_refused_when_ai_notes_are_off(client_for) -> None:
    user = UserFactory(ai_notes_enabled=False)

    response = client_for(user).post(
        notes_url(VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0).pk),
        {"start": 5, "text": "  "},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["text"] == [
        "Write something in the note (or turn on AI notes in your settings to have empty notes written)."
    ]


def test_the_end_of_a_youtube_video_is_not_enforced_as_its_length_is_a_guess(user, client_for) -> None:
    # A YouTube video's duration comes from the end of its captions, which may stop before it does.
    video = VideoFactory(
        owner=user,
        source=Video.Source.YOUTUBE,
        youtube_id=YOUTUBE_ID,
        duration=60.0,
        title="Bread at home",
        status=Video.Status.READY,
    )

    response = client_for(user).post(
        notes_url(video.pk), {"start": "1:30", "text": "after the captions"}, format="json"
    )

    assert response.status_code == 201


def test_a_time_a_hair_past_the_end_is_the_end(user, client_for) -> None:
    video = VideoFactory(owner=user, duration=6.0, title="Bread at home", status=Video.Status.READY)

    response = client_for(user).post(notes_url(video.pk), {"start": 6.2, "text": "last frame"}, format="json")

    assert response.json()["start"] == 6.0


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"start": 50}, "start", "The start (00:50) is after the end (00:40)."),
        ({"end": 5}, "end", "The end (00:05) is before the start (00:10)."),
        ({"start": 50, "end": 45}, "end", "The end (00:45) is before the start (00:50)."),
        ({"start": "9:99"}, "start", "Give the time as seconds"),
        ({"text": ""}, "text", "A note cannot be emptied; delete it instead."),
        ({"text": " \n "}, "text", "A note cannot be emptied; delete it instead."),
    ],
)
def test_a_change_that_breaks_the_note_is_a_400_naming_the_field(user, client_for, change, field, message) -> None:
    client = client_for(user)
    note = client.post(
        notes_url(VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0).pk),
        {"start": 10, "end": 40, "text": "x"},
        format="json",
    ).json()

    response = client.patch(note_url(note["id"]), change, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"][field][0].startswith(message)
    unchanged = Note.objects.get(pk=note["id"])
    assert (unchanged.start, unchanged.end, unchanged.text) == (10, 40, "x")


# --- ownership -----------------------------------------------------------------------------------


def test_another_users_notes_and_videos_are_404_everywhere(user, other_user, client_for) -> None:
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    note = client_for(user).post(notes_url(video.pk), {"start": 1, "text": "mine"}, format="json").json()
    intruder = client_for(other_user)

    assert intruder.get(notes_url(video.pk)).status_code == 404
    assert intruder.post(notes_url(video.pk), {"start": 1, "text": "theirs"}, format="json").status_code == 404
    assert intruder.get(note_url(note["id"])).status_code == 404
    assert intruder.patch(note_url(note["id"]), {"text": "changed"}, format="json").status_code == 404
    assert intruder.delete(note_url(note["id"])).status_code == 404
    assert intruder.get(f"{notes_url(video.pk)}/export.md").status_code == 404
    assert intruder.get("/api/v1/notes").json()["count"] == 0
    assert Note.objects.get(pk=note["id"]).text == "mine"
    assert Note.objects.count() == 1


def test_anonymous_requests_are_401(user) -> None:
    from rest_framework.test import APIClient

    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    assert APIClient().get(notes_url(video.pk)).status_code == 401
    assert APIClient().get("/api/v1/notes").status_code == 401


# --- token scopes ---------------------------------------------------------------------------------


def test_a_read_token_reads_but_cannot_write(user, token_client) -> None:
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    note = NoteFactory(owner=user, video=video, start=1, text="existing")
    reader = token_client(user, ["read"])

    assert reader.get(notes_url(video.pk)).status_code == 200
    assert reader.get("/api/v1/notes").status_code == 200
    assert reader.get(note_url(note.pk)).status_code == 200
    for response in (
        reader.post(notes_url(video.pk), {"start": 2, "text": "new"}, format="json"),
        reader.patch(note_url(note.pk), {"text": "changed"}, format="json"),
        reader.delete(note_url(note.pk)),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "This API token lacks the 'notes:write' scope."
    note.refresh_from_db()
    assert note.text == "existing"
    assert Note.objects.count() == 1


def test_a_notes_write_token_writes(user, token_client) -> None:
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    writer = token_client(user, ["notes:write"])

    created = writer.post(notes_url(video.pk), {"start": 2, "text": "from the extension"}, format="json")
    assert created.status_code == 201
    assert writer.patch(note_url(created.json()["id"]), {"text": "edited"}, format="json").status_code == 200
    assert writer.delete(note_url(created.json()["id"])).status_code == 204
    # Reading needs `read`: write-only tokens write blind.
    assert writer.get(notes_url(video.pk)).status_code == 403


def test_a_token_for_videos_cannot_write_notes(user, token_client) -> None:
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)

    response = token_client(user, ["read", "videos:write"]).post(
        notes_url(video.pk), {"start": 1, "text": "x"}, format="json"
    )

    assert response.status_code == 403
    assert not Note.objects.exists()


# --- videos named by YouTube id or link -------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        YOUTUBE_ID,
        f"https://www.youtube.com/watch?v={YOUTUBE_ID}&t=42s",
        f"https://youtu.be/{YOUTUBE_ID}?si=abc",
        f"https://www.youtube.com/shorts/{YOUTUBE_ID}",
        f"https:/www.youtube.com/watch?v={YOUTUBE_ID}",  # "//" merged into "/" by a proxy
    ],
)
def test_a_note_on_a_youtube_video_not_added_yet_adds_it(user, client_for, ref) -> None:
    client = client_for(user)

    response = client.post(notes_url(ref), {"start": "0:42", "text": "the chorus"}, format="json")

    assert response.status_code == 201, response.content
    video = Video.objects.get(owner=user)
    assert (video.source, video.youtube_id) == (Video.Source.YOUTUBE, YOUTUBE_ID)
    assert video.title == f"YouTube video {YOUTUBE_ID}"  # oEmbed is unreachable in tests
    assert response.json()["video_id"] == video.pk
    assert response.json()["frame_url"] is None  # no file of ours to take a still from
    assert [note["text"] for note in client.get(notes_url(video.pk)).json()] == ["the chorus"]


def test_every_form_of_a_youtube_link_names_the_same_video(user, client_for) -> None:
    client = client_for(user)
    client.post(notes_url(YOUTUBE_ID), {"start": 1, "text": "one"}, format="json")
    client.post(notes_url(f"https://youtu.be/{YOUTUBE_ID}"), {"start": 2, "text": "two"}, format="json")

    listed = client.get(notes_url(f"https://www.youtube.com/watch?v={YOUTUBE_ID}"))

    assert Video.objects.filter(owner=user).count() == 1
    assert [note["text"] for note in listed.json()] == ["one", "two"]


def test_reading_notes_of_a_youtube_video_not_added_is_empty_and_adds_nothing(user, client_for) -> None:
    response = client_for(user).get(notes_url(f"https://www.youtube.com/watch?v={YOUTUBE_ID}"))

    assert response.status_code == 200
    assert response.json() == []
    assert not Video.objects.exists()


def test_another_users_youtube_video_is_not_shared(user, other_user, client_for) -> None:
    client_for(other_user).post(notes_url(YOUTUBE_ID), {"start": 1, "text": "theirs"}, format="json")

    assert client_for(user).get(notes_url(YOUTUBE_ID)).json() == []
    mine = client_for(user).post(notes_url(YOUTUBE_ID), {"start": 1, "text": "mine"}, format="json")

    assert mine.status_code == 201
    assert Video.objects.filter(youtube_id=YOUTUBE_ID).count() == 2
    assert Video.objects.get(pk=mine.json()["video_id"]).owner == user


@pytest.mark.parametrize(
    "ref",
    [
        "https://vimeo.com/1234",
        "https://www.youtube.com/playlist?list=PL1234567890",
        "not a video",
        "12345678901234567890",
    ],
)
def test_a_ref_that_names_no_video_is_404_and_adds_nothing(user, client_for, ref) -> None:
    client = client_for(user)

    assert client.get(notes_url(ref)).status_code == 404
    response = client.post(notes_url(ref), {"start": 1, "text": "x"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Video.objects.exists()


def test_bad_input_on_a_new_youtube_video_adds_nothing(user, client_for) -> None:
    response = client_for(user).post(notes_url(YOUTUBE_ID), {"start": "later", "text": "x"}, format="json")

    assert response.status_code == 400
    assert not Video.objects.exists()


# --- all my notes ------------------------------------------------------------------------------


def test_all_my_notes_are_paginated_newest_first_and_searchable(user, other_user, client_for) -> None:
    client = client_for(user)
    bread, music = (
        VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0),
        VideoFactory(owner=user, title="Guitar lesson", status=Video.Status.READY, duration=120.0),
    )
    for video, text in ((bread, "Knead for ten minutes"), (music, "Tune the low E"), (bread, "Oven at 220")):
        client.post(notes_url(video.pk), {"start": 1, "text": text}, format="json")
    client_for(other_user).post(
        notes_url(VideoFactory(owner=other_user, title="Bread too", status=Video.Status.READY, duration=120.0).pk),
        {"start": 1, "text": "Knead"},
        format="json",
    )

    everything = client.get("/api/v1/notes").json()
    assert set(everything) == {"count", "next", "previous", "results"}
    assert everything["count"] == 3
    assert [note["text"] for note in everything["results"]] == [
        "Oven at 220",
        "Tune the low E",
        "Knead for ten minutes",
    ]

    assert [n["text"] for n in client.get("/api/v1/notes", {"q": "knead"}).json()["results"]] == [
        "Knead for ten minutes"
    ]
    by_title = client.get("/api/v1/notes", {"q": "bread"}).json()["results"]
    assert [note["text"] for note in by_title] == ["Oven at 220", "Knead for ten minutes"]
    # No note holds a NUL and Postgres cannot search for one: the filter is refused, naming `q`.
    refused = client.get("/api/v1/notes", {"q": "nul\x00"})
    assert (refused.status_code, list(refused.json()["error"]["fields"])) == (400, ["q"])


def test_listing_notes_takes_the_same_queries_for_many_notes_as_for_one(user, client_for) -> None:
    client = client_for(user)
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    NoteFactory(owner=user, video=video, start=1, text="one", frame_key="notes/x.jpg")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    # A forced login keeps one User instance across requests, so the first request alone looks up the
    # workspace it acts in: counted from the second on.
    queries(notes_url(video.pk))
    one = (queries(notes_url(video.pk)), queries("/api/v1/notes"))
    NoteFactory.create_batch(28, owner=user, video=video, start=factory.Iterator(range(2, 30)))

    assert (queries(notes_url(video.pk)), queries("/api/v1/notes")) == one
