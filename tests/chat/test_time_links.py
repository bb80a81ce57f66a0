"""An answer's `[mm:ss]` / `[h:mm:ss]` times as the server renders them: links to that moment of the
video (`?t=`), so a page works before its script runs; code and links in the answer are left alone."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.guests import Viewer
from chat import services
from chat.models import Message
from chat.time_links import message_html
from tests.factories import MessageFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db


def ready_video(owner, title: str = "Bread") -> Video:
    return VideoFactory(owner=owner, title=title, status=Video.Status.READY, duration=4000.0)


def answer(content: str, *, citations: list | None = None, status: str = Message.Status.COMPLETE) -> Message:
    return Message(role=Message.Role.ASSISTANT, content=content, citations=citations or [], status=status)


def time_link(video_id: int, seconds: int, mark: str) -> str:
    return (
        f'<a class="chat-time" href="/videos/{video_id}/?t={seconds}" data-video-id="{video_id}" '
        f'data-start="{seconds}" aria-label="Play from {mark[1:-1]}">{mark}</a>'
    )


def test_every_time_in_an_answer_links_to_its_moment_long_videos_too() -> None:
    html = str(message_html(answer("Preheat at [00:42], bake from **[1:02:03]** on."), video_id=7))

    assert time_link(7, 42, "[00:42]") in html
    assert f"<strong>{time_link(7, 3723, '[1:02:03]')}</strong>" in html


def test_times_in_code_or_links_and_in_questions_stay_text() -> None:
    html = str(message_html(answer("Type `[00:42]` or see [the docs](https://example.com/[00:10])."), video_id=7))
    question = Message(role=Message.Role.USER, content="What happens at [00:42]?", status=Message.Status.COMPLETE)

    assert "chat-time" not in html
    assert "<code>[00:42]</code>" in html
    assert "chat-time" not in str(message_html(question, video_id=7))


def test_a_streaming_answers_partial_text_links_its_times_too() -> None:
    html = str(message_html(answer("Hot <b>at</b> [00:42]\nthen", status=Message.Status.STREAMING), video_id=7))

    assert html == f"Hot &lt;b&gt;at&lt;/b&gt; {time_link(7, 42, '[00:42]')}<br>then"


def test_in_a_library_conversation_a_time_links_to_the_video_it_cites_or_not_at_all() -> None:
    citations = [
        {"video_id": 3, "start": 41.6, "end": 50.0, "text": "Preheat."},
        {"video_id": 4, "start": 65.0, "end": 80.0, "text": "Bake."},
    ]
    html = str(message_html(answer("[00:41] and [01:05] but not [09:00].", citations=citations), video_id=None))

    assert time_link(3, 41, "[00:41]") in html
    assert time_link(4, 65, "[01:05]") in html
    assert "[09:00]" in html and "?t=540" not in html


def test_the_conversation_page_renders_an_answers_times_as_links(user) -> None:
    video = ready_video(user)
    conversation = services.conversation_create(
        viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id), video=video
    )
    MessageFactory(
        conversation=conversation, answer=True, content="The oven is hot at [00:42].", reply_to__content="When?"
    )
    client = Client()
    client.force_login(user)

    page = client.get(reverse("chat:conversation", args=[conversation.pk])).content.decode()

    assert time_link(video.pk, 42, "[00:42]") in page
