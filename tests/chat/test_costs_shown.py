"""What chatting costs is said before asking (price, balance, questions left today) and kept
current as answers finish; messages are rendered with the notes' safe Markdown on the server."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.guests import Viewer
from accounts.models import User
from chat.services import conversation_create
from tests.chat.helpers import cooking_conversation, frames_until_done, open_socket
from tests.factories import MessageFactory, UserFactory, VideoFactory
from videos.models import Video


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.mark.django_db(transaction=True)
async def test_a_finished_answer_comes_with_its_markdown_rendered_and_the_questions_left(settings) -> None:
    settings.TOKEN_COST_CHAT_ANSWER = 2
    owner, conversation = await cooking_conversation()
    socket, _, _ = await open_socket(conversation.pk, user=owner)

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frames = await frames_until_done(socket)

    question, done = frames[0]["message"], frames[-1]
    assert question["html"] == "<p>How hot should the oven be?</p>\n"
    assert "<em>Extractive answer:</em>" in done["message"]["html"]  # the notes' renderer, on the server
    assert done["allowance"]["price"] == 2
    assert done["allowance"]["questions_per_day"] == 20  # the free plan's
    assert done["allowance"]["questions_left"] == 19  # this question counted
    await socket.disconnect()


@pytest.mark.django_db
def test_the_conversation_page_says_the_price_the_balance_and_the_questions_left(settings) -> None:
    settings.TOKEN_COST_CHAT_ANSWER = 2
    person = UserFactory()
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id)
    )

    page = signed_in(person).get(f"/chat/{conversation.pk}/").content.decode()

    assert "<strong data-answer-price>2 tokens</strong>" in page
    assert '<strong class="balance-value">1,800</strong> tokens' in page
    assert "<strong data-questions-left>20</strong> of 20 questions left today" in page
    assert "costs tokens" not in page
    # Said only to browsers without JavaScript; the Stop button starts hidden (the CSS keeps it so).
    assert '<noscript><p class="help chat-composer-help">Sending a question needs JavaScript.</p></noscript>' in page
    assert '<button type="button" data-cancel hidden>Stop answering</button>' in page


@pytest.mark.django_db
def test_the_video_pages_chat_panel_says_the_price_too(settings) -> None:
    settings.TOKEN_COST_CHAT_ANSWER = 3
    person = UserFactory()
    video = VideoFactory(owner=person, title="Bread", status=Video.Status.READY, duration=60.0)

    page = signed_in(person).get(f"/videos/{video.pk}/").content.decode()

    assert "<strong data-answer-price>3 tokens</strong>" in page
    assert "<strong data-questions-left>20</strong> of 20 questions left today" in page


@pytest.mark.django_db
def test_messages_are_rendered_with_the_notes_markdown_on_the_page(settings) -> None:
    person = UserFactory()
    conversation = conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id)
    )
    MessageFactory(
        conversation=conversation,
        answer=True,
        content="- one\n- [a link](javascript:alert(1))",
        reply_to__content='**Bold** <img src=x onerror="alert(1)">',
    )

    page = signed_in(person).get(f"/chat/{conversation.pk}/").content.decode()

    assert "<strong>Bold</strong> &lt;img src=x" in page
    assert "<ul>\n<li>one</li>" in page
    assert 'href="javascript' not in page and "[a link](javascript:alert(1))" in page  # not a link
