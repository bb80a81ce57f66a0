"""bench/session_flood.py run small: seven guests flood a session of four seats on a served site (one
daphne and a Celery worker, as the bench runs), then sockets churn against a code that does not
exist. What must hold whatever the machine's speed: no probe answered 5xx or left unanswered, the
four welcomed guests closed for flooding, the other three told the session is full, and nobody left
counted connected. The timing goals are the bench's."""

from __future__ import annotations

import subprocess

import pytest

from bench.session_flood import CLOSE_FLOODING, fill, flood, goals, measure
from devtools.processes import celery_worker, daphne_process

SEATS = 4
GUESTS = 7


@pytest.mark.worker
def test_a_small_flood_is_closed_the_extra_guests_are_told_full_and_nobody_stays_counted(transactional_db) -> None:
    target = fill()
    env = {"REVIEW_SESSION_MAX_PARTICIPANTS": str(SEATS), "API_RATE_LIMIT": "100000/min"}

    with celery_worker(), daphne_process(env, stdout=subprocess.DEVNULL) as (base, web):
        run = flood(
            base, target, guests=GUESTS, seconds=4, churn=5, churn_s=1, warm_s=0.5, after_s=0.5, web_pid=web.pid
        )

    figures = measure(run)
    assert figures.guest_ends == {
        f"closed for flooding ({CLOSE_FLOODING})": SEATS,
        "told the session is full (4403)": GUESTS - SEATS,
    }, figures.guest_ends
    assert figures.most_counted_connected == SEATS and figures.connected_at_end == 0
    assert sum(figures.churn_ends.values()) > 0 and set(figures.churn_ends) == {"closed 4404"}
    assert all(figures.phases[phase].count > 0 for phase in ("warm", "flood", "churn", "after"))
    met = {row.goal: row.met for row in goals(figures, guests=GUESTS, max_participants=SEATS)}
    assert met["no 5xx and no probe unanswered in any phase"], figures.phases
    assert met[f"every guest beyond the {SEATS} seats told the session is full"]
