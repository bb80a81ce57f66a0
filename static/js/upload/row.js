// One chosen file on an upload page, from choice to a processed video: the row sends the file in
// parts through the upload protocol (create → send parts one after another → complete; pause stops
// after the current part, resume asks the server which parts it has and skips them, cancel aborts),
// then follows the video's processing live to ready (Open, Compare) or to failure with the reason.
// Before the upload starts it says what processing will cost; a file the balance cannot pay for is
// not uploaded ("short": the row offers the pack that covers what is short instead of a Start
// button, and the server refuses such an upload with a 402 before any byte, shown the same way).
// `Uploader` (queue.js) runs the rows.

import { ApiError } from "../shared/api.js";
import { buyLink, mayBuy, offerFor } from "./buy.js";
import { followVideo } from "./follow.js";
import { formatBytes, formatSpeed, formatTimeLeft, titleFromFilename, tokensForSeconds } from "./format.js";
import { readDuration } from "./metadata.js";
import { priceText } from "./price.js";
import { fileKey, forget, remember, remembered, sendPart, sleep } from "./protocol.js";

const PART_TRIES = 3; // a failed part is sent at most this many times before the row gives up
const RETRY_BASE_MS = 1_000; // then 2 s, 4 s… (with jitter)
const SUBTITLE_EXTENSIONS = [".srt", ".vtt"];
export const UPLOADED_MESSAGE = "processing will start shortly.";

// Which buttons each state shows; every other action button is hidden. After "done" (every part
// arrived) the row follows the video: "processing" (queued or processing), then "processed" (ready)
// or "unprocessed" (failed or cancelled).
const BUTTONS_BY_STATE = {
  new: ["start", "remove"],
  short: ["remove"],
  resumable: ["resume", "restart", "cancel"],
  queued: ["pause", "cancel"],
  uploading: ["pause", "cancel"],
  pausing: ["cancel"],
  paused: ["resume", "cancel"],
  failed: ["resume", "cancel"],
  completing: [],
  done: ["remove"],
  processing: ["remove"],
  processed: ["remove"],
  unprocessed: ["remove"],
  refused: ["remove"],
  cancelled: ["remove"],
};

// The badge before and during the upload. While the video is processed, the badge is its status in
// the words the library uses (labels.statuses). "Ready" is kept for a processed video.
const BADGES = {
  new: ["Not started", ""],
  short: ["Needs tokens", "badge-warning"],
  resumable: ["Unfinished", "badge-warning"],
  queued: ["Waiting to upload", ""],
  uploading: ["Uploading", "badge-primary"],
  pausing: ["Pausing", "badge-warning"],
  paused: ["Paused", "badge-warning"],
  failed: ["Stopped", "badge-danger"],
  completing: ["Finishing", "badge-primary"],
  done: ["Uploaded", "badge-success"],
  refused: ["Not accepted", "badge-danger"],
  cancelled: ["Cancelled", ""],
};

export const ACTIVE_STATES = new Set(["queued", "uploading", "pausing", "completing"]);

export class UploadRow {
  constructor(uploader, file) {
    this.uploader = uploader;
    this.file = file;
    this.key = fileKey(file);
    this.upload = null; // the API's upload, once created (or found again)
    this.video = null; // the video's latest state once the upload is complete
    this.received = new Set(); // part numbers the server has
    this.subtitleFile = null; // sent to the subtitle API just before the upload is completed
    this.subtitleSent = null;
    this.pauseRequested = false;
    this.cancelled = false;
    this.controller = null;
    this.sessionBytes = 0;
    this.sessionStarted = 0;
    this.duration = undefined; // seconds; null when the browser cannot read it; undefined until read
    this.stopFollowing = null;
    this.earlierIsNotTheVersion = false; // an unfinished upload of this file was started as something else
    this.refusal = null; // the server's 402 for this file ({ message, shortfall, offer }) until the balance changes
    this.offer = null; // the server's offer shown on the row while it is short (a 402's shape)
    this.costShown = 0; // counts the cost lines shown: an offer that comes back late goes on its own line only

    const number = uploader.nextRowNumber++;
    this.element = uploader.template.content.firstElementChild.cloneNode(true);
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
    // A new version keeps the video's title (its page tells the versions apart by number).
    title.value = uploader.config.version_of?.title ?? titleFromFilename(file.name);
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
    this.fields["processing-progress"].setAttribute("aria-label", `Processing progress for ${file.name}`);
    this.setState("new");
    this.showCost();
    readDuration(file).then((seconds) => {
      this.duration = seconds;
      this.showCost();
    });
  }

  get api() {
    return this.uploader.api;
  }

  uploadUrl(uploadId = this.upload.id) {
    return `${this.uploader.uploadsUrl}/${encodeURIComponent(uploadId)}`;
  }

  // -- display --

  setState(state, message = null) {
    this.state = state;
    this.element.dataset.state = state;
    const [label, variant] = BADGES[state] ?? this.videoBadge();
    this.fields.badge.textContent = label;
    this.fields.badge.className = `badge upload-state ${variant}`.trim();
    const shown = BUTTONS_BY_STATE[state];
    for (const [action, button] of Object.entries(this.buttons)) {
      button.hidden = !shown.includes(action);
    }
    if (message !== null) {
      this.fields.message.textContent = message;
    }
    const isError = ["refused", "failed", "unprocessed"].includes(state);
    this.fields.message.classList.toggle("upload-message-error", isError);
    if (state !== "uploading") {
      this.fields.speed.textContent = "";
      this.fields.eta.textContent = "";
    }
    this.fields.cost.hidden = !["new", "short", "resumable", "queued", "uploading", "pausing", "paused", "failed"].includes(state);
    this.uploader.changed(this);
  }

  videoBadge() {
    const status = this.uploader.labels.statuses?.[this.video?.status] ?? { label: this.video?.status ?? "", badge: "" };
    return [status.label, status.badge];
  }

  showCost({ balanceChanged = false } = {}) {
    if (balanceChanged) {
      this.refusal = null; // the figures it gave are out of date: the page's own say again
    }
    let { text, short, shortfall } = priceText({
      seconds: this.duration,
      tokensPerSecond: this.uploader.config.tokens_per_second ?? 1,
      balance: this.uploader.balance,
      owed: this.uploader.owed,
      reserved: this.uploader.reservedFor(this),
      mayBuy: mayBuy(),
    });
    let offer = null;
    if (this.refusal) {
      ({ message: text, shortfall, offer } = this.refusal);
      short = true;
    }
    this.fields.cost.textContent = text;
    this.fields.cost.classList.toggle("upload-message-error", short);
    const shown = ++this.costShown;
    this.offer = null;
    if (short) {
      const place = (answer) => {
        if (shown === this.costShown) {
          this.offer = answer;
          this.fields.cost.append(" ", buyLink(answer));
          this.uploader.onChange(this); // a page that repeats the offer (compare_two.js) shows it now
        }
      };
      if (offer) {
        place(offer);
      } else {
        offerFor(shortfall).then(place);
      }
    }
    // Only a row not yet started changes: one under way was paid for when it was created.
    if (short && this.state === "new") {
      this.setState("short", "");
    } else if (!short && this.state === "short") {
      this.setState("new", "");
    }
  }

  // Tokens processing this file will cost, once its length is known (null before, or if unknown).
  price() {
    if (!Number.isFinite(this.duration) || this.duration <= 0) {
      return null;
    }
    return tokensForSeconds(this.duration, this.uploader.config.tokens_per_second ?? 1);
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
    if (action === "start" || action === "resume") {
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
    if (this.state === "short") {
      return; // not uploaded until it can be paid for
    }
    this.pauseRequested = false;
    this.setState("queued", "Waiting for another upload to finish…");
    this.uploader.pump();
  }

  pause() {
    if (this.state === "queued") {
      this.setState(this.upload ? "paused" : "new", this.upload ? "Paused." : "");
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
    if (this.earlierIsNotTheVersion) {
      this.fields.title.value = this.uploader.config.version_of.title; // as a new version starts
      this.earlierIsNotTheVersion = false;
    }
    this.fields.progress.value = 0;
    this.fields.percent.textContent = "0%";
    this.setState("new", "");
    if (earlier) {
      try {
        await this.api("DELETE", this.uploadUrl(earlier.id));
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
        await this.api("DELETE", this.uploadUrl(upload.id));
      } catch (error) {
        this.fields.message.textContent =
          `Cancelled here, but the server could not be told (${error.message}). ` +
          "The unfinished upload will be removed automatically after a day.";
      }
    }
  }

  remove() {
    this.stopFollowing?.();
    this.uploader.remove(this);
  }

  // -- the protocol --

  async findEarlierUpload() {
    const earlier = remembered(this.key);
    if (!earlier?.id) {
      return;
    }
    let upload;
    try {
      upload = await this.api("GET", this.uploadUrl(earlier.id));
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
    // On a "new version" page, an unfinished upload of the same file started as something else (a
    // video of its own, another video's version) would not become this version if resumed.
    const versionOf = this.uploader.config.version_of;
    const otherThanAsked = versionOf ? !(await this.startedAsVersionOf(upload, versionOf)) : false;
    if (this.state !== "new") {
      return; // started (or removed) while the server was asked: that choice stands
    }
    this.adopt(upload);
    if (earlier.title) {
      this.fields.title.value = earlier.title;
    }
    this.fields.title.readOnly = true;
    this.fields["title-help"].textContent = "Saved when the upload started.";
    this.showProgress();
    const sent = this.fields.percent.textContent;
    if (otherThanAsked) {
      this.earlierIsNotTheVersion = true;
      this.buttons.resume.textContent = "Resume the unfinished upload";
      this.buttons.restart.textContent = "Start as a new version";
      this.setState(
        "resumable",
        `You started uploading this file before (${sent} sent) as “${earlier.title || this.file.name}”, ` +
          `not as a new version of “${versionOf.title}”. Resume that upload, or start this file as the new version.`,
      );
      return;
    }
    this.setState("resumable", `You started uploading this file before (${sent} sent). Resume where it stopped, or start over.`);
  }

  async startedAsVersionOf(upload, versionOf) {
    if (!upload.video_id || versionOf.stack_id == null) {
      return false; // no stack yet: nothing uploaded before can be a version of it
    }
    try {
      const video = await this.api("GET", `${this.uploader.videosUrl}/${encodeURIComponent(upload.video_id)}`);
      return video.stack_id === versionOf.stack_id;
    } catch {
      return false; // not known: both choices are offered rather than a resume taken for granted
    }
  }

  adopt(upload) {
    this.upload = upload;
    this.received = new Set(upload.parts.map((part) => part.number));
  }

  async create() {
    const title = this.fields.title.value.trim();
    // Not abortable: a cancel during the request must still learn the id, to delete the upload.
    const json = { filename: this.file.name, size: this.file.size, content_type: this.file.type, title };
    if (Number.isFinite(this.duration) && this.duration > 0) {
      json.duration_seconds = this.duration; // the server refuses what the balance cannot pay for
    }
    if (this.uploader.config.version_of) {
      json.version_of = this.uploader.config.version_of.id;
    } else if (this.uploader.config.project) {
      json.project = this.uploader.config.project.id; // "Upload into this project"
    }
    const upload = await this.api("POST", this.uploader.uploadsUrl, { json });
    if (this.cancelled) {
      await this.api("DELETE", this.uploadUrl(upload.id)).catch(() => {});
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
    const partUrl = `${this.uploadUrl()}/parts/${number}`;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await sendPart(this.api, this.upload, partUrl, blob, this.controller.signal);
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
        const upload = await this.api("GET", this.uploadUrl(), { signal: this.controller.signal });
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
      await this.api("POST", `${this.uploadUrl()}/complete`, { signal: this.controller.signal });
      this.finish();
    } catch (error) {
      if (this.cancelled || error.name === "AbortError") {
        return;
      }
      if (!this.upload && error.status === 402) {
        // Not enough tokens (or tokens owed): nothing was created; the row offers buying instead.
        // The 402 names the pack to buy itself (billing.packs.refusal_details): shown as it says.
        const details = error.error ?? {};
        const shortfall = details.tokens?.short ?? 1;
        const offer = {
          tokens: details.tokens ?? { short: shortfall },
          buy_url: details.buy_url ?? null,
          buy_pack: details.buy_pack ?? null,
          ask: details.ask ?? null,
        };
        this.refusal = { message: error.message, shortfall, offer };
        this.setState("new", "");
        this.showCost();
      } else if (!this.upload) {
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
    const url = `${this.uploader.videosUrl}/${encodeURIComponent(this.upload.video_id)}/subtitles`;
    try {
      await this.api("PUT", url, { form, signal: this.controller.signal });
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
    this.uploadedText = `Uploaded${withSubtitles} — `;
    this.setState("done", `${this.uploadedText}${UPLOADED_MESSAGE}`);
    this.follow(this.upload.video_id);
  }

  // -- processing --

  follow(videoId) {
    this.videoId = videoId;
    this.stopFollowing = followVideo(videoId, {
      videosUrl: this.uploader.videosUrl,
      onUpdate: (video) => this.showVideo(video),
    });
  }

  showVideo(video) {
    this.video = video;
    const labels = this.uploader.labels;
    const { processing } = this.fields;
    // While queued, the upload's bar (at 100%) stays and the message says processing will start;
    // once a worker has it, the processing bar takes the upload bar's place.
    const processingNow = video.status === "processing";
    processing.hidden = !processingNow;
    this.fields.progress.closest(".upload-progress").hidden = !["queued", "uploading"].includes(video.status);
    const percent = Number.isInteger(video.percent) ? video.percent : 0;
    this.fields["processing-progress"].value = percent;
    this.fields["processing-percent"].textContent = `${percent}%`;
    const stage = video.stage ? labels.stages?.[video.stage] ?? video.stage : "";
    this.fields.stage.textContent = stage || (video.status === "processing" ? labels.starting : labels.waiting) || "";
    if (video.status === "queued" || video.status === "uploading") {
      this.setState("processing", `${this.uploadedText ?? "Uploaded — "}${UPLOADED_MESSAGE}`);
    } else if (video.status === "processing") {
      this.setState("processing", "Processing…");
    } else if (video.status === "ready") {
      this.setState("processed", "Ready: open it to watch it with its transcript, or compare it with another video.");
    } else {
      const reason = video.error_message || (video.status === "cancelled" ? "Processing was cancelled." : "Processing failed.");
      this.setState("unprocessed", reason);
    }
    this.showNext();
  }

  showNext() {
    const { next, open, compare } = this.fields;
    const status = this.video?.status;
    next.hidden = !["ready", "failed", "cancelled"].includes(status);
    if (next.hidden) {
      return;
    }
    const id = String(this.videoId);
    open.href = this.uploader.config.video_url.replace("/0/", `/${id}/`);
    open.textContent = status === "ready" ? "Open" : "Open (retry there)";
    compare.hidden = status !== "ready" || !this.uploader.offerCompare;
    compare.href = this.uploader.config.compare_url.replace(/a=0$/, `a=${id}`);
  }
}
