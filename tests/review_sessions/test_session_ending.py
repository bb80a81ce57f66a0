"""Sessions end by themselves: at their time limit, and once nobody has been connected for a while
(the beat's task, run here as the worker runs it); the activity feed says when they started and ended."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from activity.models import ActivityEvent
from review_sessions.models import Participant, ReviewSession
from review_sessions.tasks import end_review_sessions
from tests.factories import ReviewSessionFactory
from tests.review_sessions.sockets import closed_at_once_with, joined_member, member_socket, next_of

pytestmark = pytest.mark.django_db(transaction=True)


def _ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


async def test_a_session_at_its_limit_ends_and_its_pages_hear_it() -> None:
    session = await database_sync_to_async(ReviewSessionFactory)()
    owner = await database_sync_to_async(lambda: session.started_by)()
    socket, _ = await joined_member(owner, None, session.code)
    await database_sync_to_async(ReviewSession.objects.filter(pk=session.pk).update)(ends_at=_ago(seconds=1))

    assert await database_sync_to_async(end_review_sessions)() == 1

    assert (await next_of(socket, "session.ended"))["data"] == {"reason": "limit"}
    assert (await socket.receive_output(timeout=5))["code"] == 4410
    assert await database_sync_to_async(end_review_sessions)() == 0  # once
    ended = await database_sync_to_async(ReviewSession.objects.get)(pk=session.pk)
    assert (ended.end_reason, ended.ended_at is not None) == ("limit", True)
    refused, connected, _ = await member_socket(owner, None, session.code)
    assert connected and await closed_at_once_with(refused) == 4404


@pytest.mark.django_db
def test_a_session_nobody_is_connected_to_ends_and_one_someone_is_in_goes_on(settings) -> None:
    settings.REVIEW_SESSION_IDLE_MINUTES = 10
    idle, busy, fresh = ReviewSessionFactory(), ReviewSessionFactory(), ReviewSessionFactory()
    ReviewSession.objects.filter(pk__in=[idle.pk, busy.pk]).update(created_at=_ago(minutes=30))
    Participant.objects.filter(session=idle).update(last_seen_at=_ago(minutes=11))
    Participant.objects.filter(session=busy).update(last_seen_at=_ago(seconds=20))  # its pings keep it going

    assert end_review_sessions() == 1

    assert ReviewSession.objects.get(pk=idle.pk).end_reason == "idle"
    assert ReviewSession.objects.filter(pk__in=[busy.pk, fresh.pk], ended_at__isnull=True).count() == 2
    feed = ActivityEvent.objects.filter(workspace=idle.workspace).order_by("created_at", "id")
    assert [(event.verb, event.details["session"]) for event in feed] == [
        ("session_started", idle.code),
        ("session_ended", idle.code),
    ]


@pytest.mark.django_db(transaction=True)
async def test_a_presenter_whose_pings_stopped_is_counted_away_and_the_session_pauses() -> None:
    session = await database_sync_to_async(ReviewSessionFactory)()
    owner = await database_sync_to_async(lambda: session.started_by)()
    presenter, welcome = await joined_member(owner, None, session.code)
    await presenter.send_json_to(
        {"type": "state", "data": {"playing": True, "position": 2.0, "at": welcome["server_ms"], "seek": True}}
    )
    await next_of(presenter, "state")

    # Its web process died without closing its sockets: nothing counted it out, its pings stopped.
    await database_sync_to_async(Participant.objects.filter(session=session).update)(last_seen_at=_ago(minutes=2))
    assert await database_sync_to_async(end_review_sessions)() == 0

    away = (await next_of(presenter, "presenter.away"))["data"]["state"]
    assert (away["playing"], away["position"] >= 2.0) == (False, True)
    gone = await database_sync_to_async(Participant.objects.get)(session=session)
    assert gone.open_sockets == 0 and gone.last_seen_at < _ago(minutes=1)
    await presenter.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_deleting_the_sessions_object_ends_it_for_everyone_in_it() -> None:
    session = await database_sync_to_async(ReviewSessionFactory)()
    owner = await database_sync_to_async(lambda: session.started_by)()
    socket, _ = await joined_member(owner, None, session.code)

    await database_sync_to_async(lambda: session.comparison.delete())()

    assert (await next_of(socket, "session.ended"))["data"] == {"reason": "gone"}
    assert (await socket.receive_output(timeout=5))["code"] == 4410
