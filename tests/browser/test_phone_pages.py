"""The library, a video's page (with its notes), the upload page and billing on a phone (390×844):
every visible link and button is a tap target of at least 44×44 CSS px, the size Apple's and
WCAG's guidance ask for a finger; and form fields such as a share link's "Expires" look like the
others."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.test_video_pages import ready_video
from tests.factories import (
    MembershipFactory,
    NoteFactory,
    TeamWorkspaceFactory,
    UserFactory,
    VideoFactory,
    VideoStackFactory,
)
from videos.models import Video
from workspaces.models import Role

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SMALLEST = 44
# What a finger taps: links, buttons, disclosure toggles and menus that show on the page.
SMALL_TARGETS = """
(smallest) => {
  const targets = document.querySelectorAll(
    'a[href], button, [role="button"], summary, select, input[type="checkbox"], input[type="radio"], label.button'
  );
  const small = [];
  for (const element of targets) {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
    if (element.closest("[hidden], dialog:not([open]), details:not([open]) > :not(summary)")) continue;
    // A control drawn over its own label (a visually hidden input) is tapped through the label.
    if (box.width <= 1 || box.height <= 1) continue;
    if (box.width < smallest - 0.5 || box.height < smallest - 0.5) {
      const name = (element.getAttribute("aria-label") || element.textContent || element.name || "").trim();
      const size = `${box.width.toFixed(0)}×${box.height.toFixed(0)}`;
      small.push(`${element.tagName.toLowerCase()} "${name.slice(0, 40)}" ${size}`);
    }
  }
  return small;
}
"""


def small_targets(page: Page) -> list[str]:
    return page.evaluate(SMALL_TARGETS, SMALLEST)


@pytest.fixture
def phone(browser, site_url: str):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_every_link_and_button_is_big_enough_for_a_finger_on_a_phone(
    site_url: str, phone: Page, tmp_path: Path, settings
) -> None:
    owner = UserFactory()
    video = ready_video(owner, tmp_path, settings)
    NoteFactory(owner=owner, video=video, start=2.0, text="The hallway light flickers")
    stack = VideoStackFactory(owner=owner, title="Walk base")
    VideoFactory(owner=owner, title="Walk base", stack=stack, version=1, status=Video.Status.READY, duration=8.0)
    VideoFactory(owner=owner, title="Walk base", stack=stack, version=2, status=Video.Status.FAILED)
    log_in(phone, site_url, owner.email)

    found: dict[str, list[str]] = {}
    for path in ("/videos/", f"/videos/{video.pk}/", "/videos/upload/", "/billing/"):
        phone.goto(f"{site_url}{path}")
        expect(phone.locator("main")).to_be_visible()
        phone.wait_for_load_state("networkidle")
        small = small_targets(phone)
        # The header's menu open, the links it shows are measured too.
        toggle = phone.get_by_role("button", name="Menu")
        if toggle.is_visible():
            toggle.click()
            small += [f"menu: {each}" for each in small_targets(phone) if each not in small]
            phone.keyboard.press("Escape")
        if small:
            found[path] = small

    # The upload page with a file chosen: its row's title, buttons and price line.
    phone.goto(f"{site_url}/videos/upload/")
    chosen = tmp_path / "walk.mp4"
    chosen.write_bytes(b"\0" * 1024)
    phone.get_by_label("Choose files").set_input_files(chosen)
    expect(phone.locator(".upload-row").get_by_role("button", name="Start upload")).to_be_visible()
    if small := small_targets(phone):
        found["/videos/upload/ with a file"] = small

    assert found == {}, "\n".join(f"{path}: {target}" for path, small in found.items() for target in small)


FIELD_LOOK = """
(field) => {
  const style = getComputedStyle(field);
  return {
    border: `${style.borderTopWidth} ${style.borderTopStyle} ${style.borderTopColor}`,
    radius: style.borderTopLeftRadius,
    padding: `${style.paddingTop} ${style.paddingLeft}`,
    height: Math.round(field.getBoundingClientRect().height),
    width: Math.round(field.getBoundingClientRect().width),
    background: style.backgroundColor,
    font: `${style.fontSize} ${style.fontFamily}`,
  };
}
"""


def test_a_share_links_expires_field_looks_like_the_other_fields(site_url: str, page: Page, tmp_path: Path, settings):
    owner = UserFactory()
    video = ready_video(owner, tmp_path, settings)
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, site_url, owner.email)
    page.goto(f"{site_url}/videos/{video.pk}/")
    panel = page.locator("#share-links")
    panel.locator("summary").click()

    name = panel.get_by_label("Name").evaluate(FIELD_LOOK)
    expires = panel.get_by_label("Expires").evaluate(FIELD_LOOK)

    assert expires == name


def test_on_a_phone_a_teams_members_show_their_role_and_remove_on_screen(site_url: str, phone: Page) -> None:
    owner = UserFactory(display_name="Pia")
    studio = TeamWorkspaceFactory(created_by=owner, name="Northwind Studio")
    MembershipFactory(workspace=studio, user=UserFactory(display_name="Eli", email="eli@example.com"), role=Role.EDITOR)
    log_in(phone, site_url, owner.email)

    phone.goto(f"{site_url}/workspaces/{studio.pk}/")
    eli = phone.locator('[data-member="eli@example.com"]')
    for part in (eli.get_by_label("Role of eli@example.com"), eli.get_by_role("button", name="Remove eli@example.com")):
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # nothing off to the side
