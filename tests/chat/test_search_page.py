"""`/chat/search/`: my past messages found by meaning (the real MiniLM model, pgvector), never anyone
else's, escaped, with a link to the message in its conversation; empty, too-long and unrelated
queries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.guests import Viewer
from accounts.models import User
from chat import services
from chat.models import Conversation, Message
from chat.views import SEARCH_QUERY_MAX_CHARS
from tests.factories import MessageFactory
from videos.text_embedding.model import embed_texts

pytestmark = pytest.mark.django_db


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def conversation_with(person: User, title: str, *messages: tuple[str, str]) -> tuple[Conversation, list[Message]]:
    """A conversation of `person` holding (role, text) messages, embedded as the chat embeds them."""
    conversation = services.conversation_create(
        viewer=Viewer(user=person, guest_id=None, workspace_id=person.personal_workspace_id)
    )
    Conversation.objects.filter(pk=conversation.pk).update(title=title)
    conversation.refresh_from_db()
    vectors = embed_texts([text for _, text in messages])
    rows: list[Message] = [
        MessageFactory(conversation=conversation, role=role, content=text, embedding=vector)
        for (role, text), vector in zip(messages, vectors, strict=True)
    ]
    return conversation, rows


def search(person: User, query: str) -> str:
    return signed_in(person).get(reverse("chat:search"), {"q": query}).content.decode()


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    response = Client().get(reverse("chat:search"), {"q": "oven"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_my_message_is_found_by_meaning_with_a_link_to_it_in_its_conversation(user: User) -> None:
    baking, (question, answer) = conversation_with(
        user,
        "Sourdough at home",
        ("user", "How hot should the oven be for the sourdough?"),
        ("assistant", "Preheat it to two hundred and fifty degrees Celsius, with the pot inside [00:40]."),
    )
    conversation_with(user, "Roses", ("user", "What do I do about aphids on my roses?"))

    page = search(user, "baking temperature")  # no word in common with the question

    assert "2 messages about “baking temperature”" in page
    assert "Sourdough at home" in page
    assert f'href="/chat/{baking.pk}/#message-{question.pk}"' in page
    assert f'href="/chat/{baking.pk}/#message-{answer.pk}"' in page
    assert "You asked" in page and "Answer" in page
    assert "How hot should the oven be for the sourdough?" in page
    assert "aphids" not in page  # unrelated: below the relevance cut-off


def test_another_users_messages_are_never_found(user: User, other_user: User) -> None:
    conversation_with(other_user, "Their secret oven", ("user", "How hot should the oven be for the sourdough?"))
    conversation_with(user, "Roses", ("user", "What do I do about aphids on my roses?"))

    page = search(user, "How hot should the oven be for the sourdough?")

    assert "Their secret oven" not in page
    assert "No messages match" in page


def test_messages_in_the_trash_are_not_searched(user: User) -> None:
    conversation, _ = conversation_with(user, "Old bread chat", ("user", "How long should the loaf cool?"))
    services.conversation_delete(conversation=conversation)
    assert "Old bread chat" not in search(user, "cooling bread")


def test_an_unrelated_query_says_no_messages_match_rather_than_listing_the_nearest(user: User) -> None:
    conversation_with(
        user,
        "Sourdough at home",
        ("user", "How hot should the oven be for the sourdough?"),
        ("user", "What do I do about aphids on my roses?"),
    )
    page = search(user, "stock market crash")
    assert "No messages match “stock market crash”" in page
    assert "Sourdough at home" not in page


def test_markup_in_a_message_or_title_is_shown_as_text(user: User) -> None:
    conversation_with(
        user,
        "<b>Oven</b> talk",
        ("user", '<img src=x onerror="alert(1)"> How hot should the oven be for the sourdough?'),
    )
    page = search(user, "oven temperature <script>")
    assert "<img src=x" not in page and "<b>Oven</b>" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; How hot should the oven be" in page
    assert "&lt;b&gt;Oven&lt;/b&gt; talk" in page
    assert "oven temperature &lt;script&gt;" in page


def test_a_long_message_is_shown_as_a_short_excerpt(user: User) -> None:
    long_answer = "The oven should be very hot for sourdough. " + "It keeps baking evenly. " * 40
    conversation_with(user, "Long", ("assistant", long_answer))
    page = search(user, "oven temperature for sourdough")
    assert "The oven should be very hot for sourdough." in page
    assert long_answer.strip() not in page
    assert "…" in page


def test_an_empty_query_shows_just_the_form(user: User) -> None:
    conversation_with(user, "Sourdough at home", ("user", "How hot should the oven be for the sourdough?"))
    for query in ("", "   "):
        page = search(user, query)
        assert 'name="q"' in page
        assert "No messages match" not in page and "Sourdough at home" not in page


def test_a_too_long_query_is_refused_with_a_clear_error(user: User) -> None:
    conversation_with(user, "Sourdough at home", ("user", "How hot should the oven be for the sourdough?"))
    page = search(user, "oven " * (SEARCH_QUERY_MAX_CHARS // 5 + 1))
    assert f"That search is too long: at most {SEARCH_QUERY_MAX_CHARS} characters." in page
    assert "Sourdough at home" not in page


def test_the_results_take_the_same_few_queries_however_many_match(user: User, django_assert_max_num_queries) -> None:
    for number in range(8):
        conversation_with(user, f"Bread chat {number}", ("user", f"How hot should the oven be, take {number}?"))
    client = signed_in(user)
    search(user, "oven heat")  # the model is loaded before counting
    with django_assert_max_num_queries(10):
        page = client.get(reverse("chat:search"), {"q": "oven heat"}).content.decode()
    assert page.count("Bread chat") == 8
