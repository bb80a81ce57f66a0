"""bench/session_crowd.py run smaller: 150 people, members and link guests in turn, join one session
of 40 seats within a second on a served site (one daphne, as the bench runs it). What must hold
whatever the machine's speed: every one is answered, welcomed or told the session is full, nobody's
socket is dropped unanswered, exactly the 40 seats are welcomed (never more counted connected), and
the server sends nothing on a socket already closed. The 2 s goal is the bench's."""

from __future__ import annotations

import subprocess
import tempfile

from bench.session_crowd import CLOSED_PROTOCOL, fill, join_crowd, measure
from devtools.processes import daphne_process

SEATS = 40
PEOPLE = 150


def test_a_crowd_joining_at_once_is_each_welcomed_or_told_full_and_the_seats_hold(transactional_db) -> None:
    crowd = fill(members=PEOPLE // 2)
    env = {"REVIEW_SESSION_MAX_PARTICIPANTS": str(SEATS), "API_RATE_LIMIT": "100000/min"}

    with tempfile.TemporaryFile() as server_log:
        with daphne_process(env, stdout=subprocess.DEVNULL, stderr=server_log) as (base, _web):
            figures = measure(join_crowd(base, crowd, people=PEOPLE, within_s=1.0))
        server_log.seek(0)
        log = server_log.read().decode(errors="replace")

    assert figures.unanswered == {}, figures.unanswered
    assert (figures.welcomed, figures.told_full) == (SEATS, PEOPLE - SEATS)
    assert 0 < figures.most_counted <= SEATS
    assert CLOSED_PROTOCOL not in log
