"""An AI note whose Gemini call fails for a passing reason (429, 5xx) is tried again, with a cap, and
the note says it is retrying; anything else fails at once. Real google-genai client, local stub."""

from __future__ import annotations

from typing import Any

import pytest

import notes.ai
from billing.models import Hold
from notes.models import Note
from tests.factories import TranscriptFactory, VideoFactory
from tests.gemini_stub import GeminiReply, gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture
from tests.notes.conftest import balance, funded_user
from videos.models import Video

pytestmark = pytest.mark.django_db

LINES = [(float(t), t + 8.0, f"At second {t} the baker says sentence number {t // 10}.") for t in range(0, 120, 10)]
COST = 5
ATTEMPTS = 4


@pytest.fixture(autouse=True)
def _policy(settings) -> None:
    settings.TOKEN_COST_AI_NOTE = COST
    settings.OUTSIDE_RETRY_ATTEMPTS = ATTEMPTS
    settings.OUTSIDE_RETRY_FIRST_WAIT_SECONDS = 0  # no real waiting in a test


@pytest.fixture
def pushed(monkeypatch) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    monkeypatch.setattr(notes.ai, "push_to_workspace", lambda workspace_id, event, data: events.append(data))
    return events


def _ask_for_a_note(client_for, django_capture_on_commit_callbacks):
    user = funded_user(100)
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    TranscriptFactory(video=video, lines=LINES)
    with django_capture_on_commit_callbacks(execute=True):
        created = client_for(user).post(f"/api/v1/videos/{video.pk}/notes", {"start": 60}, format="json").json()
    return user, Note.objects.get(pk=created["id"])


def test_gemini_busy_three_times_then_answering_writes_the_note_and_charges_once(
    client_for, django_capture_on_commit_callbacks, gemini_stub, pushed
) -> None:
    gemini_stub.queue(*[GeminiReply(status=429)] * 2, GeminiReply(status=503), "The baker reaches step six.")

    user, note = _ask_for_a_note(client_for, django_capture_on_commit_callbacks)

    assert len(gemini_stub.requests) == ATTEMPTS
    assert (note.ai_status, note.text) == ("done", "The baker reaches step six.")
    assert balance(user) == 100 - COST
    assert Hold.objects.get(key=f"note:{note.pk}:ai").status == Hold.Status.SETTLED
    retrying = [event["text"] for event in pushed if event["ai_status"] == "generating"]
    assert retrying[-1] == "Gemini is busy; retrying now (try 4 of 4)."
    assert len(retrying) == ATTEMPTS - 1


def test_gemini_busy_every_time_fails_the_note_after_the_cap_and_refunds_it(
    client_for, django_capture_on_commit_callbacks, gemini_stub, pushed
) -> None:
    gemini_stub.reply(GeminiReply(status=429))

    user, note = _ask_for_a_note(client_for, django_capture_on_commit_callbacks)

    assert len(gemini_stub.requests) == ATTEMPTS
    assert note.ai_status == "failed"
    assert note.text.startswith("The AI note could not be written: Gemini answered with an error (429)")
    assert note.text.endswith("Your 5 tokens were refunded.")
    assert balance(user) == 100
    assert Hold.objects.get(key=f"note:{note.pk}:ai").status == Hold.Status.RELEASED


def test_a_request_gemini_refuses_is_not_tried_again(
    client_for, django_capture_on_commit_callbacks, gemini_stub, pushed
) -> None:
    gemini_stub.reply(GeminiReply(status=400))

    user, note = _ask_for_a_note(client_for, django_capture_on_commit_callbacks)

    assert len(gemini_stub.requests) == 1
    assert note.ai_status == "failed"
    assert balance(user) == 100
    assert not [event for event in pushed if "retrying" in event["text"]]
