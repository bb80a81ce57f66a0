// The rows of an upload page and their queue: at most MAX_ACTIVE_FILES files upload at once, the
// others wait their turn. Keeps the balance and what is owed current (live "balance" events) for the
// rows' prices: a row that cannot be paid for is not uploaded.

import { fileKey, makeApi } from "./protocol.js";
import { ACTIVE_STATES, UploadRow } from "./row.js";

const MAX_ACTIVE_FILES = 2;

// Rows whose processing this page has started to pay for in effect (their upload exists) but whose
// tokens the balance does not show as held yet: a row not started counts them as spent.
const RESERVING_STATES = new Set(["resumable", "queued", "uploading", "pausing", "paused", "failed", "completing", "done"]);
const VIDEO_NOT_HELD = new Set(["uploading", "queued"]);

export class Uploader {
  // `root` carries the APIs and the CSRF token; `onChange(row)` runs after any row changes state (or
  // with null after one is removed); `offerCompare`: a ready row links to the picker with it as A.
  constructor({ root, template, config, labels, onChange = () => {}, offerCompare = true }) {
    this.uploadsUrl = root.dataset.uploadsUrl ?? "/api/v1/uploads";
    this.videosUrl = root.dataset.videosUrl ?? "/api/v1/videos";
    this.api = makeApi(root.dataset.csrfToken ?? "");
    this.template = template;
    this.config = config;
    this.labels = labels;
    this.onChange = onChange;
    this.offerCompare = offerCompare;
    this.balance = config.balance;
    // Tokens owed from a refund or dispute: no upload until they are paid off (billing/partials/upload_price.html).
    this.owed = Number(document.querySelector("[data-upload-price]")?.dataset.owed ?? 0) || 0;
    this.rows = [];
    this.refreshing = false;
    this.nextRowNumber = 1;
    this.activeFiles = 0;
    document.addEventListener("sage:event", (event) => {
      const message = event.detail;
      if (message?.type === "balance" && Number.isInteger(message.data?.balance)) {
        this.balance = message.data.balance;
        if (Number.isInteger(message.data.owed)) {
          this.owed = message.data.owed;
        }
        for (const row of this.rows) {
          row.showCost({ balanceChanged: true });
        }
      }
    });
  }

  add(file, list) {
    // null when the same file is already in the list (that row says so).
    const duplicate = this.rows.find((row) => row.key === fileKey(file) && !["cancelled", "refused"].includes(row.state));
    if (duplicate) {
      duplicate.fields.message.textContent = "This file is already in the list.";
      return null;
    }
    const row = new UploadRow(this, file);
    this.rows.push(row);
    list.append(row.element);
    this.onChange(row); // now counted among the rows (its first state was set before)
    row.findEarlierUpload();
    return row;
  }

  remove(row) {
    const index = this.rows.indexOf(row);
    if (index >= 0) {
      this.rows.splice(index, 1);
    }
    const next = row.element.nextElementSibling ?? row.element.previousElementSibling;
    row.element.remove();
    next?.querySelector("button:not([hidden])")?.focus();
    this.onChange(null);
  }

  changed(row) {
    this.onChange(row);
    if (this.refreshing) {
      return;
    }
    // What this row reserves changed: the rows not started say again whether they can be paid for.
    this.refreshing = true;
    try {
      for (const other of this.rows) {
        if (other !== row && (other.state === "new" || other.state === "short")) {
          other.showCost();
        }
      }
    } finally {
      this.refreshing = false;
    }
  }

  // Tokens the other rows of this page will be charged that the balance does not show yet.
  reservedFor(row) {
    let total = 0;
    for (const other of this.rows) {
      const reserving =
        RESERVING_STATES.has(other.state) || (other.state === "processing" && VIDEO_NOT_HELD.has(other.video?.status));
      if (other !== row && reserving) {
        total += other.price() ?? 0;
      }
    }
    return total;
  }

  pump() {
    for (const row of this.rows) {
      if (this.activeFiles >= MAX_ACTIVE_FILES) {
        return;
      }
      if (row.state !== "queued") {
        continue;
      }
      this.activeFiles += 1;
      row.run().finally(() => {
        this.activeFiles -= 1;
        this.pump();
      });
    }
  }

  startAll() {
    // One after another, so each row counts the ones queued before it (those the balance cannot
    // also pay for stay "short", with their offer).
    for (const row of this.rows) {
      if (row.state === "new") {
        row.showCost();
      }
      if (row.state === "new") {
        row.setState("queued", "Waiting for another upload to finish…");
      }
    }
    this.pump();
  }

  busy() {
    return this.rows.some((row) => ACTIVE_STATES.has(row.state));
  }
}
