// The owner's Share panel (templates/reviews/partials/share_links.html): makes and revokes links
// through the API without leaving the page, and copies a link. Without this module the panel's
// plain forms do the same with a reload, and a link's address can be selected by hand.

import { requestJson } from "../shared/api.js";
import { formatWhen } from "../shared/dates.js";

const panel = document.querySelector("[data-share-links]");

function revokeApiUrl(linkId) {
  // The template gives the revoke URL of link 0; the id is the only part that changes.
  return panel.dataset.revokeApiUrl.replace("/0/revoke", `/${linkId}/revoke`);
}

function rotatePageUrl(linkId) {
  // The template gives the page form's URL for link 0, as for revoking.
  return panel.dataset.rotatePageUrl.replace("/0/rotate/", `/${linkId}/rotate/`);
}

async function copyLink(row, button) {
  const input = row.querySelector("[data-field=url]");
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
      return;
    } catch (error) {
      // Refused (no permission): fall back to a selection the owner copies by hand.
    }
  }
  input.select();
  button.textContent = "Selected: press Ctrl+C";
}

function element(tag, { className, text, attributes = {} } = {}) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  return node;
}

const PERMISSION_LABELS = { view: "View only", comment: "View and comment" };

function linkScope(link) {
  // Beside a version's own links, the panel lists its stack's: each row says which it is.
  if (!panel.dataset.stackApiUrl) {
    return "";
  }
  return link.stack ? panel.dataset.stackScope : panel.dataset.versionScope;
}

function linkRow(link) {
  // A new link as the template renders one (it is active: no revoked or expired badge).
  const row = element("li", {
    className: "share-link",
    attributes: { "data-share-link": "", "data-share-link-id": String(link.id), "data-state": link.state },
  });
  const head = element("div", { className: "share-link-head" });
  head.append(
    element("strong", { text: link.name, attributes: { "data-field": "name" } }),
    element("span", { className: "badge", text: PERMISSION_LABELS[link.permission] ?? link.permission }),
  );
  const scope = linkScope(link);
  if (scope) {
    head.append(element("span", { className: "badge", text: scope, attributes: { "data-field": "scope" } }));
  }
  if (link.allow_status && link.permission === "comment") {
    head.append(element("span", { className: "badge", text: "Sets status", attributes: { "data-field": "allow-status" } }));
  }
  if (link.allow_sessions && link.permission === "comment") {
    head.append(element("span", { className: "badge", text: "Live sessions", attributes: { "data-field": "allow-sessions" } }));
  }
  if (link.has_password) {
    head.append(element("span", { className: "badge", text: "Password" }));
  }
  const expires = link.expires_at ? ` · expires ${formatWhen(link.expires_at)}` : "";
  row.append(
    head,
    element("p", { className: "muted share-link-meta", text: `Not opened yet${expires}`, attributes: { "data-field": "opened" } }),
  );
  if (link.url) {
    row.append(
      element("input", {
        className: "share-link-url",
        attributes: { type: "text", readonly: "", value: link.url, "aria-label": `Link “${link.name}”`, "data-field": "url" },
      }),
      element("button", { text: "Copy share link", attributes: { type: "button", "data-share-link-copy": "" } }),
    );
  }
  // A plain form post, as the template's: the page reloads with the new URL and says so.
  const rotate = element("form", {
    attributes: { method: "post", action: rotatePageUrl(link.id), "data-share-link-rotate": "" },
  });
  rotate.append(
    element("input", { attributes: { type: "hidden", name: "csrfmiddlewaretoken", value: panel.dataset.csrfToken } }),
    element("button", {
      text: "New URL",
      attributes: { type: "submit", title: "The old URL stops working at once; send the new one" },
    }),
  );
  const revoke = element("form", { attributes: { method: "post", "data-share-link-revoke": "" } });
  revoke.append(element("button", { className: "button-danger", text: "Revoke", attributes: { type: "submit" } }));
  row.append(rotate, revoke);
  return row;
}

function showRevoked(row) {
  row.dataset.state = "revoked";
  row.querySelector("[data-field=url]")?.remove();
  row.querySelector("[data-share-link-copy]")?.remove();
  row.querySelector("[data-share-link-revoke]")?.remove();
  row.querySelector("[data-share-link-rotate]")?.remove();
  row.querySelector(".share-link-head").append(
    element("span", { className: "badge badge-warning", text: "Revoked", attributes: { "data-field": "state" } }),
  );
}

async function revoke(row) {
  const button = row.querySelector("[data-share-link-revoke] button");
  button.disabled = true;
  try {
    await requestJson(revokeApiUrl(row.dataset.shareLinkId), { method: "POST", csrfToken: panel.dataset.csrfToken });
    showRevoked(row);
    // The comments card offers live links' threads only (comments/visibility.js).
    document.dispatchEvent(new CustomEvent("sage:share-link-revoked", { detail: { id: Number(row.dataset.shareLinkId) } }));
  } catch (error) {
    button.disabled = false;
    button.textContent = `Revoke (failed: ${error.message})`;
  }
}

function formValues(form) {
  const data = new FormData(form);
  const expires = data.get("expires_at");
  return {
    name: data.get("name"),
    permission: data.get("permission"),
    // The field's local time, as the browser shows it, sent with its offset.
    expires_at: expires ? new Date(expires).toISOString() : null,
    password: data.get("password") ?? "",
    show_owner_notes: data.get("show_owner_notes") === "on",
    allow_status: data.get("allow_status") === "on",
    allow_sessions: data.get("allow_sessions") === "on",
  };
}

async function create(form) {
  const error = form.querySelector("[data-share-link-error]");
  const button = form.querySelector("button[type=submit]");
  error.hidden = true;
  button.disabled = true;
  try {
    // A version's page may share the version or its stack (the newest pair, following new uploads).
    const shares = new FormData(form).get("shares");
    const url = shares === "stack" ? panel.dataset.stackApiUrl : panel.dataset.apiUrl;
    const link = await requestJson(url, {
      method: "POST",
      csrfToken: panel.dataset.csrfToken,
      json: formValues(form),
    });
    panel.querySelector("[data-share-link-list]").prepend(linkRow(link));
    panel.querySelector("[data-share-links-empty]").hidden = true;
    form.reset();
    // The page's comments card (reviews/comments.js), hidden until there is a link, shows itself.
    document.dispatchEvent(new CustomEvent("sage:share-link-created", { detail: link }));
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

if (panel) {
  for (const button of panel.querySelectorAll("[data-share-link-copy]")) {
    button.hidden = false;
  }
  panel.addEventListener("click", (event) => {
    const button = event.target.closest("[data-share-link-copy]");
    if (button) {
      copyLink(button.closest("[data-share-link]"), button);
    }
  });
  panel.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("[data-share-link-form]")) {
      event.preventDefault();
      create(form);
    } else if (form.matches("[data-share-link-revoke]")) {
      event.preventDefault();
      revoke(form.closest("[data-share-link]"));
    }
  });
}
