// The comments API from a page: the guest's calls carry the reviewer key (X-Reviewer-Key), the
// owner's the CSRF header; failures become one readable sentence (a 429 says when to try again, which
// only the Retry-After header knows, so this reads the response itself rather than through
// shared/api.js's requestJson).

import { ApiError, sendRequest } from "../../shared/api.js";

const REVIEWER_KEY_HEADER = "X-Reviewer-Key";

export class CommentsApi {
  // `postUrl`: where a new comment goes, when not the list's own URL (a stack's page lists its current
  // pair's comments and comments through the stack).
  constructor({ mode, apiUrl, postUrl = apiUrl, csrfToken, reviewerKey }) {
    this.mode = mode;
    this.apiUrl = apiUrl;
    this.postUrl = postUrl;
    this.csrfToken = csrfToken;
    this.reviewerKey = reviewerKey;
  }

  async request(url, { method = "GET", json } = {}) {
    const headers = this.mode === "guest" ? { [REVIEWER_KEY_HEADER]: this.reviewerKey() } : {};
    let response;
    try {
      response = await sendRequest(url, { method, json, headers, csrfToken: method === "GET" ? undefined : this.csrfToken });
    } catch {
      throw new ApiError("The connection to the server was lost; try again.", { code: "network", retryable: true });
    }
    if (response.status === 204) {
      return null;
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      // An empty body or a proxy's page: the status says enough.
    }
    if (response.ok) {
      return payload;
    }
    throw failure(response, payload, this.mode);
  }

  list() {
    return this.request(this.apiUrl);
  }

  post(comment) {
    return this.request(this.postUrl, { method: "POST", json: comment });
  }

  remove(id) {
    // A project's link names its video in the list's query (?video=); a comment is found by its id.
    const list = this.apiUrl.split("?")[0].replace(/\/$/, "");
    const url = this.mode === "guest" ? `${list}/${id}` : `/api/v1/comments/${id}`;
    return this.request(url, { method: "DELETE" });
  }

  reply(id, body) {
    return this.request(`/api/v1/comments/${id}/replies`, { method: "POST", json: { body } });
  }

  resolve(id, resolved) {
    return this.request(`/api/v1/comments/${id}/${resolved ? "resolve" : "reopen"}`, { method: "POST" });
  }
}

function failure(response, payload, mode) {
  const error = payload?.error ?? {};
  const code = error.code ?? "error";
  let message = error.message ?? `The server answered ${response.status}.`;
  if (response.status === 429) {
    const seconds = Math.max(1, Math.ceil(Number(response.headers.get("Retry-After")) || 60));
    message = `Too many comments: try again in ${seconds} s.`;
  } else if (response.status === 404 && mode === "guest") {
    message = "This link was revoked or has expired.";
  } else if (error.fields && Object.keys(error.fields).length) {
    const [field, messages] = Object.entries(error.fields)[0];
    const said = Array.isArray(messages) ? messages.join(" ") : String(messages);
    message = field === "__all__" || field === "non_field_errors" ? said : `${fieldName(field)}: ${said}`;
  }
  return new ApiError(message, {
    status: response.status,
    code,
    fields: error.fields ?? {},
    error,
    retryable: response.status >= 500 || response.status === 429,
  });
}

function fieldName(field) {
  return { body: "Comment", author_name: "Name", start: "Time", end: "End", side: "Video", link: "Visible to" }[field] ?? field;
}
