"""The chat pages through Django's test client: the list (search, trash, restore), starting a
conversation, the conversation page, and who may see what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.guests import Viewer
from accounts.models import User
from chat import services
from chat.models import Conversation
from chat.views import starter_questions
from tests.factories import MessageFactory, UserFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def conversation_for(person: User, *, title: str = "", video: Video | None = None) -> Conversation:
    conversation = services.conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id), video=video
    )
    if title:
        Conversation.objects.filter(pk=conversation.pk).update(title=title)
        conversation.refresh_from_db()
    return conversation


def ready_video(owner: User, *, title: str = "Bread", summary: str = "") -> Video:
    return VideoFactory(owner=owner, title=title, status=Video.Status.READY, duration=60.0, summary=summary)


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    for url in (reverse("chat:list"), reverse("chat:conversation", args=[1])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_the_list_shows_my_conversations_only_and_searches_their_titles(user: User, other_user: User) -> None:
    conversation_for(user, title="Sourdough questions")
    conversation_for(user, title="Garden pests")
    conversation_for(other_user, title="Sourdough secrets of someone else")
    client = signed_in(user)

    page = client.get(reverse("chat:list")).content.decode()
    assert "Sourdough questions" in page and "Garden pests" in page
    assert "someone else" not in page

    found = client.get(reverse("chat:list"), {"q": "sourdough"}).content.decode()
    assert "Sourdough questions" in found and "Garden pests" not in found
    assert "No conversation title contains" in client.get(reverse("chat:list"), {"q": "volcano"}).content.decode()


def test_the_list_does_not_query_once_per_conversation(user: User, django_assert_max_num_queries) -> None:
    client = signed_in(user)
    for number in range(6):
        conversation_for(user, title=f"About bread {number}", video=ready_video(user, title=f"Loaf {number}"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("chat:list"))
    assert response.content.decode().count("About “<bdi>Loaf") == 6


def test_trash_and_restore_through_the_pages(user: User) -> None:
    conversation = conversation_for(user, title="Old chat")
    client = signed_in(user)

    response = client.post(reverse("chat:delete", args=[conversation.pk]), follow=True)
    assert "moved to the trash" in response.content.decode()
    assert "Old chat" not in client.get(reverse("chat:list")).content.decode()
    assert client.get(reverse("chat:conversation", args=[conversation.pk])).status_code == 404
    assert "Old chat" in client.get(reverse("chat:list"), {"show": "trash"}).content.decode()

    response = client.post(reverse("chat:restore", args=[conversation.pk]))
    assert response["Location"] == reverse("chat:conversation", args=[conversation.pk])
    assert "Old chat" in client.get(reverse("chat:list")).content.decode()
    assert "The trash is empty" in client.get(reverse("chat:list"), {"show": "trash"}).content.decode()


def test_starting_a_conversation_about_a_video_or_the_whole_library(user: User) -> None:
    video = ready_video(user)
    client = signed_in(user)
    assert "Bread" in client.get(reverse("chat:list")).content.decode()  # offered in the form

    response = client.post(reverse("chat:new"), {"video": video.pk})
    about_video = Conversation.objects.get(owner=user, video=video)
    assert response["Location"] == reverse("chat:conversation", args=[about_video.pk])

    client.post(reverse("chat:new"), {"video": ""})
    assert Conversation.objects.filter(owner=user, video__isnull=True).count() == 1


def test_a_conversation_cannot_be_started_about_someone_elses_or_an_unready_video(user: User, other_user: User) -> None:
    theirs = ready_video(other_user)
    unready = VideoFactory(owner=user, title="Still processing", status=Video.Status.PROCESSING)
    client = signed_in(user)
    for video in (theirs, unready):
        response = client.post(reverse("chat:new"), {"video": video.pk}, follow=True)
        assert "Choose one of your ready videos" in response.content.decode()
    assert not Conversation.objects.exists()


def test_someone_elses_conversation_is_a_404_for_every_page(user: User, other_user: User) -> None:
    theirs = conversation_for(other_user, title="Private")
    client = signed_in(user)
    assert client.get(reverse("chat:conversation", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("chat:delete", args=[theirs.pk])).status_code == 404
    services.conversation_delete(conversation=theirs)
    assert client.post(reverse("chat:restore", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_deleted


def test_the_conversation_page_shows_messages_escaped_with_citation_links(user: User) -> None:
    video = ready_video(user, title="Bread <b>basics</b>")
    conversation = conversation_for(user, title="Baking", video=video)
    MessageFactory(
        conversation=conversation,
        answer=True,
        content="At [01:05] the oven is hot.",
        citations=[{"video_id": video.pk, "start": 65.0, "end": 80.0, "text": "the oven is hot"}],
        reply_to__content='<img src=x onerror="alert(1)">',
    )
    page = signed_in(user).get(reverse("chat:conversation", args=[conversation.pk])).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<b>basics</b>" not in page
    assert f'href="/videos/{video.pk}/?t=65"' in page
    assert "[01:05] Bread &lt;b&gt;basics&lt;/b&gt;" in page


def test_a_new_conversation_offers_starter_questions_from_the_summary(user: User) -> None:
    summary = (
        "The baker feeds a sourdough starter. Then she shapes two loaves. They bake in a hot pot. "
        "Finally they cool on a rack."
    )
    conversation = conversation_for(user, video=ready_video(user, summary=summary))
    page = signed_in(user).get(reverse("chat:conversation", args=[conversation.pk])).content.decode()
    assert "The baker feeds a sourdough starter" in page
    assert "Then she shapes two loaves" in page
    assert "They bake in a hot pot" in page
    assert "Finally they cool on a rack" not in page  # three at most


def test_starter_questions_skip_scraps_and_shorten_long_sentences() -> None:
    long_sentence = "This part explains " + "very " * 30 + "carefully how the dough rises."
    questions = starter_questions(f"Yes. {long_sentence} Short one here!")
    assert len(questions) == 2
    assert questions[0].endswith("…”") and len(questions[0]) < 120
    assert "Short one here" in questions[1]


def test_a_ready_video_page_has_a_chat_panel_that_works_as_a_form_without_javascript(user: User) -> None:
    video = ready_video(user)
    page = signed_in(user).get(reverse("videos:video", args=[video.pk])).content.decode()
    assert "data-chat-panel" in page
    assert "Chat about this video" in page
    assert f'data-conversations-url="{reverse("chat:video-conversations", args=[video.pk])}"' in page
    # Before the panel's script runs, "New conversation" posts to the page that starts one.
    assert f'action="{reverse("chat:new")}"' in page
    assert f'name="video" value="{video.pk}"' in page
    assert "js/video_chat.js" in page


def test_a_video_still_processing_has_no_chat_panel(user: User) -> None:
    video = VideoFactory(owner=user, title="Still processing", status=Video.Status.PROCESSING)
    page = signed_in(user).get(reverse("videos:video", args=[video.pk])).content.decode()
    assert "data-chat-panel" not in page
    assert 'data-swap="chat"' in page  # the slot the panel is swapped into once the video is ready


def test_the_panel_lists_this_videos_conversations_of_mine_newest_first(user: User, other_user: User) -> None:
    video = ready_video(user, title="Bread", summary="The baker feeds a sourdough starter. Then she bakes.")
    older = conversation_for(user, title="First <b>chat</b>", video=video)
    newer = conversation_for(user, title="Second chat", video=video)
    MessageFactory(conversation=newer, content="Why?")
    trashed = conversation_for(user, title="Trashed chat", video=video)
    services.conversation_delete(conversation=trashed)
    conversation_for(user, title="About another video", video=ready_video(user, title="Garden"))
    conversation_for(user, title="About the library")

    data = signed_in(user).get(reverse("chat:video-conversations", args=[video.pk])).json()

    assert [row["id"] for row in data["conversations"]] == [newer.pk, older.pk]
    assert data["conversations"][0] == {
        "id": newer.pk,
        "title": "Second chat",
        "updated_at": newer.updated_at.isoformat(),
        "url": reverse("chat:conversation", args=[newer.pk]),
        "socket_path": f"/ws/chat/{newer.pk}/",
        "message_count": 1,
    }
    assert data["conversations"][1]["title"] == "First <b>chat</b>"  # JSON: the script inserts it as text
    assert data["video_id"] == video.pk
    assert data["titles"] == {str(video.pk): "Bread"}
    assert data["video_url"] == "/videos/{id}/"
    assert data["title_max_chars"] > 0
    assert data["starters"][0] == "Tell me more about this: “The baker feeds a sourdough starter”"


def test_the_panel_starts_a_conversation_about_the_video_with_csrf_checked(user: User) -> None:
    video = ready_video(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = reverse("chat:video-conversations", args=[video.pk])

    assert client.post(url).status_code == 403  # no CSRF token
    assert not Conversation.objects.exists()

    client.get(reverse("videos:video", args=[video.pk]))  # sets the CSRF cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = client.post(url, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    conversation = Conversation.objects.get()
    assert (conversation.owner, conversation.video) == (user, video)
    assert response.json()["conversation"]["url"] == reverse("chat:conversation", args=[conversation.pk])
    assert [row["id"] for row in client.get(url).json()["conversations"]] == [conversation.pk]


def test_the_panel_will_not_start_a_conversation_about_an_unready_video(user: User) -> None:
    video = VideoFactory(owner=user, title="Still processing", status=Video.Status.PROCESSING)
    response = signed_in(user).post(reverse("chat:video-conversations", args=[video.pk]))
    assert response.status_code == 400
    error = response.json()["error"]  # the one error shape (sage.api.errors.error_response)
    assert error["code"] == "invalid"
    assert "ready" in error["message"]
    assert not Conversation.objects.exists()


def test_the_panel_data_of_someone_elses_video_is_a_404(user: User, other_user: User) -> None:
    theirs = ready_video(other_user)
    conversation_for(other_user, title="Private", video=theirs)
    client = signed_in(user)
    url = reverse("chat:video-conversations", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Conversation.objects.count() == 1
    assert Client().get(url).status_code == 302  # and anonymous visitors are sent to log in


def test_the_conversation_page_gives_each_message_an_anchor(user: User) -> None:
    conversation = conversation_for(user, title="Baking")
    question = MessageFactory(conversation=conversation, content="Hot?")
    page = signed_in(user).get(reverse("chat:conversation", args=[conversation.pk])).content.decode()
    assert f'id="message-{question.pk}"' in page


def test_the_list_links_to_the_message_search(user: User) -> None:
    page = signed_in(user).get(reverse("chat:list")).content.decode()
    assert f'href="{reverse("chat:search")}"' in page


def test_a_new_user_is_told_there_are_no_conversations_yet(db) -> None:
    newcomer = UserFactory()
    page = signed_in(newcomer).get(reverse("chat:list")).content.decode()
    assert "No conversations yet" in page
