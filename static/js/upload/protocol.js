// The upload protocol (/api/v1/uploads…) as the upload rows use it: JSON requests whose refusals
// read as sentences, the part senders by storage, and remembering an upload's id across reloads.

import { ApiError, requestJson } from "../shared/api.js";

const STORAGE_PREFIX = "sage.upload:";

export function makeApi(csrfToken) {
  return async function api(method, url, { json, body, form, headers, signal } = {}) {
    try {
      return await requestJson(url, { method, csrfToken, json, body, form, headers, signal });
    } catch (error) {
      // A refusal's field messages are whole sentences for people ("The file is 2.0 GB; your Free
      // plan accepts…"); the top-level message prefixes the field's name for programs.
      const fieldMessage = error instanceof ApiError ? Object.values(error.fields).flat()[0] : undefined;
      if (fieldMessage !== undefined) {
        error.message = fieldMessage;
      }
      throw error;
    }
  };
}

async function partDigest(blob) {
  // Lets the server refuse a part damaged on the way. crypto.subtle exists only in secure contexts
  // (https, localhost); elsewhere the header is simply left out.
  if (!window.crypto?.subtle) {
    return { body: blob, headers: {} };
  }
  const bytes = await blob.arrayBuffer();
  const digest = new Uint8Array(await window.crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return { body: bytes, headers: { "X-Part-SHA256": hex } };
}

// Where a part's bytes go, by the upload's `store`. This is the one place to change for S3, where
// the page will ask SAGE for a presigned URL per part and PUT the bytes straight to S3.
const PART_SENDERS = {
  async local(api, partUrl, blob, signal) {
    const { body, headers } = await partDigest(blob);
    return api("PUT", partUrl, { body, headers, signal });
  },
};

export function sendPart(api, upload, partUrl, blob, signal) {
  const sender = PART_SENDERS[upload.store];
  if (!sender) {
    return Promise.reject(new ApiError(`This page cannot send parts to “${upload.store}” storage yet.`));
  }
  return sender(api, partUrl, blob, signal);
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        window.clearTimeout(timer);
        reject(new DOMException("Cancelled", "AbortError"));
      },
      { once: true },
    );
  });
}

// ---- remembering uploads across reloads -----------------------------------------------------------

export function fileKey(file) {
  return `${STORAGE_PREFIX}${file.name}:${file.size}:${file.lastModified}`;
}

export function remembered(key) {
  try {
    return JSON.parse(window.localStorage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

export function remember(key, value) {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the upload still works, it just cannot be resumed after a reload.
  }
}

export function forget(key) {
  try {
    window.localStorage.removeItem(key);
  } catch {
    // As above.
  }
}
