"""The players land on the frame (issue 62): on frame-numbered videos at 29.97 and 25 fps, the frame a
page shows after a seek is read from the `<video>` picture itself (a canvas copy of it, its number's
cells decoded by `read_frame_number`), and must be the frame the time names by `sage.timebase`'s rule.

At 29.97 fps a frame's start is not a whole millisecond (frame 91 starts at 3.03633 s): a time stored
to the millisecond, or an edge the engine found to 0.01 s, sits a hair before the frame it names, and a
player sent there shows the frame before. These tests fail on players that seek to the time as given.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from reviews.models import Comment
from sage.synthetic_media.frame_numbers import read_frame_number
from sage.synthetic_media.numbered_pairs import (
    INSERTED_FIRST_NUMBER,
    InsertFrames,
    NumberedPair,
    make_numbered_pair,
)
from sage.synthetic_media.numbered_videos import NumberedVideo, NumberRun
from sage.timebase import Timebase
from tests.browser.signing_in import log_in
from tests.browser.test_compare_page import script_errors, stored_video
from tests.factories import CommentFactory, ComparisonFactory, NoteFactory, ShareLinkFactory, UserFactory
from videos.compare.timecode import TimecodeRate
from videos.models import Comparison, Video

pytestmark = pytest.mark.browser

NTSC = Fraction(30000, 1001)
RATES = {"29.97": NTSC, "25": Fraction(25)}
A_FRAMES, INSERTED_AT, INSERTED_COUNT = 180, 120, 60  # B: A with 60 new frames before A's frame 120

# The picture a player presents, copied through a canvas: RGBA bytes, base64.
_PICTURE = """async (selector) => {
  const video = document.querySelector(selector);
  const settled = () => !video.seeking && video.readyState >= 2;
  for (let waited = 0; !settled() && waited < 5000; waited += 20) {
    await new Promise((done) => setTimeout(done, 20));
  }
  // One more presented frame (or a quiet 100 ms when paused and nothing new comes): the sought one.
  await new Promise((done) => {
    video.requestVideoFrameCallback(() => done());
    setTimeout(done, 100);
  });
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const bytes = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let text = "";
  for (let at = 0; at < bytes.length; at += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return { width: canvas.width, height: canvas.height, data: btoa(text) };
}"""


def number_shown(page: Page, selector: str = "video[data-player]") -> int | None:
    """The number in the picture `selector`'s player shows, once its seek is done."""
    picture = page.evaluate(_PICTURE, selector)
    rgba = np.frombuffer(base64.b64decode(picture["data"]), dtype=np.uint8)
    return read_frame_number(rgba.reshape(picture["height"], picture["width"], 4)[:, :, :3].copy())


@dataclass(frozen=True)
class Pair:
    rate: Fraction
    files: NumberedPair

    @property
    def seconds_a(self) -> float:
        return float(A_FRAMES / self.rate)

    @property
    def seconds_b(self) -> float:
        return float((A_FRAMES + INSERTED_COUNT) / self.rate)


@pytest.fixture(scope="module", params=list(RATES), ids=list(RATES))
def pair(request, tmp_path_factory) -> Pair:
    rate = RATES[request.param]
    folder = tmp_path_factory.mktemp(f"frames-{request.param}")
    a = NumberedVideo(rate=rate, runs=(NumberRun(0, A_FRAMES),), sound=False)
    edit = InsertFrames(at=INSERTED_AT, count=INSERTED_COUNT)
    return Pair(rate, make_numbered_pair(a, edit, folder / "a.mp4", folder / "b.mp4"))


def two_places(seconds: float) -> float:
    """As the API gives a matched span's edge: to 0.01 s."""
    return round(seconds, 2)


@pytest.fixture
def comparison(transactional_db, pair: Pair, settings) -> Comparison:
    """The pair's comparison as the engine stores it: the insertion's edges to 0.01 s (spans) and to
    0.1 s (the difference), a hair before the first inserted frame at 29.97 (4.0 s for 4.004 s)."""
    person = UserFactory()
    cut = two_places(float(INSERTED_AT / pair.rate))
    back = two_places(float((INSERTED_AT + INSERTED_COUNT) / pair.rate))
    return ComparisonFactory(
        owner=person,
        video_a=stored_video(person, pair.files.a, "Numbered", pair.seconds_a, float(pair.rate), settings),
        video_b=stored_video(person, pair.files.b, "Numbered, longer", pair.seconds_b, float(pair.rate), settings),
        threshold=0.15,
        offset=0.0,
        matched_spans=[[0.0, cut, 0.0, cut], [cut, two_places(pair.seconds_a), back, two_places(pair.seconds_b)]],
        segments=[
            dict.fromkeys(("peak", "mean", "severity", "picture", "sound"))
            | {"kind": "only_b", "a_start": round(cut, 1), "a_end": round(cut, 1)}
            | {"b_start": round(cut, 1), "b_end": round(back, 1)}
        ],
        measured=[],
        counts={"only_b": 1},
        similarity=75.0,
        summary="1 difference (1 only in B).",
    )


def open_comparison(page: Page, site_url: str, comparison: Comparison) -> list[str]:
    errors = script_errors(page)
    log_in(page, site_url, comparison.owner.email)
    page.goto(f"{site_url}/compare/{comparison.pk}/")
    expect(page.get_by_role("button", name="Play both")).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('video[data-player]')].every((v) => v.readyState >= 2)")
    return errors


def test_next_and_previous_difference_land_on_the_first_inserted_frame(
    site_url: str, page: Page, comparison: Comparison, pair: Pair
) -> None:
    errors = open_comparison(page, site_url, comparison)

    page.get_by_role("button", name="Next difference").click()

    assert number_shown(page, 'video[data-player="b"]') == INSERTED_FIRST_NUMBER
    # A waits on the frame it goes on with after B's new stretch.
    assert number_shown(page, 'video[data-player="a"]') == INSERTED_AT
    expect(page.locator("[data-current-difference]")).to_contain_text("1/1")

    page.get_by_role("button", name="One second forward").click()
    page.get_by_role("button", name="Previous difference").click()

    assert number_shown(page, 'video[data-player="b"]') == INSERTED_FIRST_NUMBER
    assert errors == []


def test_frame_steps_and_the_timecode_show_the_frame_on_screen_and_the_choice_is_remembered(
    site_url: str, page: Page, comparison: Comparison, pair: Pair
) -> None:
    errors = open_comparison(page, site_url, comparison)
    toggle = page.get_by_role("button", name="Timecode")
    expect(page.locator('[data-timecode="a"]')).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    rate = TimecodeRate(pair.rate)

    page.locator("body").press(".")
    page.locator("body").press(".")
    page.locator("body").press(".")

    shown = number_shown(page, 'video[data-player="a"]')
    assert shown == 3, shown
    expect(page.locator('[data-timecode="a"]')).to_have_text(rate.timecode(3))
    expect(page.locator('[data-timecode="b"]')).to_have_text(rate.timecode(3))
    page.locator("body").press(",")
    assert number_shown(page, 'video[data-player="a"]') == 2
    expect(page.locator('[data-timecode="a"]')).to_have_text(rate.timecode(2))

    page.reload()
    expect(page.get_by_role("button", name="Timecode")).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-timecode="a"]')).to_have_text(rate.timecode(0))
    assert errors == []


# --- the video page: notes and comments on a 29.97 video -----------------------------------------

FRAME = 91  # starts at 3.03633 s at 29.97: stored to the millisecond, 3.036 s is a hair before it


@pytest.fixture
def ntsc_video(transactional_db, pair: Pair, settings) -> Video:
    if pair.rate != NTSC:
        pytest.skip("the video page's tests run at 29.97, where a millisecond time misses its frame")
    return stored_video(UserFactory(), pair.files.a, "Numbered", pair.seconds_a, float(pair.rate), settings)


def open_video_page(page: Page, site_url: str, video: Video) -> list[str]:
    errors = script_errors(page)
    log_in(page, site_url, video.owner.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    page.wait_for_function("() => document.querySelector('video[data-player]').readyState >= 2")
    return errors


def held_still(page: Page) -> None:
    """The player no longer starts playing when asked (a note's link seeks and plays): the picture a
    seek lands on stays to be read."""
    page.evaluate("() => { document.querySelector('video[data-player]').play = () => Promise.resolve(); }")


def played(page: Page) -> None:
    page.evaluate("() => HTMLMediaElement.prototype.play.call(document.querySelector('video[data-player]'))")


def test_a_note_and_a_comment_seek_to_their_exact_frame_and_a_comment_made_there_is_on_it(
    site_url: str, page: Page, ntsc_video: Video
) -> None:
    start = round(FRAME / float(NTSC), 3)  # 3.036: its start, to the millisecond
    NoteFactory(owner=ntsc_video.owner, video=ntsc_video, start=start, text="The frame")
    link = ShareLinkFactory(video=ntsc_video, name="Client", permission="comment")
    CommentFactory(link=link, side="video", start=start, body="This frame")
    assert Timebase(NTSC).frame_at(start) == FRAME
    errors = open_video_page(page, site_url, ntsc_video)
    expect(page.locator("[data-comments-list][aria-busy='false']")).to_be_attached()

    # A note's link plays from its frame (held still here, to read the frame it lands on).
    held_still(page)
    page.locator("[data-notes-list] [data-note-seek]").first.click()
    assert number_shown(page) == FRAME

    page.locator("[data-comments-list] [data-comment-seek]").first.click()  # paused there
    shown = number_shown(page)
    assert shown == FRAME

    panel = page.locator("[data-comments-panel]")
    panel.get_by_role("button", name="Comment at this moment").click()
    form = panel.locator("[data-comment-form]")
    form.get_by_label("Comment", exact=True).fill("Made on the frame")
    form.get_by_role("button", name="Post comment").click()
    expect(form).to_be_hidden()
    made = Comment.objects.get(body="Made on the frame")
    assert Timebase(NTSC).frame_at(made.start) == shown

    # Played and paused: the comment is on the frame the player presented when it stopped.
    played(page)
    page.wait_for_timeout(400)
    page.evaluate("() => document.querySelector('video[data-player]').pause()")
    shown = number_shown(page)
    panel.get_by_role("button", name="Comment at this moment").click()
    form.get_by_label("Comment", exact=True).fill("Made after playing")
    form.get_by_role("button", name="Post comment").click()
    expect(form).to_be_hidden()
    assert Timebase(NTSC).frame_at(Comment.objects.get(body="Made after playing").start) == shown

    # The timecode readout under the player shows the frame on screen.
    page.get_by_role("button", name="Timecode").click()
    expect(page.locator("[data-timecode]")).to_have_text(TimecodeRate(NTSC).timecode(shown or 0))
    assert errors == []


def test_the_browsers_frame_rules_and_timecode_are_the_servers(site_url: str, page: Page) -> None:
    # frames.js, imported into a page, against sage.timebase and videos.compare.timecode.
    page.goto(f"{site_url}/accounts/login/")
    cases = {
        "30000/1001": [0, 1, 29, 30, 1799, 1800, 1801, 17981, 17982, 17983, 107892, 2589407, 2589408],
        "60000/1001": [0, 3599, 3600, 3603, 35963, 35964, 5178815, 5178816],
        "25": [0, 24, 25, 90000, 2159999, 2160000],
        "24000/1001": [0, 23, 24, 86400],
        "15": [0, 14, 15, 53999],
    }
    instants = [0.0, 2.0, 3.0, 3.002, 3.036, 4.0, 16.01, 59.97]
    got = page.evaluate(
        """async ([cases, instants]) => {
          const frames = await import('/static/js/shared/frames.js');
          const out = {};
          for (const [text, list] of Object.entries(cases)) {
            const rate = frames.parseRate(text);
            out[text] = {
              timecode: list.map((frame) => frames.timecode(frame, rate)),
              at: instants.map((seconds) => frames.frameAt(seconds, rate)),
              edge: instants.map((seconds) => frames.boundaryNear(seconds, rate)),
              seek: instants.map((seconds) => frames.frameAt(frames.seekTime(seconds, rate), rate)),
            };
          }
          return out;
        }""",
        [cases, instants],
    )
    for text, frames in cases.items():
        rate, timebase = Fraction(text), Timebase(Fraction(text))
        assert got[text]["timecode"] == [TimecodeRate(rate).timecode(frame) for frame in frames], text
        assert got[text]["at"] == [timebase.frame_at(seconds) for seconds in instants], text
        assert got[text]["edge"] == [timebase.boundary_near(seconds) for seconds in instants], text
        assert got[text]["seek"] == got[text]["at"], text  # a seek shows the frame the time names
