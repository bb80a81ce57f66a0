"""Followers against the presenter's picture (issue 62, part 4), for bench/session.py.

Three Chromium pages on one video session: the presenter's page, whose player the script uses as a
person would (a seek, play, pause, a rate), and two followers. The video shows each frame's number in
its pixels; every page records each frame it presents (devtools/session_picture.py), so which frame
each page showed at any instant is known, and a follower is compared with what the presenter's
screen showed at the same instant, not with what the presenter announced.

Figures, per presenter action: the time from the action until every follower is within one frame of
the presenter and stays so (for the next SETTLE_LOOK_S, or until the next action); and, while the
presenter plays more than STEADY_AFTER_S after a change, each follower's frame difference (p50,
p95, max, and the share within one frame); paused, the share of instants on the very frame.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from devtools.session_picture import READ_CALLS, READ_RECORD, Shown, recorder_script, shown_frames

GRID_MS = 5.0  # the instants at which pages are compared
SETTLE_LOOK_S = 2.0  # an action has settled once every follower is within a frame for this long
STEADY_AFTER_S = 2.0
GOAL_SETTLE_MS = 500.0
GOAL_STEADY_FRAMES = 1

# What the person does on the presenter's page: the <video>'s own controls, as its keys and buttons do.
ACT = """([action, value]) => {
  const video = document.querySelector("video.player");
  const at = performance.timeOrigin + performance.now();
  if (action === "play") video.play();
  else if (action === "pause") video.pause();
  else if (action === "seek") video.currentTime = value;
  else if (action === "rate") video.playbackRate = value;
  return at;
}"""


@dataclass(frozen=True)
class PictureStep:
    """After `wait_s` from the step before, the presenter does `action` (with `value`)."""

    wait_s: float
    action: str  # play | pause | seek | rate
    value: float = 0.0


def picture_script(quick: bool) -> list[PictureStep]:
    """Play, seeks while playing, a rate and back, pause, a seek while paused, play and pause; each
    change held long enough for STEADY_AFTER_S of steady play after it. Inside a 60 s video."""
    hold = 3.5 if quick else 5.0
    seeks = (20.0, 8.0) if quick else (20.0, 8.0, 40.0, 30.0)
    return [
        PictureStep(0.0, "play"),
        *(PictureStep(hold, "seek", position) for position in seeks),
        PictureStep(hold, "rate", 1.5),
        PictureStep(hold, "rate", 1.0),
        PictureStep(hold, "pause"),
        PictureStep(3.0, "seek", 12.0),
        PictureStep(3.0, "play"),
        PictureStep(hold, "pause"),
        PictureStep(3.0, "end"),
    ]


@dataclass(frozen=True)
class Action:
    kind: str  # play | pause | seek | rate ("seek" while paused: "seek paused")
    at: float  # epoch ms, on the presenter's page
    playing_after: bool


@dataclass
class PictureRun:
    actions: list[Action]
    end_ms: float
    presenter: Shown
    followers: list[Shown]
    stepped_out: int  # follower pages that stopped following by themselves
    calls: list[list[dict[str, Any]]] = field(default_factory=list)  # per page: player calls, states received


@dataclass
class PictureFigures:
    settle_ms: dict[str, list[float]] = field(default_factory=dict)  # per action kind; inf: never
    steady_frames: list[int] = field(default_factory=list)  # |follower − presenter|, playing
    paused_exact: list[bool] = field(default_factory=list)
    unread: int = 0
    media_disagrees: int = 0
    stepped_out: int = 0

    def add(self, other: PictureFigures) -> None:
        for kind, values in other.settle_ms.items():
            self.settle_ms.setdefault(kind, []).extend(values)
        self.steady_frames += other.steady_frames
        self.paused_exact += other.paused_exact
        self.unread += other.unread
        self.media_disagrees += other.media_disagrees
        self.stepped_out += other.stepped_out


async def picture_review(
    browser: Any,
    base: str,
    code: str,
    cookies: tuple[str, list[str]],
    steps: list[PictureStep],
    *,
    size: tuple[int, int],
    rate: Fraction,
    cookie_name: str,
) -> PictureRun:
    """The presenter's page and each follower's join the session; the presenter does `steps`."""
    presenter_cookie, follower_cookies = cookies
    pages = []
    for cookie in (presenter_cookie, *follower_cookies):
        context = await browser.new_context()
        await context.add_cookies([{"name": cookie_name, "value": cookie, "url": base}])
        await context.add_init_script(recorder_script(*size))
        page = await context.new_page()
        await page.goto(f"{base}/sessions/{code}/")
        await page.wait_for_function("() => document.querySelector('video.player').readyState >= 3", timeout=30_000)
        await page.locator("[data-session-join] [type=submit]").click()
        await page.wait_for_selector('[data-session][data-session-connection="online"]', timeout=30_000)
        pages.append(page)
    presenter, followers = pages[0], pages[1:]
    await asyncio.sleep(3.0)  # every clock estimate made (fast pings for 2 s)
    actions, playing = [], False
    for step in steps:
        await asyncio.sleep(step.wait_s)
        if step.action == "end":
            break
        at = await presenter.evaluate(ACT, [step.action, step.value])
        playing = {"play": True, "pause": False}.get(step.action, playing)
        kind = "seek paused" if step.action == "seek" and not playing else step.action
        actions.append(Action(kind, at, playing))
    end_ms = await presenter.evaluate("() => performance.timeOrigin + performance.now()")
    still = "() => document.querySelector('[data-session]').liveSession.following"
    following = [await page.evaluate(still) for page in followers]
    shown = [shown_frames(await page.evaluate(READ_RECORD), rate) for page in pages]
    calls = [await page.evaluate(READ_CALLS) for page in pages]
    for page in pages:
        await page.context.close()
    return PictureRun(actions, end_ms, shown[0], shown[1:], sum(not each for each in following), calls)


def picture_figures(run: PictureRun) -> PictureFigures:
    figures = PictureFigures(
        unread=run.presenter.unread + sum(each.unread for each in run.followers),
        media_disagrees=run.presenter.media_disagrees + sum(each.media_disagrees for each in run.followers),
        stepped_out=run.stepped_out,
    )
    ends = [action.at for action in run.actions[1:]] + [run.end_ms]
    for action, next_at in zip(run.actions, ends, strict=True):
        instants = np.arange(action.at, next_at, GRID_MS)
        lead = run.presenter.at_instants(instants)
        off = np.stack([np.abs(follower.at_instants(instants) - lead) for follower in run.followers])
        together = (off <= GOAL_STEADY_FRAMES).all(axis=0) & (lead >= 0)
        look = instants < action.at + SETTLE_LOOK_S * 1000
        apart = np.flatnonzero(~together & look)
        if apart.size == 0:
            settle = 0.0
        elif apart[-1] + 1 >= look.sum():
            settle = math.inf  # still apart at the end of the look
        else:
            settle = float(instants[apart[-1] + 1] - action.at)
        figures.settle_ms.setdefault(action.kind, []).append(settle)
        steady = instants >= action.at + STEADY_AFTER_S * 1000
        if action.playing_after:
            figures.steady_frames += off[:, steady].ravel().astype(int).tolist()
        else:
            figures.paused_exact += (off[:, steady] == 0).ravel().tolist()
    return figures


def settle_text(values: list[float]) -> str:
    finite = [value for value in values if math.isfinite(value)]
    never = len(values) - len(finite)
    text = f"p50 {np.median(finite):.0f} ms, max {max(finite):.0f} ms" if finite else "none settled"
    return text + (f", {never} of {len(values)} not within {SETTLE_LOOK_S:.0f} s" if never else "")


def steady_text(frames: list[int]) -> str:
    if not frames:
        return "no samples"
    array = np.asarray(frames)
    within = (array <= GOAL_STEADY_FRAMES).mean() * 100
    return (
        f"p50 {np.median(array):.0f}, p95 {np.percentile(array, 95):.0f}, max {array.max()} frames; "
        f"{within:.1f}% within one frame"
    )


def report_picture(label: str, figures: PictureFigures) -> None:
    print(f"\n{label}")
    for kind, values in figures.settle_ms.items():
        print(f"  {kind} → every follower within one frame: {settle_text(values)}")
    steady = steady_text(figures.steady_frames)
    print(f"  playing, > {STEADY_AFTER_S:.0f} s after a change, |follower − presenter|: {steady}")
    exact = figures.paused_exact
    print(f"  paused: on the presenter's very frame {100 * np.mean(exact) if exact else float('nan'):.1f}% of instants")
    print(
        f"  frames unread {figures.unread}, media time naming another frame than the pixels {figures.media_disagrees}, "
        f"follower pages that stopped following by themselves {figures.stepped_out}"
    )


def picture_goals(figures: PictureFigures) -> list[tuple[str, str, bool]]:
    """(goal, figure, met) for issue 62's two session goals."""
    settles = [value for values in figures.settle_ms.values() for value in values]
    steady = np.asarray(figures.steady_frames) if figures.steady_frames else np.asarray([99])
    worst = max(settles, default=math.inf)
    return [
        (
            f"after every presenter action, every follower within one frame within {GOAL_SETTLE_MS:.0f} ms",
            "; ".join(f"{kind} {settle_text(values)}" for kind, values in figures.settle_ms.items()),
            worst <= GOAL_SETTLE_MS and figures.stepped_out == 0,
        ),
        (
            "while playing (> 2 s after a change), within one frame of the presenter's picture (p95)",
            steady_text(figures.steady_frames),
            float(np.percentile(steady, 95)) <= GOAL_STEADY_FRAMES,
        ),
    ]


TRACE_GRID_MS = 100.0
TRACE_FOR_MS = 1_500.0


def trace_text(run: PictureRun) -> str:
    """Where each action's time went: when the presenter's picture moved, and for each follower the
    states it received, what its page asked of its player (ms after the action) and its picture's
    frame difference from the presenter's every TRACE_GRID_MS."""
    lines = []
    ends = [action.at for action in run.actions[1:]] + [run.end_ms]
    for action, next_at in zip(run.actions, ends, strict=True):
        lines.append(f"{action.kind} at {action.at:.0f}")
        after = run.presenter.at[run.presenter.at > action.at]
        moved = f"first frame after it +{after[0] - action.at:.0f} ms" if after.size else "no frame"
        lines.append(f"  presenter: {moved}")
        instants = np.arange(action.at, min(next_at, action.at + TRACE_FOR_MS), TRACE_GRID_MS)
        lead = run.presenter.at_instants(instants)
        for number, (follower, calls) in enumerate(zip(run.followers, run.calls[1:], strict=True)):
            events = []
            for call in calls:
                if not action.at - 50 <= call["at"] < min(next_at, action.at + TRACE_FOR_MS):
                    continue
                when = f"+{call['at'] - action.at:.0f}"
                value: Any = call.get("value")
                if call["call"] == "state":
                    kind = "seek" if value["seek"] else "state"
                    position, at = value["position"], value["at"] - action.at
                    events.append(f"{when} {kind}({position:.3f}@{at:+.0f},{value['rate']})")
                elif call["call"] in ("currentTime", "playbackRate"):
                    events.append(f"{when} {'jump' if call['call'] == 'currentTime' else 'rate'} {value:.3f}")
                else:
                    events.append(f"{when} {call['call']}")
            off = follower.at_instants(instants) - lead
            lines.append(f"  follower {number + 1}: {'; '.join(events)}")
            lines.append(f"    frames off: {' '.join(str(value) for value in off.tolist())}")
    return "\n".join(lines)
