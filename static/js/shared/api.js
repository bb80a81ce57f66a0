// Requests to SAGE's own JSON API from a page: same-origin cookies, Django's CSRF header, and one
// error shape. An API error answers `{"error": {"message": ..., "fields": {name: [messages]}}}`.

export class ApiError extends Error {
  constructor(message, { status = 0, fields = {} } = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

function isAbort(error) {
  return error?.name === "AbortError";
}

export function sendRequest(url, { method = "GET", csrfToken, json, signal, keepalive } = {}) {
  // The CSRF header only when a token is given: a read needs none.
  const headers = { Accept: "application/json" };
  if (csrfToken !== undefined) {
    headers["X-CSRFToken"] = csrfToken;
  }
  const init = { method, credentials: "same-origin", headers };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
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
    throw new ApiError("The connection to the server was lost. Try again.");
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
    throw new ApiError(message, { status: response.status, fields: payload?.error?.fields ?? {} });
  }
  return payload;
}
