"""The chat API: conversations, asking (JSON and Server-Sent Events), guests, search, ownership."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from billing.models import Wallet
from chat.models import Conversation, Message
from tests.factories import ApiTokenFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body_of(response) -> bytes:
    """The whole body; a streamed one (chat answers stream from the event loop) is read to its end."""
    if not response.streaming:
        return response.content
    if not response.is_async:
        return b"".join(response.streaming_content)

    async def read_all() -> bytes:
        return b"".join([part async for part in response.streaming_content])

    return async_to_sync(read_all)()


def sse_events(response) -> list[str]:
    text = body_of(response).decode()
    return [block.removeprefix("data: ") for block in text.split("\n\n") if block.strip()]


def test_start_a_conversation_about_my_video_ask_and_get_the_whole_answer():
    user = UserFactory()
    video = VideoFactory(owner=user, cooking=True)
    client = client_for(user)

    created = client.post("/api/v1/conversations", {"video": video.pk}, format="json")
    conversation_id = created.json()["id"]
    asked = client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        {"text": "How hot should the oven be?", "client_id": "a1"},
        format="json",
    )

    assert created.status_code == 201 and created.json()["video_title"] == "Sourdough"
    assert asked.status_code == 201
    body = json.loads(body_of(asked))
    assert body["question"]["content"] == "How hot should the oven be?"
    assert body["answer"]["status"] == "complete" and "[00:40]" in body["answer"]["content"]
    assert body["answer"]["citations"][0]["start"] == 40.0
    listed = client.get(f"/api/v1/conversations/{conversation_id}/messages").json()
    assert [message["role"] for message in listed] == ["user", "assistant"]
    assert client.get("/api/v1/conversations").json()["results"][0]["title"] == "How hot should the oven be?"


def test_asking_with_accept_event_stream_sends_server_sent_events():
    user = UserFactory()
    video = VideoFactory(owner=user, cooking=True)
    client = client_for(user)
    conversation_id = client.post("/api/v1/conversations", {"video": video.pk}, format="json").json()["id"]

    response = client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        {"text": "When can I slice the bread?"},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )

    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    pieces = [json.loads(event)["content"] for event in events[:-2]]
    final = json.loads(events[-2])["message"]
    assert pieces and final["content"] == "".join(pieces)
    assert final["status"] == "complete" and final["citations"]


def test_a_replayed_client_id_returns_the_first_answer_and_is_not_charged_again():
    user = UserFactory()
    VideoFactory(owner=user, cooking=True)  # an answer from it is paid for
    client = client_for(user)
    conversation_id = client.post("/api/v1/conversations", {}, format="json").json()["id"]
    url = f"/api/v1/conversations/{conversation_id}/messages"
    balance = Wallet.objects.get(user=user).balance
    question = {"text": "How hot should the oven be?", "client_id": "same"}

    first = json.loads(body_of(client.post(url, question, format="json")))
    again = client.post(url, question, format="json")

    assert again.status_code == 200 and again.json()["answer"] == first["answer"]
    assert Wallet.objects.get(user=user).balance == balance - 2
    assert Message.objects.count() == 2


def test_quota_balance_and_bad_text_are_clear_errors(settings):
    user = UserFactory()
    client = client_for(user)
    conversation_id = client.post("/api/v1/conversations", {}, format="json").json()["id"]
    url = f"/api/v1/conversations/{conversation_id}/messages"

    empty = client.post(url, {"text": " "}, format="json")
    too_long = client.post(url, {"text": "x" * 2001}, format="json")
    Wallet.objects.filter(user=user).update(balance=1)
    poor = client.post(url, {"text": "Hi"}, format="json")
    Wallet.objects.filter(user=user).update(balance=100)
    settings.GUEST_DAILY_CHAT_MESSAGES = 0
    guest_header = {"X-Guest-Session-ID": str(uuid.uuid4())}
    guest_conversation = APIClient().post("/api/v1/conversations", {}, format="json", headers=guest_header).json()["id"]
    over_quota = APIClient().post(
        f"/api/v1/conversations/{guest_conversation}/messages", {"text": "Hi"}, format="json", headers=guest_header
    )

    assert (empty.status_code, empty.json()["error"]["fields"]["text"]) == (
        400,
        ["Type a question first: the message is empty."],
    )
    assert too_long.status_code == 400 and "at most 2000" in too_long.json()["error"]["message"]
    assert poor.status_code == 402 and poor.json()["error"]["code"] == "insufficient_tokens"
    assert over_quota.status_code == 429 and "Retry-After" in over_quota
    assert not Message.objects.exists()


def test_guests_chat_with_their_session_header_and_see_only_their_own():
    guest, intruder = {"X-Guest-Session-ID": str(uuid.uuid4())}, {"X-Guest-Session-ID": str(uuid.uuid4())}
    client = APIClient()
    conversation_id = client.post("/api/v1/conversations", {}, format="json", headers=guest).json()["id"]

    asked = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", {"text": "Hello?"}, format="json", headers=guest
    )

    assert json.loads(body_of(asked))["answer"]["cost"] == 0
    assert client.get(f"/api/v1/conversations/{conversation_id}", headers=intruder).status_code == 404
    assert client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=intruder).status_code == 404
    assert client.get("/api/v1/conversations", headers=intruder).json()["results"] == []
    assert client.get("/api/v1/conversations", headers=guest).json()["results"][0]["id"] == conversation_id
    assert client.post("/api/v1/conversations", {"video": 1}, format="json", headers=guest).status_code == 400


def test_another_user_gets_404_everywhere():
    owner, stranger = UserFactory(), UserFactory()
    video = VideoFactory(owner=owner, cooking=True)
    conversation_id = client_for(owner).post("/api/v1/conversations", {"video": video.pk}, format="json").json()["id"]
    client = client_for(stranger)

    assert client.post("/api/v1/conversations", {"video": video.pk}, format="json").status_code == 404
    for method, path in [
        ("get", f"/api/v1/conversations/{conversation_id}"),
        ("delete", f"/api/v1/conversations/{conversation_id}"),
        ("post", f"/api/v1/conversations/{conversation_id}/restore"),
        ("get", f"/api/v1/conversations/{conversation_id}/messages"),
        ("post", f"/api/v1/conversations/{conversation_id}/messages"),
    ]:
        response = getattr(client, method)(path, {"text": "hi"} if method == "post" else None, format="json")
        assert response.status_code == 404, (method, path)


def test_delete_moves_to_the_trash_and_restore_brings_it_back():
    user = UserFactory()
    client = client_for(user)
    conversation_id = client.post("/api/v1/conversations", {}, format="json").json()["id"]

    assert client.delete(f"/api/v1/conversations/{conversation_id}").status_code == 204
    assert client.get("/api/v1/conversations").json()["results"] == []
    assert [c["id"] for c in client.get("/api/v1/conversations?trash=true").json()["results"]] == [conversation_id]
    assert (
        client.post(f"/api/v1/conversations/{conversation_id}/messages", {"text": "hi"}, format="json").status_code
        == 404
    )
    restored = client.post(f"/api/v1/conversations/{conversation_id}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert Conversation.objects.get(pk=conversation_id).deleted_at is None


def test_writes_need_the_chat_scope_on_api_tokens():
    reader = ApiTokenFactory(scopes=["read"])
    chatter = ApiTokenFactory(scopes=["read", "chat"])

    refused = APIClient().post("/api/v1/conversations", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {reader.secret}")
    allowed = APIClient().post(
        "/api/v1/conversations", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {chatter.secret}"
    )

    assert refused.status_code == 403 and "'chat' scope" in refused.json()["error"]["message"]
    assert allowed.status_code == 201


def test_search_finds_my_past_messages_by_meaning_and_not_other_peoples():
    user, other = UserFactory(), UserFactory()
    VideoFactory(owner=user, garden=True)
    for owner, questions in [(user, ["How do I get rid of aphids?", "When do tomatoes go in?"]), (other, ["aphids!"])]:
        client = client_for(owner)
        conversation_id = client.post("/api/v1/conversations", {}, format="json").json()["id"]
        for question in questions:
            body_of(client.post(f"/api/v1/conversations/{conversation_id}/messages", {"text": question}, format="json"))

    hits = client_for(user).get("/api/v1/messages/search", {"q": "insects eating my roses"}).json()
    unrelated = client_for(user).get("/api/v1/messages/search", {"q": "stock market crash"}).json()

    assert hits[0]["message"]["content"] in {"How do I get rid of aphids?"} or "Aphids" in hits[0]["message"]["content"]
    assert all(hit["message"]["content"] != "aphids!" for hit in hits)
    assert unrelated == []  # the nearest messages are not matches when nothing is near


def test_an_xss_payload_is_returned_as_plain_text():
    user = UserFactory()
    client = client_for(user)
    conversation_id = client.post("/api/v1/conversations", {}, format="json").json()["id"]
    payload = "<script>alert(1)</script>"

    body_of(client.post(f"/api/v1/conversations/{conversation_id}/messages", {"text": payload}, format="json"))
    listed = client.get(f"/api/v1/conversations/{conversation_id}/messages")

    assert listed["Content-Type"] == "application/json"
    assert listed.json()[0]["content"] == payload  # JSON text, unchanged: the page inserts it as text


def test_an_event_stream_request_that_is_refused_gets_an_ordinary_json_error():
    user = UserFactory()
    client = client_for(user)
    conversation_id = client.post("/api/v1/conversations", {}, format="json").json()["id"]

    response = client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        {"text": ""},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("client_id", ["x" * 65, "tab\there", 7])
def test_a_client_id_that_cannot_be_one_is_refused_and_nothing_is_asked(client_id):
    user = UserFactory()
    client = client_for(user)
    conversation_id = client.post("/api/v1/conversations", {}, format="json").json()["id"]
    balance = Wallet.objects.get(user=user).balance

    response = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", {"text": "Hi", "client_id": client_id}, format="json"
    )

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    assert "client_id" in json.dumps(response.json()["error"])
    assert Message.objects.count() == 0 and Wallet.objects.get(user=user).balance == balance
