// "Compare two videos": two files (dropped or chosen) or two videos already here → the files are
// uploaded and both are processed, followed live → the comparison is made through the comparisons
// API and opens by itself. Each file's row (static/js/upload/row.js) shows its price, its upload and
// its processing, as on the upload page.

import { showRefusal } from "./shared/buy.js";
import { readJsonScript } from "./shared/page_data.js";
import { followVideo } from "./upload/follow.js";
import { refuseStrayDrops, setUpDropZone } from "./upload/drop.js";
import { makeApi } from "./upload/protocol.js";
import { Uploader } from "./upload/queue.js";

const page = document.querySelector("[data-compare-two]");
const root = document.querySelector("[data-upload-root]");
const template = document.getElementById("upload-row-template");
const goButton = document.querySelector("[data-compare-go]");
const statusLine = document.querySelector("[data-compare-status]");
const config = readJsonScript("upload-config") ?? {};
const labels = readJsonScript("video-live-labels") ?? { stages: {}, statuses: {} };

const UNFINISHED_ROW = new Set(["refused", "cancelled", "failed", "unprocessed"]);
// Rows whose upload exists on the server and has not completed: choosing another file aborts it.
const UNFINISHED_UPLOAD = new Set(["queued", "uploading", "pausing", "paused", "failed", "completing"]);

class Slot {
  constructor(element, label) {
    this.element = element;
    this.label = label;
    this.list = element.querySelector("[data-slot-list]");
    this.empty = element.querySelector("[data-slot-empty]");
    this.pick = element.querySelector("[data-slot-pick]");
    this.picked = element.querySelector("[data-slot-picked]");
    this.clearButton = element.querySelector("[data-slot-clear]");
    this.row = null; // a file's upload row
    this.videoId = null; // a picked video
    this.video = null; // the picked video's latest state
    this.stop = null;
    this.pick?.addEventListener("change", () => this.choose(this.pick.value));
    this.clearButton.addEventListener("click", () => this.clear());
  }

  get filled() {
    return this.row !== null || this.videoId !== null;
  }

  get id() {
    return this.row ? this.row.videoId ?? null : this.videoId;
  }

  get status() {
    // "ready", "failed" (with `reason`), or "" while on its way.
    if (this.row) {
      if (this.row.state === "processed") {
        return "ready";
      }
      return UNFINISHED_ROW.has(this.row.state) ? "failed" : "";
    }
    if (this.video?.status === "ready") {
      return "ready";
    }
    return ["failed", "cancelled"].includes(this.video?.status) ? "failed" : "";
  }

  // A file the balance cannot pay for is never uploaded (its row offers the pack): as the API's 402
  // would say it, from the row's Buy link, or null while the row can be paid for.
  get tokensRefusal() {
    if (this.row?.state !== "short") {
      return null;
    }
    // The server's offer the row shows (upload/buy.js); none until it has come.
    return this.row.offer ?? { tokens: { short: 0 } };
  }

  get reason() {
    if (this.row) {
      return this.row.fields.message.textContent;
    }
    return this.video?.error_message || "Its processing did not finish.";
  }

  setFile(row) {
    this.row = row;
    this.showFilled();
  }

  choose(value) {
    this.stop?.();
    this.videoId = value ? Number(value) : null;
    this.video = null;
    if (this.videoId === null) {
      this.showFilled();
      return;
    }
    const option = this.pick.selectedOptions[0];
    this.showPicked(option.dataset.title, "checking…");
    this.stop = followVideo(this.videoId, {
      videosUrl: root.dataset.videosUrl,
      onUpdate: (video) => {
        this.video = video;
        const status = labels.statuses?.[video.status]?.label ?? video.status;
        const stage = video.status === "processing" && video.stage ? ` — ${labels.stages?.[video.stage] ?? video.stage} ${video.percent}%` : "";
        const reason = this.status === "failed" ? `: ${this.reason}` : "";
        this.showPicked(option.dataset.title, `${status}${stage}${reason}`);
        update();
      },
    });
    this.showFilled();
  }

  clear() {
    if (this.row) {
      const row = this.row;
      this.row = null;
      if (UNFINISHED_UPLOAD.has(row.state)) {
        row.cancel(); // an upload under way is stopped; a finished one is simply left out
      }
      row.remove();
    }
    if (this.pick) {
      this.pick.value = "";
    }
    this.choose("");
  }

  // The title in a <bdi> of its own: characters in it that set the text's direction reorder
  // nothing of the state after it.
  showPicked(title, state) {
    const name = document.createElement("bdi");
    name.textContent = title;
    this.picked.replaceChildren("“", name, `”: ${state}`);
  }

  showFilled() {
    problem = "";
    const hasVideo = this.videoId !== null;
    this.empty.hidden = this.filled;
    this.picked.hidden = !hasVideo;
    if (this.pick) {
      this.pick.closest(".compare-two-pick").hidden = this.row !== null;
    }
    this.clearButton.hidden = !this.filled || started;
    update();
  }
}

let started = false;
let comparing = false;
let problem = ""; // why the last try stopped, said until the choice changes or another try starts
let said = null;
const slots = [...document.querySelectorAll("[data-slot]")].map((element, index) => new Slot(element, "AB"[index]));
const api = makeApi(root?.dataset.csrfToken ?? "");

// `refusal`: a refusal for tokens, whose offer follows the text.
function say(text, refusal = null) {
  const saying = JSON.stringify([text, refusal]);
  if (said !== saying) {
    said = saying; // said once: a screen reader hears a change, not every update
    showRefusal(statusLine, text, refusal);
  }
}

function update() {
  if (!goButton) {
    return;
  }
  const [a, b] = slots;
  const bothChosen = a.filled && b.filled;
  const withFiles = slots.some((slot) => slot.row !== null);
  // A file the balance cannot pay for is not uploaded: nothing to wait for until tokens are bought
  // (its row then becomes ready to upload by itself, and the button comes back).
  const needsTokens = slots.find((slot) => slot.tokensRefusal);
  if (needsTokens) {
    started = false;
  }
  goButton.textContent = withFiles ? "Upload and compare" : "Compare";
  goButton.disabled = started || !bothChosen;
  for (const slot of slots) {
    slot.clearButton.hidden = !slot.filled || (started && slot.status !== "failed");
    if (slot.pick) {
      slot.pick.disabled = started;
    }
  }
  if (needsTokens) {
    goButton.disabled = true;
    say(`The comparison can't start until tokens are bought for video ${needsTokens.label}.`, needsTokens.tokensRefusal);
    return;
  }
  if (!started) {
    if (a.videoId !== null && a.videoId === b.videoId) {
      say("Choose two different videos.");
      goButton.disabled = true;
    } else if (problem && bothChosen) {
      say(problem);
    } else {
      say(bothChosen ? `Ready to ${withFiles ? "upload and " : ""}compare.` : "Choose video A and video B.");
    }
    return;
  }
  const failed = slots.find((slot) => slot.status === "failed");
  if (failed) {
    problem = `Video ${failed.label} could not be used: ${failed.reason} Choose another to go on.`;
    say(problem);
    started = false;
    goButton.disabled = !bothChosen;
    return;
  }
  const waiting = slots.filter((slot) => slot.status !== "ready");
  if (waiting.length === 0) {
    compare();
  } else if (waiting.length === 1) {
    say(`Video ${slots.find((slot) => slot.status === "ready").label} is ready; waiting for video ${waiting[0].label}. The comparison opens by itself.`);
  } else {
    say("Uploading and processing both videos… The comparison opens by itself when both are ready.");
  }
}

async function compare() {
  if (comparing) {
    return;
  }
  comparing = true;
  say("Both videos are ready. Comparing them…");
  const [a, b] = slots;
  try {
    const comparison = await api("POST", config.comparisons_api, { json: { video_a: a.id, video_b: b.id } });
    say("Opening the comparison…");
    window.location.assign(config.comparison_url.replace("/0/", `/${comparison.id}/`));
  } catch (error) {
    comparing = false;
    started = false;
    problem = `The comparison could not be made: ${error.message}`;
    update();
  }
}

function addFiles(files) {
  for (const file of files) {
    const slot = slots.find((each) => !each.filled);
    if (!slot) {
      say("Both sides have a video: choose another for one of them first.");
      return;
    }
    const row = uploader.add(file, slot.list);
    if (row) {
      slot.setFile(row);
    }
  }
}

function start() {
  started = true;
  problem = "";
  for (const slot of slots) {
    if (slot.row && ["new", "resumable", "paused", "failed"].includes(slot.row.state)) {
      slot.row.enqueue();
    }
  }
  update();
}

const uploader =
  root && template
    ? new Uploader({
        root,
        template,
        config,
        labels,
        offerCompare: false,
        onChange: (row) => {
          if (row === null) {
            for (const slot of slots) {
              if (slot.row && !uploader.rows.includes(slot.row)) {
                slot.row = null; // removed with its own "Remove from list" button
                slot.showFilled();
              }
            }
          }
          update();
        },
      })
    : null;

if (page && uploader && goButton) {
  page.hidden = false;
  setUpDropZone(root, addFiles);
  refuseStrayDrops();
  goButton.addEventListener("click", start);
  window.addEventListener("beforeunload", (event) => {
    if (uploader.busy()) {
      event.preventDefault();
    }
  });
  update();
}
