"""A question asked while a video's screen is still being read, that nothing said answers, says that
the slides are still being read and to ask again (through the socket and the API), and costs nothing;
once read, the slide answers it. A video read long ago, or never to be read, gets no such word."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from billing.models import Wallet
from chat.answering import NOT_ANSWERED, SCREEN_BEING_READ
from chat.models import Conversation
from tests.chat.helpers import frames_until_done, open_socket
from tests.chat.test_api import body_of, client_for
from tests.chat.test_slide_questions import SAID, SLIDES
from tests.factories import ConversationFactory, TranscriptFactory, UserFactory, VideoFactory
from videos.models import ScreenTextLine, Video
from videos.screen_text.indexing import index_shown_lines
from videos.screen_text.state import SCREEN_TEXT

pytestmark = pytest.mark.django_db(transaction=True)

# Only a slide says it ("Six engineers and two designers"); nothing said does.
QUESTION = "How many designers are on the team?"


def just_ready_talk(owner, *, ready_for: timedelta = timedelta(minutes=2), stage: str = "") -> Video:
    """A slide talk that became ready `ready_for` ago, its speech searchable, its screen not read yet."""
    return VideoFactory(
        owner=owner,
        title="Project Aurora review",
        status=Video.Status.READY,
        duration=45.0,
        ready_at=timezone.now() - ready_for,
        stage=stage,
        backends={"clips": "local"},
    )


def with_speech(video: Video) -> Video:
    TranscriptFactory(video=video, lines=SAID, chunks=True)
    return video


def read_its_screen(video: Video) -> None:
    """What the stage leaves once done: the slides' lines, searchable, and the reader's mark."""
    ScreenTextLine.objects.bulk_create(
        ScreenTextLine(
            video=video, index=index, start=start, end=end, text=text, box=[0.08, top, 0.6, 0.08], confidence=0.97
        )
        for index, (start, end, text, top) in enumerate(SLIDES)
    )
    index_shown_lines(video)
    Video.objects.filter(pk=video.pk).update(backends={"clips": "local", SCREEN_TEXT: "rapidocr"})


async def ask(conversation: Conversation, question: str, *, client_id: str = "q1") -> list[dict]:
    socket, connected, _ = await open_socket(conversation.pk, user=conversation.owner)
    assert connected
    await socket.send_json_to({"type": "message", "text": question, "client_id": client_id})
    frames = await frames_until_done(socket)
    await socket.disconnect()
    return frames


async def conversation_about(*, ready_for: timedelta = timedelta(minutes=2), stage: str = "") -> Conversation:
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(
        lambda: with_speech(just_ready_talk(owner, ready_for=ready_for, stage=stage))
    )()
    return await database_sync_to_async(ConversationFactory)(owner=owner, video=video)


@database_sync_to_async
def balance_of(user) -> int:
    return Wallet.objects.get(user=user).balance


async def test_a_question_on_the_socket_while_the_screen_is_read_says_so_and_is_free() -> None:
    conversation = await conversation_about()
    owner = await database_sync_to_async(lambda: conversation.owner)()
    before = await balance_of(owner)

    frames = await ask(conversation, QUESTION)

    done = frames[-1]["message"]
    assert done["content"] == NOT_ANSWERED + "\n\n" + SCREEN_BEING_READ
    assert any(frame.get("text", "").endswith(SCREEN_BEING_READ) for frame in frames if frame["type"] == "chunk")
    assert done["cost"] == 0 and await balance_of(owner) == before

    await database_sync_to_async(read_its_screen)(await database_sync_to_async(lambda: conversation.video)())
    again = (await ask(conversation, QUESTION, client_id="q2"))[-1]["message"]
    assert "Six engineers and two designers" in again["content"]
    assert SCREEN_BEING_READ not in again["content"]


async def test_a_question_while_the_reader_runs_says_so_too() -> None:
    conversation = await conversation_about(ready_for=timedelta(minutes=20), stage=SCREEN_TEXT)

    done = (await ask(conversation, QUESTION))[-1]["message"]

    assert done["content"].endswith(SCREEN_BEING_READ)


async def test_a_video_ready_long_ago_and_never_read_gets_no_word_of_reading() -> None:
    # Processed before the stage existed: nothing will read it unless an operator asks.
    conversation = await conversation_about(ready_for=timedelta(days=3))

    done = (await ask(conversation, QUESTION))[-1]["message"]

    assert done["content"] == NOT_ANSWERED


def test_a_question_through_the_api_while_the_screen_is_read_says_so_and_is_free() -> None:
    owner = UserFactory()
    video = with_speech(just_ready_talk(owner))
    client = client_for(owner)
    before = Wallet.objects.get(user=owner).balance
    conversation_id = client.post("/api/v1/conversations", {"video": video.pk}, format="json").json()["id"]

    asked = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", {"text": QUESTION, "client_id": "a1"}, format="json"
    )

    answer = json.loads(body_of(asked))["answer"]
    assert answer["status"] == "complete"
    assert answer["content"] == NOT_ANSWERED + "\n\n" + SCREEN_BEING_READ
    assert answer["cost"] == 0 and Wallet.objects.get(user=owner).balance == before
