"""Operators find notes by text, owner or video, and filter AI notes by how their writing went."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.models import Wallet
from notes.models import Note
from tests.factories import NoteFactory, UserFactory, VideoFactory, member_in
from tests.gemini_stub import gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture
from videos.models import Video

pytestmark = pytest.mark.django_db

NOTES = "/admin/notes/note/"


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def notes(user, other_user) -> dict[str, Note]:
    bread, guitar = (
        VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0),
        VideoFactory(owner=other_user, title="Guitar lesson", status=Video.Status.READY, duration=120.0),
    )
    return {
        "typed": NoteFactory(owner=user, video=bread, start=62, text="Knead for ten minutes"),
        "ai_done": NoteFactory(
            owner=user, video=bread, start=5, text="Mixing flour", ai_generated=True, ai_status="done"
        ),
        "ai_failed": NoteFactory(
            owner=other_user, video=guitar, start=9, text="Could not", ai_generated=True, ai_status="failed"
        ),
    }


def listed(operator: Client, **params: str) -> set[int]:
    response = operator.get(NOTES, params)
    assert response.status_code == 200
    return {note.pk for note in response.context["cl"].result_list}


def test_notes_are_found_by_text_owner_email_or_video_title(operator, notes, other_user) -> None:
    assert listed(operator, q="knead") == {notes["typed"].pk}
    assert listed(operator, q=other_user.email) == {notes["ai_failed"].pk}
    assert listed(operator, q="guitar") == {notes["ai_failed"].pk}


def test_notes_are_filtered_by_ai_generated_and_ai_status(operator, notes) -> None:
    assert listed(operator, ai_generated__exact="1") == {notes["ai_done"].pk, notes["ai_failed"].pk}
    assert listed(operator, ai_generated__exact="0") == {notes["typed"].pk}
    assert listed(operator, ai_status__exact="failed") == {notes["ai_failed"].pk}


def test_the_change_page_opens_and_shows_the_time(operator, notes) -> None:
    changelist = operator.get(NOTES).content.decode()
    assert "01:02" in changelist

    assert operator.get(f"{NOTES}{notes['typed'].pk}/change/").status_code == 200


def test_deleting_an_unwritten_ai_note_in_the_admin_refunds_it(
    operator, user, django_capture_on_commit_callbacks, gemini_stub
):
    from notes.services import note_create

    # With a language model configured, a note saved empty is a priced AI note (an excerpt is free).
    video = VideoFactory(
        owner=user, status="processing", title="Bread at home", duration=120.0
    )  # no transcript yet: the note waits
    before = Wallet.objects.get(user=user).balance
    waiting = note_create(member=member_in(user), video=video, start=1)
    assert Wallet.objects.get(user=user).balance < before

    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(f"{NOTES}{waiting.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert Wallet.objects.get(user=user).balance == before
