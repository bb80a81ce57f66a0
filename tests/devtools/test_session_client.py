"""The headless session participant the session bench measures with (devtools/session_client.py):
its sync rules alone, then a follower whose device clock is 1.5 s off and drifting, against a real
daphne session over a jittered link."""

from __future__ import annotations

import asyncio
import random

import pytest
from django.test import Client

from devtools.session_client import (
    ClockSync,
    DeviceClock,
    Follower,
    Jitter,
    Presenter,
    SimulatedPlayer,
    State,
    catch_up,
    wall_ms,
)
from tests.factories import MembershipFactory, TeamWorkspaceFactory, VideoFactory
from workspaces.current import SESSION_KEY
from workspaces.models import Role

SKEW_MS = 1500.0


def test_a_catch_up_changes_the_rate_at_most_by_half_for_as_long_as_makes_the_error_up() -> None:
    assert catch_up(0.015, 1.5) == (1.5, 0.0)  # 25 fps: within 0.4 of a frame (16 ms), the session's rate
    rate, seconds = catch_up(0.03, 1.0)  # ahead: slower, for 0.15 s
    assert rate == pytest.approx(0.8) and seconds == pytest.approx(0.15)
    rate, seconds = catch_up(-0.03, 1.0)  # behind: faster
    assert rate == pytest.approx(1.2) and seconds == pytest.approx(0.15)
    rate, seconds = catch_up(0.12, 2.0)  # never more than 50 %: then for longer
    assert rate == pytest.approx(1.0) and seconds == pytest.approx(0.12)
    assert (rate - 2.0) * seconds == pytest.approx(-0.12)  # exactly the error made up


def test_a_timed_catch_up_goes_back_to_the_sessions_rate_by_itself() -> None:
    clock = DeviceClock(offset_ms=0.0)
    player = SimulatedPlayer(clock)
    now = clock.now()
    player.jump(10.0, playing=True, device_ms=now)
    player.set_rate(1.5, now, for_ms=200.0, then=1.0)
    assert player.position(now + 200) == pytest.approx(10.3)
    assert player.position(now + 1200) == pytest.approx(11.3)  # back at 1.0 after the 0.2 s


def test_the_clock_offset_comes_from_the_quickest_round_trips() -> None:
    sync = ClockSync()
    # A device 1,000 ms behind the server; most trips were slowed one way (the offset they give is
    # off by half the delay), five were quick.
    for slow in range(10):
        sync.add(t0=0.0, t1=1000.0 + 60 + slow, t2=1000.0 + 61 + slow, t3=70.0 + slow)
    for quick in range(5):
        sync.add(t0=0.0, t1=1001.0, t2=1001.0, t3=2.0 + quick * 0.1)
    assert sync.offset_ms == pytest.approx(1000.0, abs=1.0)


def test_a_player_plays_at_its_rate_on_its_own_clock_and_holds_still_while_decoding_a_jump() -> None:
    clock = DeviceClock(offset_ms=0.0)
    player = SimulatedPlayer(clock, decode_ms=100.0, rng=random.Random(1))
    now = clock.now()
    player.jump(10.0, playing=True, device_ms=now)
    stall = player._stalled_until - now
    assert 0 <= stall <= 100
    assert player.position(now + stall) == 10.0
    player.set_rate(2.0, now + stall)
    assert player.position(now + stall + 500) == pytest.approx(11.0)


def test_a_state_gives_the_target_at_a_server_time() -> None:
    state = State(playing=True, position=5.0, rate=1.5, at=1_000_000.0)
    assert state.target(1_002_000.0) == pytest.approx(8.0)
    assert State(playing=False, position=5.0, rate=1.5, at=0.0).target(9e12) == 5.0


def test_a_follower_jumps_on_a_seek_once_its_player_has_decoded_and_catches_up_a_small_error() -> None:
    clock = DeviceClock()
    follower = Follower("ws://unused/", clock=clock, decode_ms=10_000.0, seed=3)  # never connected
    follower.player.rng = random.Random(0)  # a stall of several seconds: still decoding below
    now = wall_ms()
    follower.on_state(State(playing=True, position=10.0, rate=1.0, at=now, seq=1, seek=True))
    assert [jump.seq for jump in follower.jumps] == [1]
    assert follower.player.settling(clock.now())
    follower.on_state(State(playing=True, position=50.0, rate=1.0, at=now, seq=2, seek=True))
    assert [jump.seq for jump in follower.jumps] == [1], "no jump while the player decodes"
    follower.player.decode_ms = 0.0
    follower.player._stalled_until = clock.now()
    follower.correct()
    assert [jump.seq for jump in follower.jumps] == [1, 2], "the pending seek is applied once decoded"
    # 30 ms behind a playing presenter: no jump, a catch-up (faster, at most by half).
    ahead = State(playing=True, position=follower.player.position() + 0.03, rate=1.0, at=clock.now(), seq=3)
    follower.on_state(ahead)
    assert len(follower.jumps) == 2
    assert 1.0 < follower.player.rate <= 1.5
    # Paused 30 ms off is left alone… 60 ms off is put there (no rate makes up a paused error).
    here = follower.player.position()
    follower.on_state(State(playing=False, position=here, rate=1.0, at=clock.now(), seq=4))
    assert len(follower.jumps) == 3 and not follower.player.playing
    follower.on_state(State(playing=False, position=here + 0.03, rate=1.0, at=clock.now(), seq=5))
    assert len(follower.jumps) == 3
    follower.on_state(State(playing=False, position=here + 0.06, rate=1.0, at=clock.now(), seq=6))
    assert len(follower.jumps) == 4 and follower.player.position() == pytest.approx(here + 0.06)


def signed_in(user, workspace_id: int) -> str:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = workspace_id
    session.save()
    return str(session.session_key)


def test_a_follower_with_a_skewed_clock_converges_on_the_presenter_and_applies_a_seek(site_url: str) -> None:
    studio = TeamWorkspaceFactory()
    director = studio.created_by
    reviewer = MembershipFactory(workspace=studio, role=Role.COMMENTER).user
    video = VideoFactory(owner=director, workspace=studio, ready=True, title="Cut 3")
    starter = Client()
    starter.force_login(director)
    session = starter.session
    session[SESSION_KEY] = studio.pk
    session.save()
    made = starter.post("/api/v1/sessions", {"video": video.pk}, content_type="application/json")
    assert made.status_code == 201, made.content
    url = site_url.replace("http://", "ws://") + f"/ws/sessions/{made.json()['code']}/"

    def headers(cookie: str) -> dict[str, str]:
        return {"Cookie": f"sessionid={cookie}", "Origin": site_url}

    director_cookie, reviewer_cookie = signed_in(director, studio.pk), signed_in(reviewer, studio.pk)

    async def review() -> tuple[Presenter, Follower, int]:
        jitter = Jitter()
        presenter = Presenter(url, headers=headers(director_cookie), jitter=jitter, seed=1)
        follower = Follower(
            url,
            headers=headers(reviewer_cookie),
            clock=DeviceClock(offset_ms=SKEW_MS, drift_ppm=50.0),
            jitter=jitter,
            decode_ms=40.0,
            seed=2,
        )
        await presenter.start()
        await follower.start()
        await follower.settle()
        await presenter.play()
        await asyncio.sleep(3.0)
        await presenter.seek(40.0)
        seek = len(presenter.changes) - 1
        await asyncio.sleep(3.0)
        await follower.stop()
        await presenter.stop()
        seq = presenter.change_seq(presenter.changes[seek])
        assert seq is not None, "the presenter's seek never came back from the server"
        return presenter, follower, seq

    presenter, follower, seek_seq = asyncio.run(review())

    # The follower believes the server's clock within a few ms, though its own is 1.5 s off.
    assert abs(follower.server_now() - wall_ms()) < 30
    # The seek was applied (a jump to that state), and the player played on from 40 s.
    assert any(jump.seq == seek_seq and jump.seek for jump in follower.jumps)
    # In step after settling: the last second before the seek, and the last second of the run.
    seek_wall = presenter.changes[-1].wall_ms
    end_wall = follower.samples[-1].wall_ms
    settled = [
        sample
        for sample in follower.samples
        if seek_wall - 1000 <= sample.wall_ms < seek_wall or sample.wall_ms >= end_wall - 1000
    ]
    assert settled
    errors = [abs(sample.position - presenter.ideal(sample.wall_ms)) for sample in settled]
    assert max(errors) < 0.1, errors
    assert follower.samples[-1].position > 41.0
