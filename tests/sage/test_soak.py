"""The soak test's short run (bench/soak.py; issue 49, part 7): 25 s of the real mix of traffic on
two web processes and a Celery worker, with one burst of 40 questions at once through the API.

What must hold, whatever the machine's speed: no answer is a 5xx, every request is answered (no
byte for 30 s, 60 s for an answer, is a hang on a free machine; on a busy one these stretch by how
slow it is when the run begins, devtools/pace.py), and
nothing is lost (every accepted question has exactly one finished answer, every comment is stored
once, every webhook event is credited once, every upload has its video, and every wallet equals its
ledger). The timing goals (the longest wait, the pages' recovery after a burst) are the bench's.
A burst of 16 or more questions at once emptied the web process's database pool for good before
the fix of issue 49's part 1: this test is the one that must pass once that fix is in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import Mix, soak

# Fewer people than the bench's ten minutes, the same kinds. The burst is spread over the two web
# processes: 40 puts 20 on each, past a process's pool of 16 connections (30 would put 15).
SHORT_MIX = Mix(
    browsers=4,
    api_askers=2,
    socket_askers=2,
    uploaders=1,
    guests=3,
    webhook_senders=1,
    # Slow video readers and session crowds (issue 61) are the bench's: their figure is memory.
    slow_viewers=0,
    crowd_sizes=(0, 0),
    burst_sizes=(40, 40),
    first_burst=10.0,
)


# pytest's bound on a test (300 s) is a free machine's; the people's bounds on a request stretch with
# a busy one (bench/soak_people.py), so this one does too.
@pytest.mark.timeout(1500)
@pytest.mark.worker
def test_the_real_mix_with_a_burst_of_40_questions_has_no_5xx_and_loses_nothing(
    transactional_db, tmp_path: Path
) -> None:
    result = soak(duration=25, web_processes=2, mix=SHORT_MIX, workdir=tmp_path)

    found, checks = result.figures, result.checks
    routes = {route.name: route for route in found.routes}
    assert [burst.size for burst in found.bursts] == [40]
    assert routes["burst question: API SSE /conversations/{id}"].count == 40
    assert {"page: library", "question: socket /ws/chat/{id}/", "guest: POST comment"} <= routes.keys()
    failing = [route.line for route in found.routes if route.server_errors or route.no_answer]
    assert found.server_errors == 0 and found.no_answer == 0, "\n".join(failing + result.server_errors_logged[:10])
    assert checks.nothing_lost, checks.problems[:10]
    assert checks.answered > 0 and checks.comments_stored > 0 and checks.webhooks_credited > 0
