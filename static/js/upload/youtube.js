// The YouTube form on the upload page: the link goes to the API (/api/v1/videos/youtube), and the
// video gets a row that follows its processing (its captions) to ready, then links to it. Without
// JavaScript the same form posts to the page, which adds the video and opens it.

import { followVideo } from "./follow.js";
import { makeApi } from "./protocol.js";

export function setUpYouTube({ form, list, template, config, labels, videosUrl }) {
  const api = makeApi(form.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "");
  const input = form.querySelector("input[name=url]");
  const error = form.querySelector("[data-youtube-error]");
  const button = form.querySelector("button[type=submit]");
  const following = new Set();

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const url = input.value.trim();
    if (!url) {
      showError("Paste a YouTube link.");
      input.focus();
      return;
    }
    showError("");
    button.disabled = true;
    try {
      const video = await api("POST", config.youtube_api, { json: { url } });
      input.value = "";
      addRow(video);
    } catch (failure) {
      showError(failure.message);
      input.focus();
    } finally {
      button.disabled = false;
    }
  });

  function addRow(video) {
    if (following.has(video.id)) {
      return; // added twice: the API answers with the same video, whose row is already here
    }
    following.add(video.id);
    const element = template.content.firstElementChild.cloneNode(true);
    const fields = {};
    for (const field of element.querySelectorAll("[data-field]")) {
      fields[field.dataset.field] = field;
    }
    fields.name.textContent = video.title;
    list.prepend(element);
    const show = (state) => {
      const status = labels.statuses?.[state.status] ?? { label: state.status, badge: "" };
      fields.badge.textContent = status.label;
      fields.badge.className = `badge upload-state ${status.badge}`.trim();
      element.dataset.state = state.status;
      if (state.status === "ready") {
        fields.message.textContent = "Ready: its captions are searchable and you can chat with it.";
      } else if (state.status === "failed" || state.status === "cancelled") {
        fields.message.textContent = state.error_message || "Its captions could not be fetched.";
      } else {
        const stage = state.stage ? labels.stages?.[state.stage] ?? state.stage : labels.waiting;
        fields.message.textContent = `Fetching its captions… ${stage ?? ""}`.trim();
      }
      fields.message.classList.toggle("upload-message-error", ["failed", "cancelled"].includes(state.status));
      const finished = ["ready", "failed", "cancelled"].includes(state.status);
      fields.next.hidden = !finished;
      fields.open.href = config.video_url.replace("/0/", `/${video.id}/`);
    };
    show(video);
    followVideo(video.id, { videosUrl, onUpdate: show });
  }
}
