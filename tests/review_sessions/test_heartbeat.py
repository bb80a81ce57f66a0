"""Who is connected is kept by the web process that holds their sockets (`review_sessions.heartbeat`),
not by their pages' clock pings (a background tab's timers slow to once a minute): a quiet page stays
in, and a presenter whose process died is counted away within 45 s (stale after 30 s, swept every 15 s)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from review_sessions import heartbeat
from review_sessions.models import Participant
from review_sessions.tasks import count_out_quiet_participants
from tests.factories import ReviewSessionFactory
from tests.review_sessions.sockets import joined_member, next_of

pytestmark = pytest.mark.django_db(transaction=True)


def _last_seen_at(participant_id: int) -> tuple[datetime, int]:
    row = Participant.objects.get(pk=participant_id)
    return row.last_seen_at, row.open_sockets


async def test_a_page_that_sends_nothing_stays_connected_while_its_process_holds_its_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heartbeat, "HEARTBEAT_S", 0.1)
    session = await database_sync_to_async(ReviewSessionFactory)()
    owner = await database_sync_to_async(lambda: session.started_by)()
    socket, welcome = await joined_member(owner, None, session.code)
    me = welcome["you"]["id"]
    long_ago = timezone.now() - timedelta(minutes=5)
    await database_sync_to_async(Participant.objects.filter(pk=me).update)(last_seen_at=long_ago)

    # No clock pings at all (a tab in the background): the process's heartbeat keeps it seen.
    for _ in range(100):
        seen, _ = await database_sync_to_async(_last_seen_at)(me)
        if seen > long_ago:
            break
        await asyncio.sleep(0.05)

    assert await database_sync_to_async(count_out_quiet_participants)() == 0
    assert (await database_sync_to_async(_last_seen_at)(me))[1] == 1
    await socket.disconnect()


async def test_a_presenter_no_process_keeps_seen_for_30_s_is_counted_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heartbeat, "HEARTBEAT_S", 3600.0)  # this process's beat stays out of the way
    session = await database_sync_to_async(ReviewSessionFactory)()
    owner = await database_sync_to_async(lambda: session.started_by)()
    presenter, welcome = await joined_member(owner, None, session.code)
    me = welcome["you"]["id"]
    # Its process died 31 s ago: nothing refreshed it since.
    quiet = timezone.now() - timedelta(seconds=31)
    await database_sync_to_async(Participant.objects.filter(pk=me).update)(last_seen_at=quiet)

    assert await database_sync_to_async(count_out_quiet_participants)() == 1

    assert (await next_of(presenter, "presenter.away"))["data"]["state"]["playing"] is False
    assert (await database_sync_to_async(_last_seen_at)(me))[1] == 0
    await presenter.disconnect()


def test_the_sweep_runs_every_15_s() -> None:
    [entry] = [
        one
        for one in settings.CELERY_BEAT_SCHEDULE.values()
        if one["task"] == "review_sessions.tasks.count_out_quiet_participants"
    ]
    schedule = entry["schedule"]
    assert isinstance(schedule, timedelta) and schedule <= timedelta(seconds=15)
