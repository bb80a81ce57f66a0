// Requests to SAGE's own JSON API from a page: same-origin cookies, Django's CSRF header, and one
// error shape. An API error answers `{"error": {"message": ..., "fields": {name: [messages]}}}`.

export class ApiError extends Error {
  // `retryable`: the same request may succeed later (the connection was lost, the server was in
  // trouble or busy); a refusal (400, 403, 404) will not pass.
  // `error`: the whole error object of the answer, for what some errors add (a 402's `buy_url`
  // and `tokens`).
  constructor(message, { status = 0, code = "error", fields = {}, retryable = false, error = {} } = {}) {
    super(message);
    this.error = error;
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryable = retryable;
  }
}

function isAbort(error) {
  return error?.name === "AbortError";
}

export function sendRequest(
  url,
  { method = "GET", csrfToken, json, body, form, headers: extraHeaders = {}, signal, keepalive } = {},
) {
  // The CSRF header only when a token is given: a read needs none. The body is `json` (sent as
  // JSON), `body` (raw bytes, e.g. a file's part) or `form` (a FormData, sent as multipart).
  const headers = { Accept: "application/json", ...extraHeaders };
  if (csrfToken !== undefined) {
    headers["X-CSRFToken"] = csrfToken;
  }
  const init = { method, credentials: "same-origin", headers };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/octet-stream";
    init.body = body;
  } else if (form !== undefined) {
    init.body = form; // the browser sets multipart/form-data with its boundary
  }
  if (signal !== undefined) {
    init.signal = signal;
  }
  if (keepalive !== undefined) {
    init.keepalive = keepalive; // lets the request outlive the page when it is being left
  }
  return fetch(url, init);
}

export async function requestJson(url, options = {}) {
  // The answer's JSON (null for 204 or a body that is not JSON), or an ApiError carrying the
  // server's message. An aborted request rejects with the AbortError itself, so callers can tell a
  // request they cancelled from one that failed.
  let response;
  try {
    response = await sendRequest(url, options);
  } catch (error) {
    if (isAbort(error)) {
      throw error;
    }
    throw new ApiError("The connection to the server was lost.", { code: "network", retryable: true });
  }
  if (response.status === 204) {
    return null;
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch (error) {
    if (isAbort(error)) {
      throw error;
    }
    // An empty body or a proxy's HTML page: the status says enough.
  }
  if (!response.ok) {
    const message = payload?.error?.message ?? `The server answered ${response.status}.`;
    throw new ApiError(message, {
      status: response.status,
      code: payload?.error?.code ?? "error",
      fields: payload?.error?.fields ?? {},
      error: payload?.error ?? {},
      retryable: response.status >= 500 || response.status === 408 || response.status === 429,
    });
  }
  return payload;
}
