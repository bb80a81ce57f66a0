// "Start a live session" on a comparison's, a video's or a shared page: the object's live sessions
// are offered first ("Join live session"); Start posts the start API and opens the session's page.

import { ApiError, requestJson } from "../shared/api.js";
import { rememberName, reviewerKey, reviewerName } from "../reviews/comments/identity.js";

// A guest joins on the link's session page; a member on the site's.
const pageOf = (section, session) => (section.dataset.guest ? session.guest_url : session.url);

function joinLinks(section, list, sessions) {
  list.replaceChildren(
    ...sessions.map((session) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.className = "button button-small";
      link.href = pageOf(section, session);
      link.textContent = "Join live session";
      const who = document.createElement("span");
      who.className = "help";
      who.textContent = session.started_by_name ? ` started by ${session.started_by_name}` : "";
      item.append(link, who);
      return item;
    }),
  );
}

async function setUp(section) {
  const status = section.querySelector("[data-session-start-status]");
  const button = section.querySelector("[data-session-start-button]");
  section.hidden = false;
  try {
    const sessions = await requestJson(section.dataset.listUrl);
    joinLinks(section, section.querySelector("[data-session-live]"), (sessions?.results ?? sessions ?? []).filter((s) => s.live));
  } catch {
    // The list is a convenience: Start still works.
  }
  // A guest starts under the name the others will see, with the reviewer key their socket's hello
  // carries (the shared pages keep both in this browser).
  const nameInput = section.querySelector("[data-session-start-name]");
  if (nameInput) {
    nameInput.value = reviewerName();
  }
  button?.addEventListener("click", async () => {
    const body = JSON.parse(section.dataset.body);
    const headers = {};
    const link = section.querySelector("[data-session-start-link]")?.value;
    if (link) {
      body.link = Number(link);
    }
    if (nameInput) {
      const name = nameInput.value.trim();
      if (!name) {
        status.textContent = "Give your name first: the others see it.";
        nameInput.focus();
        return;
      }
      rememberName(name);
      body.name = name;
      headers["X-Reviewer-Key"] = reviewerKey();
    }
    button.disabled = true;
    status.textContent = "Starting…";
    try {
      const session = await requestJson(section.dataset.startUrl, {
        method: "POST",
        csrfToken: section.dataset.csrfToken,
        json: body,
        headers,
      });
      window.location.assign(pageOf(section, session));
    } catch (error) {
      status.textContent = error instanceof ApiError ? error.message : "The session could not be started; try again.";
      button.disabled = false;
    }
  });
}

for (const section of document.querySelectorAll("[data-session-start]")) {
  setUp(section);
}
