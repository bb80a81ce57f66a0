// The recut page: while a job is queued or running, its state is asked of the API now and then and
// its line updated in place (percent); once none is left running the page is loaded again to show
// the results, unless a file is chosen in the form (reloading would lose it: the next load shows
// them). Without JavaScript the page reloads itself (<noscript> refresh) while a job runs.

import { requestJson } from "./shared/api.js";

const WAIT_MS = 3000;
const GIVE_UP_MS = 60 * 60 * 1000;

const section = document.querySelector("[data-recut-section]");
const listUrl = section?.dataset.recutJobsUrl;

function running(jobs) {
  return jobs.some((job) => job.status === "queued" || job.status === "running");
}

function fileChosen() {
  const input = section.querySelector("[data-recut-form] input[type=file]");
  return Boolean(input && input.files && input.files.length);
}

function show(jobs) {
  for (const job of jobs) {
    const line = section.querySelector(`[data-recut-job="${job.id}"] [data-recut-progress]`);
    if (line && (job.status === "queued" || job.status === "running")) {
      line.textContent = `${job.status === "queued" ? "Queued" : "Recutting"}… ${job.percent} %`;
    }
  }
}

if (section && listUrl && section.querySelector('[data-status="queued"], [data-status="running"]')) {
  const started = Date.now();

  async function ask() {
    let jobs = null;
    try {
      jobs = await requestJson(listUrl);
    } catch {
      jobs = null; // a network blip: asked again later
    }
    if (Array.isArray(jobs)) {
      show(jobs);
      if (!running(jobs) && !fileChosen()) {
        window.location.reload();
        return;
      }
    }
    if (Date.now() - started < GIVE_UP_MS) {
      window.setTimeout(ask, WAIT_MS);
    }
  }

  window.setTimeout(ask, WAIT_MS);
}
