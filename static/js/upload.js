// The upload page: each chosen file becomes a row (static/js/upload/row.js) that says what
// processing it will cost, sends the file in parts, then follows the video's processing live to
// ready (Open, Compare) or to failure with the reason. Upload ids are remembered in localStorage
// (per file name + size + last-modified time), so choosing the same file again after a reload or a
// crash offers to resume it. YouTube links are added below the files (static/js/upload/youtube.js).

import { readJsonScript } from "./shared/page_data.js";
import { refuseStrayDrops, setUpDropZone } from "./upload/drop.js";
import { Uploader } from "./upload/queue.js";
import { setUpYouTube } from "./upload/youtube.js";

const root = document.querySelector("[data-upload-root]");
const list = document.querySelector("[data-upload-list]");
const queueSection = document.querySelector("[data-upload-queue]");
const startAllButton = document.querySelector("[data-start-all]");
const template = document.getElementById("upload-row-template");
const config = readJsonScript("upload-config") ?? {};
const labels = readJsonScript("video-live-labels") ?? { stages: {}, statuses: {} };

function setUp() {
  const youtubeForm = document.querySelector("[data-youtube-form]");
  if (youtubeForm && config.youtube_api) {
    setUpYouTube({
      form: youtubeForm,
      list: document.querySelector("[data-youtube-list]"),
      template: document.getElementById("youtube-row-template"),
      config,
      labels,
      videosUrl: root?.dataset.videosUrl ?? "/api/v1/videos",
    });
  }
  if (!root || !list || !template) {
    return;
  }
  const uploader = new Uploader({
    root,
    template,
    config,
    labels,
    onChange: (row) => {
      if (startAllButton) {
        startAllButton.hidden = uploader.rows.filter((each) => each.state === "new").length < 2;
      }
      if (row === null && uploader.rows.length === 0) {
        queueSection.hidden = true; // the last row was removed
        root.hidden = false; // a new version's page hid it after its one file
        document.getElementById("upload-files")?.focus();
      }
    },
  });
  root.hidden = false;

  // "Upload a new version" of a video (?version_of=): one file, which becomes its next version.
  const versionOf = config.version_of ?? null;
  setUpDropZone(root, (chosen) => {
    const files = versionOf ? chosen.slice(0, 1) : chosen;
    if (!files.length) {
      return;
    }
    if (versionOf) {
      root.hidden = true; // one new version per visit
    }
    queueSection.hidden = false;
    let firstNew = null;
    for (const file of files) {
      const row = uploader.add(file, list);
      firstNew ??= row;
    }
    firstNew?.fields.title.focus();
  });
  refuseStrayDrops();

  startAllButton?.addEventListener("click", () => uploader.startAll());

  window.addEventListener("beforeunload", (event) => {
    if (uploader.busy()) {
      // Parts already sent are kept: choosing the file again after a reload resumes it.
      event.preventDefault();
    }
  });
}

setUp();
