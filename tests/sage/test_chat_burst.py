"""A burst of questions through the API must never take the site down (issue: 30 questions at once
left the web process's connection pool empty for good, and every request that needed the database
failed until a restart)."""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest

from chat.models import Conversation, Message
from devtools.processes import daphne_process
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db(transaction=True)

BURST = 30


def ask(url: str, secret: str, conversation_id: int, number: int) -> int:
    response = httpx.post(
        f"{url}/api/v1/conversations/{conversation_id}/messages",
        json={"text": f"What happens at the start? ({number})"},
        headers={"Authorization": f"Bearer {secret}", "Accept": "text/event-stream"},
        timeout=60,
    )
    if response.status_code != 200:
        print(response.status_code, response.text[:300])
    return response.status_code


def test_a_burst_of_questions_from_a_new_account_leaves_the_site_serving() -> None:
    token = ApiTokenFactory()
    conversations = [Conversation.objects.create(owner=token.user) for _ in range(BURST)]
    with daphne_process() as (url, _process):
        with concurrent.futures.ThreadPoolExecutor(BURST) as pool:
            statuses = list(
                pool.map(lambda pair: ask(url, token.secret, pair[1].pk, pair[0]), enumerate(conversations))
            )
        after = httpx.get(f"{url}/api/v1/videos", headers={"Authorization": f"Bearer {token.secret}"}, timeout=30)
        health = httpx.get(f"{url}/healthz/ready", timeout=30)
    print(statuses)
    assert 500 not in statuses
    assert after.status_code == 200
    assert health.status_code == 200
    assert not Message.objects.filter(status=Message.Status.STREAMING).exists()
