"""Retrieval quality end to end, on a video the test makes: six unrelated topics told one after
another by its subtitle track, processed by the real pipeline (transcript from the stream, chunks
embedded with MiniLM). A question about one topic, asked over the chat socket, must find that part
of the video first and cite one of its sentences, at the time that sentence starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from accounts.guests import Viewer
from chat.models import Conversation
from chat.services import conversation_create
from sage.synthetic_media import Cue, make_video
from tests.chat.helpers import frames_until_done, open_socket
from tests.videos.test_pipeline import funded_user, stored_video
from videos.models import TranscriptChunk, Video
from videos.pipeline import runner

pytestmark = pytest.mark.django_db(transaction=True)

TOPIC_SECONDS = 8.0
TOPICS = [
    ("Preheat the oven to two hundred and thirty degrees.", "Bake the sourdough loaf for forty minutes."),
    ("Aphids are eating the roses in my garden.", "Spray the leaves with soapy water."),
    ("The motorcycle engine will not start this morning.", "Replace the old spark plugs first."),
    ("Your tax return is due at the end of April.", "Keep every receipt for your deductions."),
    ("Teach the puppy to sit with a small treat.", "Praise the dog every time it comes back."),
    ("Tonight Jupiter and its moons are visible through a telescope.", "Find a dark place far from city lights."),
]
QUESTIONS = [
    ("What temperature should the oven be?", 0),
    ("How do I get rid of insects on my flowers?", 1),
    ("What should I change when the engine won't start?", 2),
    ("When do I have to file my taxes?", 3),
    ("How do I train my new puppy?", 4),
    ("Which planet can I see tonight?", 5),
]


def topic_cues() -> list[Cue]:
    cues = []
    for number, (first, second) in enumerate(TOPICS):
        start = number * TOPIC_SECONDS
        cues += [Cue(start + 0.2, start + 3.8, first), Cue(start + 4.2, start + 7.8, second)]
    return cues


@pytest.fixture(scope="module")
def six_topics(tmp_path_factory) -> Path:
    return make_video(
        tmp_path_factory.mktemp("media") / "topics.mp4", seconds=len(TOPICS) * TOPIC_SECONDS, subtitles=topic_cues()
    )


@database_sync_to_async
def processed_conversation(source: Path, settings) -> tuple[object, Conversation, int]:
    # Chunks about as long as a topic, so each topic is a passage of its own (the default 40 s
    # windows would put the whole video in one).
    settings.CHUNK_TARGET_SECONDS = TOPIC_SECONDS
    settings.CHUNK_OVERLAP_SECONDS = 0
    owner = funded_user(100)
    video = stored_video(owner, source, settings)
    runner.process_video(video.pk)
    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    chunks = TranscriptChunk.objects.filter(video=video).count()
    return (
        owner,
        conversation_create(
            viewer=Viewer(user=owner, guest_id=None, workspace_id=owner.personal_workspace_id), video=video
        ),
        chunks,
    )


async def test_each_question_finds_the_part_of_the_video_that_answers_it_first_and_cites_it(
    six_topics, settings
) -> None:
    owner, conversation, chunk_count = await processed_conversation(six_topics, settings)
    assert chunk_count >= len(TOPICS)  # otherwise "found first" would mean little
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    for number, (question, topic) in enumerate(QUESTIONS):
        await socket.send_json_to({"type": "message", "text": question, "client_id": f"q{number}"})
        done = (await frames_until_done(socket))[-1]["message"]

        citations = done["citations"]
        assert done["status"] == "complete", done["error"]
        cited = citations[0]
        # A sentence of the topic (each is one cue), from the time its cue starts.
        assert cited["text"] in TOPICS[topic], (question, citations)
        said_from = next(cue.start for cue in topic_cues() if cue.text == cited["text"])
        assert cited["start"] == pytest.approx(said_from, abs=0.05)
        assert f"[{int(cited['start']) // 60:02d}:{int(cited['start']) % 60:02d}]" in done["content"]
    await socket.disconnect()
