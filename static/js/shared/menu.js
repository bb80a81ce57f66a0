// The header's menu on small screens: a Menu button (aria-expanded) opens the links and the account
// over the page, so the header stays one row and nothing below it moves. Without this module the
// header shows everything, wrapped (the page still works). On wide screens the CSS ignores it all.

const nav = document.querySelector("[data-nav]");
const toggle = nav?.querySelector("[data-nav-toggle]");
const menu = nav?.querySelector("[data-nav-menu]");

function setOpen(open, { returnFocus = false } = {}) {
  toggle.setAttribute("aria-expanded", String(open));
  menu.toggleAttribute("data-open", open);
  if (!open && returnFocus) {
    toggle.focus();
  }
}

if (nav && toggle && menu) {
  toggle.hidden = false;
  nav.setAttribute("data-nav-ready", "");
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.hasAttribute("data-open")) {
      setOpen(false, { returnFocus: true });
    }
  });
  // A click or a tab outside the header closes it, as a menu does.
  document.addEventListener("pointerdown", (event) => {
    if (menu.hasAttribute("data-open") && !nav.contains(event.target)) {
      setOpen(false);
    }
  });
  nav.addEventListener("focusout", (event) => {
    if (menu.hasAttribute("data-open") && event.relatedTarget && !nav.contains(event.relatedTarget)) {
      setOpen(false);
    }
  });
}
