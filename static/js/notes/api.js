// The notes API for this video's panel: the list (GET, POST) and one note (PATCH, DELETE), at the
// URLs the panel was rendered with.

import { requestJson, sendRequest } from "../shared/api.js";

export function notesApi(panel) {
  const listUrl = panel.dataset.notesUrl;
  const noteUrl = (id) => `${panel.dataset.noteUrl}${encodeURIComponent(id)}`;
  const csrfToken = panel.dataset.csrfToken || "";
  return {
    list: () => requestJson(listUrl, { csrfToken }),
    create: (payload) => requestJson(listUrl, { method: "POST", csrfToken, json: payload }),
    update: (id, payload) => requestJson(noteUrl(id), { method: "PATCH", csrfToken, json: payload }),
    // The response itself: a delete that fails puts the note back, whatever the body says.
    remove: (id, { keepalive = false } = {}) => sendRequest(noteUrl(id), { method: "DELETE", csrfToken, keepalive }),
  };
}
