"""A headless participant of a review session (issue 53): the socket `/ws/sessions/<code>/` spoken
from asyncio, as the session page speaks it, for the session bench and the tests.

A `Presenter` drives: its player is an ideal clock (position + elapsed × rate on its own device
clock) and it sends a state on play, pause, seek and rate, and every second while playing, as the
page does. A `Follower` holds a `SimulatedPlayer` and applies the contract's Client sync rules to
it with the same constants as the page (static/js/session/clock.js and follow.js): clock pings
(every 250 ms for 2 s, then every 2 s; offset = median of the 5 lowest-rtt of the last 15; the
welcome's server time before the first pong), a tick every 250 ms and at once on a state, a jump on
a seek, a play/pause change or an error over three frames (paused: on another frame), none while
the player still decodes a jump, otherwise a timed catch-up: the rate changed by at most ±50 % for
as long as makes the error up, then the session's rate again. Each
participant's device clock may be skewed (an offset and a drift) to show that the clock alignment,
not a shared clock, keeps followers in step; a `Jitter` delays every frame each way by a random
20–80 ms, order kept, as a jittery network would.

Followers record what a bench needs: (wall time, player position) samples each tick, and the wall
time of every jump with the `seq` of the state that caused it. The wall clock (`time.time()`) is
the one truth every participant of one process shares; the skewed clocks are what each
participant believes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import statistics
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import websockets

# The Client sync constants of the contract; the page's module uses the same ones.
PING_FAST_S = 0.25
PING_FAST_FOR_S = 2.0
PING_SLOW_S = 2.0
PING_SAMPLES = 15
PING_BEST = 5
TICK_S = 0.25
FRAME_S = 1 / 25  # a follower's frame length unless told its video's
JUMP_FRAMES = 3
LOCKED_FRAMES = 0.4
CATCH_UP_LIMIT = 0.5
CATCH_UP_S = 0.15
PRESENTER_REPEAT_S = 1.0


def wall_ms() -> float:
    """The shared truth of one process: server and participants run on the same machine's clock."""
    return time.time() * 1000


@dataclass(frozen=True)
class DeviceClock:
    """What one participant's `Date.now()` reads: the wall clock off by `offset_ms` and running
    `drift_ppm` fast (a real device's crystal drifts tens of ppm)."""

    offset_ms: float = 0.0
    drift_ppm: float = 0.0
    origin_ms: float = field(default_factory=wall_ms)

    def at(self, wall: float) -> float:
        return wall + self.offset_ms + (wall - self.origin_ms) * self.drift_ppm * 1e-6

    def now(self) -> float:
        return self.at(wall_ms())

    @classmethod
    def skewed(cls, rng: random.Random, *, max_offset_ms: float = 2000.0, drift_ppm: float = 50.0) -> DeviceClock:
        """A clock off by up to ±`max_offset_ms`, drifting ±`drift_ppm`."""
        return cls(offset_ms=rng.uniform(-max_offset_ms, max_offset_ms), drift_ppm=rng.choice((-1, 1)) * drift_ppm)


class ClockSync:
    """NTP-style alignment to the server's clock from `clock.ping`/`clock.pong` round trips: the
    median offset of the lowest-rtt samples, since a delayed frame skews one way and short trips
    are the ones that were not."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=PING_SAMPLES)  # (rtt, offset) ms
        self.guess_ms = 0.0

    def add(self, t0: float, t1: float, t2: float, t3: float) -> None:
        offset = ((t1 - t0) + (t2 - t3)) / 2
        rtt = (t3 - t0) - (t2 - t1)
        self.samples.append((rtt, offset))

    @property
    def offset_ms(self) -> float:
        best = sorted(self.samples)[:PING_BEST]
        return statistics.median(offset for _, offset in best) if best else self.guess_ms


@dataclass(frozen=True)
class State:
    """A session's playback state as the socket sends it (`at`: server ms at which `position` was true)."""

    playing: bool
    position: float
    rate: float
    at: float
    seq: int = 0
    seek: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> State:
        return cls(
            playing=bool(data["playing"]),
            position=float(data["position"]),
            rate=float(data["rate"]),
            at=float(data["at"]),
            seq=int(data.get("seq") or 0),
            seek=bool(data.get("seek")),
        )

    def target(self, server_ms: float) -> float:
        """Where a follower's player should be at server time `server_ms`."""
        if not self.playing:
            return self.position
        return self.position + (server_ms - self.at) / 1000 * self.rate


def catch_up(error_s: float, rate: float, frame_s: float = FRAME_S) -> tuple[float, float]:
    """The playback rate that makes `error_s` (player minus target) up, and for how long (s): changed
    by error / 0.15 s, never more than ±50 % off the session's rate (then for longer); the session's
    rate (for 0 s) within 0.4 of a frame."""
    if abs(error_s) <= LOCKED_FRAMES * frame_s:
        return rate, 0.0
    change = min(abs(error_s) / CATCH_UP_S, CATCH_UP_LIMIT)
    return rate * (1 - math.copysign(change, error_s)), abs(error_s) / (change * rate)


class SimulatedPlayer:
    """A media element reduced to its clock: position + elapsed × playbackRate, elapsed on the
    device's clock. `decode_ms` is how long a jump may take before frames flow again (a real
    player decodes from the previous key frame): the position holds still for a random 0..decode_ms
    after each jump, so a follower has to make that up by nudging, as a browser does."""

    def __init__(self, clock: DeviceClock, *, decode_ms: float = 0.0, rng: random.Random | None = None) -> None:
        self.clock = clock
        self.decode_ms = decode_ms
        self.rng = rng or random.Random()  # noqa: S311 - decode stalls, not secrets
        self.playing = False
        self.rate = 1.0
        self._position = 0.0
        self._anchor = clock.now()  # device ms at which _position was true
        self._stalled_until = self._anchor
        self._back: tuple[float, float] | None = None  # (device ms, rate): a catch-up's end

    def settling(self, device_ms: float) -> bool:
        """Still decoding after a jump (a media element's `seeking`): the page leaves it alone."""
        return self.playing and device_ms < self._stalled_until

    def position(self, device_ms: float | None = None) -> float:
        now = self.clock.now() if device_ms is None else device_ms
        if not self.playing:
            return self._position
        running_since = max(self._anchor, self._stalled_until)
        if self._back is not None and now > self._back[0]:
            back_at, back_rate = self._back
            before = max(0.0, back_at - running_since) / 1000 * self.rate
            return self._position + before + max(0.0, now - max(back_at, running_since)) / 1000 * back_rate
        return self._position + max(0.0, now - running_since) / 1000 * self.rate

    def _take_back(self, device_ms: float) -> None:
        # A catch-up that has ended: its rate's stretch becomes the past.
        if self._back is not None and device_ms >= self._back[0]:
            back_at, back_rate = self._back
            self._position = self.position(back_at)
            self._anchor = max(back_at, self._anchor)
            self.rate = back_rate
        self._back = None

    def set_rate(self, rate: float, device_ms: float, *, for_ms: float = 0.0, then: float | None = None) -> None:
        """Play at `rate` from `device_ms` (for `for_ms`, then at `then`: a timed catch-up)."""
        self._take_back(device_ms)
        if not self.playing or device_ms > self._stalled_until:
            self._position = self.position(device_ms)
            self._anchor = device_ms
        # (while stalled after a jump the position has not moved yet: it starts at the new rate)
        self.rate = rate
        if for_ms > 0 and then is not None:
            self._back = (max(device_ms, self._stalled_until) + for_ms, then)

    def jump(self, position: float, *, playing: bool, device_ms: float) -> None:
        self._back = None
        self._position = position
        self._anchor = device_ms
        self.playing = playing
        self._stalled_until = device_ms + (self.rng.uniform(0, self.decode_ms) if self.decode_ms else 0.0)


@dataclass(frozen=True)
class Jitter:
    """Each frame each way held back a uniform random `low_ms`..`high_ms`, order kept per direction."""

    low_ms: float = 20.0
    high_ms: float = 80.0

    def delay_s(self, rng: random.Random) -> float:
        return rng.uniform(self.low_ms, self.high_ms) / 1000


class JitteredLink:
    """A websocket with optional per-frame delay both ways. Each direction is a FIFO queue: a frame
    waits its own random delay and never overtakes the one before it, as on one TCP connection."""

    def __init__(self, socket: websockets.ClientConnection, jitter: Jitter | None, rng: random.Random) -> None:
        self.socket = socket
        self.jitter = jitter
        self.rng = rng
        self._outbox: asyncio.Queue[tuple[float, bool, str]] = asyncio.Queue()
        self._inbox: asyncio.Queue[tuple[float, float, str | None]] = asyncio.Queue()
        # Wall ms at which each state frame really left (after its delay), in order: what the
        # server saw, to tell the link's share of a delay from the server's.
        self.states_sent_ms: deque[float] = deque()
        self.received_ms = 0.0  # wall ms at which the frame `receive` last gave reached the socket
        self._tasks = [asyncio.ensure_future(self._send_loop()), asyncio.ensure_future(self._read_loop())]

    def _due(self) -> float:
        return time.monotonic() + (self.jitter.delay_s(self.rng) if self.jitter else 0.0)

    async def send(self, message: Mapping[str, Any]) -> None:
        await self._outbox.put((self._due(), message.get("type") == "state", json.dumps(message)))

    async def _send_loop(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                due, is_state, text = await self._outbox.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if is_state:
                    self.states_sent_ms.append(wall_ms())
                await self.socket.send(text)

    async def _read_loop(self) -> None:
        try:
            async for frame in self.socket:
                text = frame if isinstance(frame, str) else frame.decode()
                await self._inbox.put((self._due(), wall_ms(), text))
        except websockets.ConnectionClosed:
            pass
        finally:
            await self._inbox.put((time.monotonic(), wall_ms(), None))

    async def receive(self) -> dict[str, Any] | None:
        """The next frame, once its delay has passed; None once the socket closed."""
        due, arrived, text = await self._inbox.get()
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if text is None:
            await self._inbox.put((due, arrived, None))  # later callers see the close too
            return None
        self.received_ms = arrived
        message: dict[str, Any] = json.loads(text)
        return message

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.socket.close()


@dataclass(frozen=True)
class Sample:
    """A follower's player position at a wall time, and the seq of the state it was following."""

    wall_ms: float
    position: float
    seq: int


@dataclass(frozen=True)
class Jump:
    """A follower's jump: when (wall ms), to which state's `seq`, and whether that state was a seek."""

    wall_ms: float
    seq: int
    seek: bool


class Participant:
    """One socket of a session: connect, hello, clock pings, and a loop handing frames to `on_frame`."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        hello: Mapping[str, Any] | None = None,
        clock: DeviceClock | None = None,
        jitter: Jitter | None = None,
        seed: int | None = None,
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.hello = {"type": "hello", **(hello or {})}
        self.clock = clock or DeviceClock()
        self.jitter = jitter
        self.rng = random.Random(seed)  # noqa: S311 - network delays, not secrets; seeded so runs compare
        self.sync = ClockSync()
        self.me: dict[str, Any] = {}
        self.session: dict[str, Any] = {}
        self.state: State | None = None
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.state_arrived_ms: dict[int, float] = {}  # a state's seq -> wall ms it reached this socket
        self._link: JitteredLink | None = None
        self._tasks: list[asyncio.Future[Any]] = []
        self._pings: dict[int, float] = {}
        self._welcomed = asyncio.Event()

    def server_now(self) -> float:
        """This participant's estimate of the server's clock."""
        return self.clock.now() + self.sync.offset_ms

    async def start(self, *, timeout: float = 30.0) -> None:
        """Connect, say hello and wait for `welcome` (with a first clock estimate under way)."""
        socket = await websockets.connect(self.url, additional_headers=self.headers, open_timeout=timeout)
        self._link = JitteredLink(socket, self.jitter, self.rng)
        await self._link.send(self.hello)
        self._tasks = [asyncio.ensure_future(self._read_loop()), asyncio.ensure_future(self._ping_loop())]
        await asyncio.wait_for(self._welcomed.wait(), timeout)

    async def settle(self, seconds: float = PING_FAST_FOR_S) -> None:
        """Wait out the fast pings after connecting, when the clock estimate is made."""
        await asyncio.sleep(seconds)

    async def send(self, message: Mapping[str, Any]) -> None:
        assert self._link is not None, "start() first"
        await self._link.send(message)

    async def stop(self, *, bye: bool = True) -> None:
        if self._link is not None and bye and not self.closed.is_set():
            await self._link.send({"type": "bye"})
            await asyncio.sleep((self.jitter.high_ms / 1000 if self.jitter else 0) + 0.05)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._link is not None:
            await self._link.close()
            self.close_code = self._link.socket.close_code
        self.closed.set()

    async def _ping_loop(self) -> None:
        started = time.monotonic()
        number = 0
        while True:
            number += 1
            t0 = self.clock.now()
            self._pings[number] = t0
            await self.send({"type": "clock.ping", "id": number, "t0": t0})
            fast = time.monotonic() - started < PING_FAST_FOR_S
            await asyncio.sleep(PING_FAST_S if fast else PING_SLOW_S)

    async def _read_loop(self) -> None:
        assert self._link is not None
        while (message := await self._link.receive()) is not None:
            kind = message.get("type")
            data = message.get("data") or {}
            if kind == "clock.pong":
                t3 = self.clock.now()
                if self._pings.pop(int(message["id"]), None) is not None:
                    self.sync.add(float(message["t0"]), float(message["t1"]), float(message["t2"]), t3)
            elif kind == "welcome":
                if not self.sync.samples:  # before any pong, as the page: the welcome's time, one way late
                    self.sync.guess_ms = float(data["server_ms"]) - self.clock.now()
                self.me = data["you"]
                self.session = data["session"]
                self.on_state(State.from_json({**data["session"]["state"], "seek": True}))
                self._welcomed.set()
            elif kind == "state":
                self.state_arrived_ms[int(data["seq"])] = self._link.received_ms
                self.on_state(State.from_json(data))
            elif kind in ("presenter.away", "presenter.back"):
                self.on_state(State.from_json({**data["state"], "seek": True}))
            self.on_frame(message)
        self.close_code = self._link.socket.close_code
        self.closed.set()

    def on_state(self, state: State) -> None:
        self.state = state

    def on_frame(self, message: Mapping[str, Any]) -> None:
        """Any frame, after the built-in handling (subclasses keep what they need)."""


@dataclass(frozen=True)
class Change:
    """A change the presenter made (play, pause, seek, rate) and the wall ms it made it at."""

    wall_ms: float
    kind: str


@dataclass(frozen=True)
class Stretch:
    """A stretch of the presenter's ideal playhead, from device ms `since`."""

    since: float
    position: float
    rate: float
    playing: bool

    def at(self, device_ms: float) -> float:
        return self.position + (device_ms - self.since) / 1000 * self.rate if self.playing else self.position


class Presenter(Participant):
    """Drives the session: its own player is ideal (it plays exactly at its rate on its device's
    clock) and `ideal(wall_ms)` is where it was at any wall time, the clock followers are measured
    against. States go out as the page sends them: on every change, and every second while playing."""

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.timeline: list[Stretch] = [Stretch(self.clock.now(), 0.0, 1.0, False)]
        self.sent: list[tuple[float, dict[str, Any]]] = []  # (wall ms, data) per state sent, in order
        self.seq_sent_at: dict[int, float] = {}  # a state's seq -> wall ms it was sent
        self.seq_left_at: dict[int, float] = {}  # a state's seq -> wall ms it left the socket (after its delay)
        self.changes: list[Change] = []
        self.difference: int | None = None
        self.threshold: float | None = None
        self._repeater: asyncio.Future[None] | None = None
        self._echoes: deque[float] = deque()

    def ideal(self, wall: float) -> float:
        device = self.clock.at(wall)
        for stretch in reversed(self.timeline):
            if stretch.since <= device:
                return stretch.at(device)
        return self.timeline[0].at(device)

    @property
    def now(self) -> Stretch:
        return self.timeline[-1]

    async def start(self, *, timeout: float = 30.0) -> None:
        await super().start(timeout=timeout)
        self._repeater = asyncio.ensure_future(self._repeat_loop())
        self._tasks.append(self._repeater)

    async def _change(self, kind: str, *, position: float, rate: float, playing: bool, seek: bool) -> None:
        device = self.clock.now()
        self.timeline.append(Stretch(device, position, rate, playing))
        change = Change(wall_ms(), kind)
        self.changes.append(change)
        await self._send_state(seek=seek, wall=change.wall_ms)

    def change_seq(self, change: Change) -> int | None:
        """The seq the server gave the state that carried `change` (None before its echo came back)."""
        return next((seq for seq, sent in self.seq_sent_at.items() if sent == change.wall_ms), None)

    async def _send_state(self, *, seek: bool, wall: float | None = None) -> None:
        device = self.clock.now()
        stretch = self.now
        data = {
            "playing": stretch.playing,
            "position": stretch.at(device),
            "rate": stretch.rate,
            "difference": self.difference,
            "threshold": self.threshold,
            "at": device + self.sync.offset_ms,
            "seek": seek,
        }
        sent_wall = wall_ms() if wall is None else wall
        self.sent.append((sent_wall, data))
        self._echoes.append(sent_wall)
        await self.send({"type": "state", "data": data})

    def on_frame(self, message: Mapping[str, Any]) -> None:
        # The server echoes the presenter's states in the order sent (one connection): the echo
        # carries the seq that followers' jumps name.
        if message.get("type") == "state" and message["data"].get("by") == self.me.get("id") and self._echoes:
            seq = int(message["data"]["seq"])
            self.seq_sent_at[seq] = self._echoes.popleft()
            assert self._link is not None
            if self._link.states_sent_ms:
                self.seq_left_at[seq] = self._link.states_sent_ms.popleft()

    async def _repeat_loop(self) -> None:
        while True:
            await asyncio.sleep(PRESENTER_REPEAT_S)
            if self.now.playing:
                await self._send_state(seek=False)

    async def play(self) -> None:
        await self._change("play", position=self.now.at(self.clock.now()), rate=self.now.rate, playing=True, seek=False)

    async def pause(self) -> None:
        await self._change(
            "pause", position=self.now.at(self.clock.now()), rate=self.now.rate, playing=False, seek=False
        )

    async def seek(self, position: float) -> None:
        await self._change("seek", position=position, rate=self.now.rate, playing=self.now.playing, seek=True)

    async def set_rate(self, rate: float) -> None:
        await self._change(
            "rate", position=self.now.at(self.clock.now()), rate=rate, playing=self.now.playing, seek=False
        )


class Follower(Participant):
    """Follows the presenter with a simulated player under the Client sync rules."""

    def __init__(self, url: str, *, decode_ms: float = 0.0, frame_s: float = FRAME_S, **options: Any) -> None:
        super().__init__(url, **options)
        self.frame_s = frame_s
        self.player = SimulatedPlayer(self.clock, decode_ms=decode_ms, rng=self.rng)
        self.samples: list[Sample] = []
        self.measured: list[tuple[float, float]] = []  # (wall ms, the error this follower believes, s)
        self.jumps: list[Jump] = []
        self.must_jump = True
        self.catching_until = 0.0  # device ms: a timed catch-up under way till then
        self._ticker: asyncio.Future[None] | None = None

    async def start(self, *, timeout: float = 30.0) -> None:
        await super().start(timeout=timeout)
        self._ticker = asyncio.ensure_future(self._tick_loop())
        self._tasks.append(self._ticker)

    def on_state(self, state: State) -> None:
        super().on_state(state)
        if state.seek:
            self.must_jump = True  # until applied: a tick while the player decodes leaves it pending
        self.correct()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            wall = wall_ms()
            seq = self.state.seq if self.state else -1
            self.samples.append(Sample(wall, self.player.position(self.clock.at(wall)), seq))
            self.correct()

    def correct(self) -> None:
        """One step of the sync rules against the current state, as the page's tick."""
        state = self.state
        if state is None:
            return
        device = self.clock.now()
        target = state.target(device + self.sync.offset_ms)
        error = self.player.position(device) - target
        self.measured.append((wall_ms(), error))
        if self.player.settling(device):
            return
        must_jump = self.must_jump or state.playing != self.player.playing
        frame = self.frame_s
        paused_off = not state.playing and int((target + 0.001) // frame) != int((target + error + 0.001) // frame)
        if must_jump or paused_off or abs(error) > JUMP_FRAMES * frame:
            self.must_jump = False
            self.player.jump(target, playing=state.playing, device_ms=device)
            self.player.set_rate(state.rate, device)
            self.catching_until = 0.0
            self.jumps.append(Jump(wall_ms(), state.seq, state.seek))
            return
        if device < self.catching_until:
            return  # the catch-up ends by itself (the player goes back to the session's rate)
        rate, for_s = catch_up(error, state.rate, frame)
        self.player.set_rate(rate, device, for_ms=for_s * 1000, then=state.rate)
        self.catching_until = device + for_s * 1000
