// The upload page: each chosen file becomes a row that sends the file in parts through the upload
// protocol (/api/v1/uploads…): create → send parts one after another → complete; pause stops after
// the current part, resume asks the server which parts it has and skips them, cancel aborts.
// Upload ids are remembered in localStorage (per file name + size + last-modified time), so
// choosing the same file again after a reload or a crash offers to resume it.

import { ApiError, requestJson } from "./shared/api.js";

const PART_TRIES = 3; // a failed part is sent at most this many times before the row gives up
const RETRY_BASE_MS = 1_000; // then 2 s, 4 s… (with jitter)
const MAX_ACTIVE_FILES = 2; // files uploading at once; the others wait their turn
const STORAGE_PREFIX = "sage.upload:";
const SUBTITLE_EXTENSIONS = [".srt", ".vtt"];

const root = document.querySelector("[data-upload-root]");
const uploadsUrl = root?.dataset.uploadsUrl ?? "/api/v1/uploads";
const videosUrl = root?.dataset.videosUrl ?? "/api/v1/videos";
const csrfToken = root?.dataset.csrfToken ?? "";

// ---- formatting (the same units the server's pages use: binary multiples, labelled KB/MB/GB) ----

function formatBytes(size) {
  if (size < 1024) {
    return size === 1 ? "1 byte" : `${size} bytes`;
  }
  const units = ["KB", "MB", "GB", "TB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

function formatSpeed(bytesPerSecond) {
  return `${(bytesPerSecond / 1024 / 1024).toFixed(1)} MB/s`;
}

function formatTimeLeft(seconds) {
  const whole = Math.max(Math.ceil(seconds), 1);
  if (whole < 60) {
    return `${whole} s left`;
  }
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) {
    return `${minutes} min ${whole % 60} s left`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

function titleFromFilename(name) {
  const dot = name.lastIndexOf(".");
  return (dot > 0 ? name.slice(0, dot) : name).trim().slice(0, 200);
}

// ---- the API ----------------------------------------------------------------------------------

async function api(method, url, { json, body, form, headers, signal } = {}) {
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
}

const uploadUrl = (uploadId) => `${uploadsUrl}/${encodeURIComponent(uploadId)}`;

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
  async local(upload, number, blob, signal) {
    const { body, headers } = await partDigest(blob);
    return api("PUT", `${uploadUrl(upload.id)}/parts/${number}`, { body, headers, signal });
  },
};

function sendPart(upload, number, blob, signal) {
  const sender = PART_SENDERS[upload.store];
  if (!sender) {
    return Promise.reject(new ApiError(`This page cannot send parts to “${upload.store}” storage yet.`));
  }
  return sender(upload, number, blob, signal);
}

function sleep(ms, signal) {
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

function fileKey(file) {
  return `${STORAGE_PREFIX}${file.name}:${file.size}:${file.lastModified}`;
}

function remembered(key) {
  try {
    return JSON.parse(window.localStorage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

function remember(key, value) {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the upload still works, it just cannot be resumed after a reload.
  }
}

function forget(key) {
  try {
    window.localStorage.removeItem(key);
  } catch {
    // As above.
  }
}

// ---- rows -------------------------------------------------------------------------------------

// Which buttons each state shows; every other action button is hidden.
const BUTTONS_BY_STATE = {
  ready: ["start", "remove"],
  resumable: ["resume", "restart", "cancel"],
  queued: ["pause", "cancel"],
  uploading: ["pause", "cancel"],
  pausing: ["cancel"],
  paused: ["resume", "cancel"],
  failed: ["resume", "cancel"],
  completing: [],
  done: ["remove"],
  refused: ["remove"],
  cancelled: ["remove"],
};

const BADGES = {
  ready: ["Ready", ""],
  resumable: ["Unfinished", "badge-warning"],
  queued: ["Waiting", ""],
  uploading: ["Uploading", "badge-primary"],
  pausing: ["Pausing", "badge-warning"],
  paused: ["Paused", "badge-warning"],
  failed: ["Stopped", "badge-danger"],
  completing: ["Finishing", "badge-primary"],
  done: ["Uploaded", "badge-success"],
  refused: ["Not accepted", "badge-danger"],
  cancelled: ["Cancelled", ""],
};

const ACTIVE_STATES = new Set(["queued", "uploading", "pausing", "completing"]);

const list = document.querySelector("[data-upload-list]");
const queueSection = document.querySelector("[data-upload-queue]");
const startAllButton = document.querySelector("[data-start-all]");
const template = document.getElementById("upload-row-template");
const rows = [];
let nextRowNumber = 1;
let activeFiles = 0;

class UploadRow {
  constructor(file) {
    this.file = file;
    this.key = fileKey(file);
    this.upload = null; // the API's upload, once created (or found again)
    this.received = new Set(); // part numbers the server has
    this.subtitleFile = null; // sent to the subtitle API just before the upload is completed
    this.subtitleSent = null;
    this.pauseRequested = false;
    this.cancelled = false;
    this.controller = null;
    this.sessionBytes = 0;
    this.sessionStarted = 0;

    const number = nextRowNumber++;
    this.element = template.content.firstElementChild.cloneNode(true);
    this.fields = {};
    for (const field of this.element.querySelectorAll("[data-field]")) {
      this.fields[field.dataset.field] = field;
    }
    this.buttons = {};
    for (const button of this.element.querySelectorAll("[data-action]")) {
      this.buttons[button.dataset.action] = button;
      button.addEventListener("click", () => this.act(button.dataset.action));
    }

    const { name, size, title, progress } = this.fields;
    name.textContent = file.name;
    name.id = `upload-${number}-name`;
    size.textContent = formatBytes(file.size);
    title.id = `upload-${number}-title`;
    title.value = titleFromFilename(file.name);
    this.fields["title-label"].htmlFor = title.id;
    this.fields["title-help"].id = `upload-${number}-title-help`;
    title.setAttribute("aria-describedby", this.fields["title-help"].id);
    this.fields.subtitle.id = `upload-${number}-subtitle`;
    this.fields["subtitle-label"].htmlFor = this.fields.subtitle.id;
    this.fields["subtitle-chosen"].id = `upload-${number}-subtitle-chosen`;
    this.fields.subtitle.setAttribute("aria-describedby", this.fields["subtitle-chosen"].id);
    this.fields.subtitle.addEventListener("change", () => this.chooseSubtitle());
    progress.setAttribute("aria-label", `Upload progress for ${file.name}`);
    progress.id = `upload-${number}-progress`;
    this.setState("ready");
  }

  // -- display --

  setState(state, message = null) {
    this.state = state;
    this.element.dataset.state = state;
    const [label, variant] = BADGES[state];
    this.fields.badge.textContent = label;
    this.fields.badge.className = `badge upload-state ${variant}`.trim();
    const shown = BUTTONS_BY_STATE[state];
    for (const [action, button] of Object.entries(this.buttons)) {
      button.hidden = !shown.includes(action);
    }
    if (message !== null) {
      this.fields.message.textContent = message;
    }
    this.fields.message.classList.toggle("upload-message-error", state === "refused" || state === "failed");
    if (state !== "uploading") {
      this.fields.speed.textContent = "";
      this.fields.eta.textContent = "";
    }
    updateStartAll();
  }

  partSize(number) {
    const { part_size: partSize, part_count: partCount, size } = this.upload;
    return number < partCount ? partSize : size - partSize * (partCount - 1);
  }

  receivedBytes() {
    let total = 0;
    for (const number of this.received) {
      total += this.partSize(number);
    }
    return total;
  }

  showProgress() {
    if (!this.upload) {
      return;
    }
    const done = this.receivedBytes();
    const complete = this.received.size === this.upload.part_count;
    // Rounded down, so 100% means every part has arrived.
    const percent = complete ? 100 : Math.floor((100 * done) / this.upload.size);
    this.fields.progress.value = percent;
    this.fields.percent.textContent = `${percent}%`;
    if (this.state === "uploading" && this.sessionBytes > 0) {
      const seconds = (performance.now() - this.sessionStarted) / 1000;
      const speed = this.sessionBytes / Math.max(seconds, 0.001);
      this.fields.speed.textContent = formatSpeed(speed);
      this.fields.eta.textContent = complete ? "" : formatTimeLeft((this.upload.size - done) / speed);
    }
  }

  chooseSubtitle() {
    const chosen = this.fields.subtitle.files[0] ?? null;
    const note = this.fields["subtitle-chosen"];
    note.replaceChildren();
    note.classList.remove("upload-message-error");
    this.subtitleFile = null;
    if (!chosen) {
      note.hidden = true;
      return;
    }
    note.hidden = false;
    const lower = chosen.name.toLowerCase();
    if (!SUBTITLE_EXTENSIONS.some((extension) => lower.endsWith(extension))) {
      note.textContent = `“${chosen.name}” is not a subtitle file: choose an .srt or .vtt file.`;
      note.classList.add("upload-message-error");
      this.fields.subtitle.value = "";
      return;
    }
    this.subtitleFile = chosen;
    const name = document.createElement("strong");
    name.textContent = chosen.name;
    const clear = document.createElement("button");
    clear.type = "button";
    clear.className = "link-button button-small";
    clear.textContent = "Remove subtitles";
    clear.addEventListener("click", () => {
      this.fields.subtitle.value = "";
      this.chooseSubtitle();
      this.fields.subtitle.focus();
    });
    note.append(name, ` (${formatBytes(chosen.size)}) will be attached to this video. `, clear);
  }

  // -- actions --

  act(action) {
    if (action === "start") {
      this.enqueue();
    } else if (action === "resume") {
      this.enqueue();
    } else if (action === "restart") {
      this.restart();
    } else if (action === "pause") {
      this.pause();
    } else if (action === "cancel") {
      this.cancel();
    } else if (action === "remove") {
      this.remove();
    }
  }

  enqueue() {
    this.pauseRequested = false;
    this.setState("queued", "Waiting for another upload to finish…");
    pump();
  }

  pause() {
    if (this.state === "queued") {
      this.setState(this.upload ? "paused" : "ready", this.upload ? "Paused." : "");
      return;
    }
    this.pauseRequested = true;
    this.setState("pausing", "Pausing after the part being sent…");
  }

  async restart() {
    // The earlier upload is dropped on the server (its parts free the storage they held).
    const earlier = this.upload;
    this.upload = null;
    this.received.clear();
    forget(this.key);
    this.fields.title.readOnly = false;
    this.fields.progress.value = 0;
    this.fields.percent.textContent = "0%";
    this.setState("ready", "");
    if (earlier) {
      try {
        await api("DELETE", uploadUrl(earlier.id));
      } catch {
        // Left alone, an idle upload is aborted by the server after a day.
      }
    }
    this.enqueue();
  }

  async cancel() {
    this.cancelled = true;
    this.controller?.abort();
    const upload = this.upload;
    forget(this.key);
    this.setState("cancelled", "Cancelled.");
    if (upload) {
      try {
        await api("DELETE", uploadUrl(upload.id));
      } catch (error) {
        this.fields.message.textContent =
          `Cancelled here, but the server could not be told (${error.message}). ` +
          "The unfinished upload will be removed automatically after a day.";
      }
    }
  }

  remove() {
    const index = rows.indexOf(this);
    if (index >= 0) {
      rows.splice(index, 1);
    }
    const next = this.element.nextElementSibling ?? this.element.previousElementSibling;
    this.element.remove();
    if (rows.length === 0) {
      queueSection.hidden = true;
      document.getElementById("upload-files").focus();
    } else {
      next?.querySelector("button:not([hidden])")?.focus();
    }
    updateStartAll();
  }

  // -- the protocol --

  async findEarlierUpload() {
    const earlier = remembered(this.key);
    if (!earlier?.id) {
      return;
    }
    let upload;
    try {
      upload = await api("GET", uploadUrl(earlier.id));
    } catch (error) {
      if (!error.retryable) {
        forget(this.key); // gone, someone else's, or finished: nothing to resume
      }
      return;
    }
    if (upload.status !== "active") {
      forget(this.key);
      return;
    }
    if (this.state !== "ready") {
      return; // started (or removed) while the server was asked: that choice stands
    }
    this.adopt(upload);
    if (earlier.title) {
      this.fields.title.value = earlier.title;
    }
    this.fields.title.readOnly = true;
    this.fields["title-help"].textContent = "Saved when the upload started.";
    this.showProgress();
    this.setState(
      "resumable",
      `You started uploading this file before (${this.fields.percent.textContent} sent). ` +
        "Resume where it stopped, or start over.",
    );
  }

  adopt(upload) {
    this.upload = upload;
    this.received = new Set(upload.parts.map((part) => part.number));
  }

  async create() {
    const title = this.fields.title.value.trim();
    // Not abortable: a cancel during the request must still learn the id, to delete the upload.
    const upload = await api("POST", uploadsUrl, {
      json: { filename: this.file.name, size: this.file.size, content_type: this.file.type, title },
    });
    if (this.cancelled) {
      await api("DELETE", uploadUrl(upload.id)).catch(() => {});
      throw new DOMException("Cancelled", "AbortError");
    }
    this.adopt(upload);
    remember(this.key, { id: upload.id, title, startedAt: new Date().toISOString() });
    this.fields.title.readOnly = true;
    this.fields["title-help"].textContent = "Saved when the upload started.";
  }

  async sendWithRetry(number) {
    const start = (number - 1) * this.upload.part_size;
    const blob = this.file.slice(start, start + this.partSize(number));
    for (let attempt = 1; ; attempt += 1) {
      try {
        await sendPart(this.upload, number, blob, this.controller.signal);
        return;
      } catch (error) {
        if (error.name === "AbortError" || !error.retryable || attempt >= PART_TRIES) {
          throw error;
        }
        const delay = RETRY_BASE_MS * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
        this.fields.message.textContent = `Part ${number} failed (${error.message}) — trying again…`;
        await sleep(delay, this.controller.signal);
        this.fields.message.textContent = "";
      }
    }
  }

  async run() {
    this.controller = new AbortController();
    this.setState("uploading", "");
    try {
      if (this.upload) {
        // Resuming: the server's list of parts is the truth (a part may have arrived just as the
        // connection dropped, or another tab may have sent some).
        const upload = await api("GET", uploadUrl(this.upload.id), { signal: this.controller.signal });
        if (upload.status === "completed") {
          this.finish();
          return;
        }
        if (upload.status !== "active") {
          throw new ApiError("This upload was stopped on the server. Start over to send the file again.");
        }
        this.adopt(upload);
      } else {
        await this.create();
      }
      this.sessionBytes = 0;
      this.sessionStarted = performance.now();
      this.showProgress();
      for (let number = 1; number <= this.upload.part_count; number += 1) {
        if (this.received.has(number)) {
          continue;
        }
        if (this.pauseRequested) {
          this.setState("paused", "Paused. Resume to send the rest.");
          return;
        }
        await this.sendWithRetry(number);
        this.received.add(number);
        this.sessionBytes += this.partSize(number);
        this.showProgress();
      }
      if (this.subtitleFile && this.subtitleSent !== this.subtitleFile) {
        // Before completing: the transcript step reads the subtitles as soon as processing starts.
        this.setState("completing", "Sending the subtitles…");
        await this.sendSubtitles();
      }
      this.setState("completing", "Checking the parts…");
      await api("POST", `${uploadUrl(this.upload.id)}/complete`, { signal: this.controller.signal });
      this.finish();
    } catch (error) {
      if (this.cancelled || error.name === "AbortError") {
        return;
      }
      if (!this.upload) {
        this.setState("refused", error.message);
      } else if (error.status === 400) {
        this.setState("failed", error.message);
      } else {
        this.setState("failed", `${error.message} Resume to try again from the last part received.`);
      }
    } finally {
      this.controller = null;
    }
  }

  async sendSubtitles() {
    const form = new FormData();
    form.append("file", this.subtitleFile, this.subtitleFile.name);
    const url = `${videosUrl}/${encodeURIComponent(this.upload.video_id)}/subtitles`;
    try {
      await api("PUT", url, { form, signal: this.controller.signal });
    } catch (error) {
      if (error.status === 400) {
        // The video's parts are all here; only the subtitles were refused. Say so, keep the upload.
        error.message = `The subtitles were refused: ${error.message} Remove them or choose another file, then resume.`;
      }
      throw error;
    }
    this.subtitleSent = this.subtitleFile;
  }

  finish() {
    forget(this.key);
    this.received = new Set(Array.from({ length: this.upload.part_count }, (_, index) => index + 1));
    this.showProgress();
    const withSubtitles = this.subtitleSent ? " with its subtitles" : "";
    this.setState("done", `Uploaded${withSubtitles} — processing will start shortly.`);
  }
}

// ---- the queue ------------------------------------------------------------------------------------

function pump() {
  for (const row of rows) {
    if (activeFiles >= MAX_ACTIVE_FILES) {
      return;
    }
    if (row.state !== "queued") {
      continue;
    }
    activeFiles += 1;
    row.run().finally(() => {
      activeFiles -= 1;
      pump();
    });
  }
}

function updateStartAll() {
  if (!startAllButton) {
    return;
  }
  const ready = rows.filter((row) => row.state === "ready").length;
  startAllButton.hidden = ready < 2;
}

function addFiles(files) {
  if (!files.length) {
    return;
  }
  queueSection.hidden = false;
  let firstNew = null;
  for (const file of files) {
    const duplicate = rows.find((row) => row.key === fileKey(file) && !["cancelled", "refused"].includes(row.state));
    if (duplicate) {
      duplicate.fields.message.textContent = "This file is already in the list.";
      continue;
    }
    const row = new UploadRow(file);
    rows.push(row);
    list.append(row.element);
    firstNew ??= row;
    row.findEarlierUpload();
  }
  firstNew?.fields.title.focus();
}

// ---- the drop zone ------------------------------------------------------------------------------

function setUp() {
  if (!root || !list || !template) {
    return;
  }
  root.hidden = false;
  const input = root.querySelector('input[type="file"]');
  input.addEventListener("change", () => {
    addFiles(Array.from(input.files));
    input.value = ""; // so that choosing the same file again fires "change" again
  });

  let dragDepth = 0; // dragenter/dragleave fire for every child the pointer crosses
  root.addEventListener("dragenter", (event) => {
    event.preventDefault();
    dragDepth += 1;
    root.classList.add("drop-zone-active");
  });
  root.addEventListener("dragleave", () => {
    dragDepth = Math.max(dragDepth - 1, 0);
    if (dragDepth === 0) {
      root.classList.remove("drop-zone-active");
    }
  });
  root.addEventListener("dragover", (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  root.addEventListener("drop", (event) => {
    event.preventDefault();
    dragDepth = 0;
    root.classList.remove("drop-zone-active");
    addFiles(Array.from(event.dataTransfer.files));
  });
  // A file dropped beside the zone would otherwise replace the page with the file.
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (event) => {
      if (event.dataTransfer?.types.includes("Files")) {
        event.preventDefault();
      }
    });
  }

  startAllButton?.addEventListener("click", () => {
    for (const row of rows) {
      if (row.state === "ready") {
        row.setState("queued", "Waiting for another upload to finish…");
      }
    }
    pump();
  });

  window.addEventListener("beforeunload", (event) => {
    if (rows.some((row) => ACTIVE_STATES.has(row.state))) {
      // Parts already sent are kept: choosing the file again after a reload resumes it.
      event.preventDefault();
    }
  });
}

setUp();
