// The site's keyboard, one scheme on every page with a player, YouTube's keys where they fit:
// K (or Space) plays or pauses, J and L go back and forward 10 seconds, F is full screen, M mutes,
// , and . step a frame, N adds a note, [ and ] go to the previous and next difference (compare), and ?
// opens a help overlay listing what this page's keys do. A page gives its shortcuts as
// { keys: ["k", " "], label: "K or Space", does: "Play or pause", run }; letters match either case.
//
// Keys are left alone while typing (a text field, the slider, a select), with Ctrl, Cmd or Alt held,
// and while a dialog is open; Space on a button or a link presses that button.

const TYPING_TARGETS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
const HELP_KEY = "?";

function helpDialog(title, shortcuts) {
  const dialog = document.createElement("dialog");
  dialog.className = "keys-help";
  dialog.setAttribute("aria-labelledby", "keys-help-title");
  const heading = document.createElement("h2");
  heading.id = "keys-help-title";
  heading.textContent = title;
  const list = document.createElement("dl");
  list.className = "keys-help-list";
  for (const shortcut of [...shortcuts, { label: "?", does: "Show or hide these shortcuts" }]) {
    const term = document.createElement("dt");
    for (const [index, part] of shortcut.label.split(" or ").entries()) {
      if (index) {
        term.append(" or ");
      }
      const key = document.createElement("kbd");
      key.textContent = part;
      term.append(key);
    }
    const description = document.createElement("dd");
    description.textContent = shortcut.does;
    list.append(term, description);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "button-small";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());
  const form = document.createElement("div");
  form.className = "keys-help-actions";
  form.append(close);
  dialog.append(heading, list, form);
  // A click on the backdrop (outside the dialog's box) closes it, as Escape does.
  dialog.addEventListener("click", (event) => {
    const box = dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right;
    const within = inside && event.clientY >= box.top && event.clientY <= box.bottom;
    if (event.target === dialog && !within) {
      dialog.close();
    }
  });
  return dialog;
}

export function setUpShortcuts({ shortcuts, title = "Keyboard shortcuts", buttonSlot = null }) {
  const dialog = helpDialog(title, shortcuts);
  document.body.append(dialog);
  const toggleHelp = () => (dialog.open ? dialog.close() : dialog.showModal());

  if (buttonSlot) {
    // A small button for the overlay; touch screens hide it (CSS): they have no keyboard to learn.
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button-small keys-help-button";
    button.setAttribute("aria-label", "Keyboard shortcuts");
    button.setAttribute("aria-keyshortcuts", "Shift+?");
    button.title = "Keyboard shortcuts (?)";
    button.textContent = "?";
    button.addEventListener("click", toggleHelp);
    buttonSlot.append(button);
  }

  const byKey = new Map();
  for (const shortcut of shortcuts) {
    for (const key of shortcut.keys) {
      byKey.set(key.length === 1 ? key.toLowerCase() : key, shortcut);
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest(TYPING_TARGETS)) {
      return;
    }
    if (event.key === HELP_KEY) {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (document.querySelector("dialog[open]")) {
      return; // the overlay (or another dialog) has the keyboard
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const shortcut = byKey.get(key);
    if (!shortcut || (key === " " && target.closest("button, a, summary"))) {
      return;
    }
    if (shortcut.repeat === false && event.repeat) {
      return;
    }
    event.preventDefault();
    shortcut.run();
  });

  return { dialog, toggleHelp };
}

export function toggleFullscreen(element) {
  if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  } else if (element?.requestFullscreen) {
    element.requestFullscreen().catch(() => {}); // refused (no user gesture, an iframe without allow): nothing to do
  }
}
