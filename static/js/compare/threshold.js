// The threshold slider: while it moves, the API judges the comparison at that threshold without
// saving (debounced, stale requests aborted) and the markers, list, counts and similarity follow;
// on release the threshold is kept (PATCH), which also brings back the written summary.

import { ApiError, requestJson } from "../shared/api.js";

const THRESHOLD_DEBOUNCE_MS = 100;

export function setUpThreshold(root, config, view) {
  const slider = root.querySelector("[data-threshold]");
  const output = root.querySelector("[data-threshold-value]");
  const csrfToken = root.dataset.csrfToken;
  let debounce = null;
  let judging = null; // the AbortController of the GET in flight
  let keeping = false; // a PATCH is in flight…
  let keepNext = null; // …and this threshold is to be kept after it
  let latest = Number(output.textContent); // the kept threshold (the slider may round it to a step)

  async function send(method, threshold, signal) {
    const judged = await requestJson(
      method === "GET" ? `${config.api_url}?threshold=${encodeURIComponent(threshold)}` : config.api_url,
      method === "PATCH" ? { method, csrfToken, json: { threshold } } : { method, signal },
    );
    if (judged === null) {
      throw new ApiError("The server's answer could not be read."); // nothing to show
    }
    return judged;
  }

  function show(data, threshold, message) {
    if (threshold === latest) {
      view.render(data); // an answer for a value the slider has left since is not shown
      view.status(message);
    }
  }

  function failed(error) {
    if (error.name !== "AbortError") {
      view.status("The threshold could not be applied; try again.");
    }
  }

  async function judge(threshold) {
    // Judged without saving. A newer value makes an older request moot: it is aborted.
    judging?.abort();
    const controller = new AbortController();
    judging = controller;
    try {
      show(await send("GET", threshold, controller.signal), threshold, "");
    } catch (error) {
      failed(error);
    }
  }

  async function keep(threshold) {
    // Kept one PATCH at a time: aborting one would not stop the server from applying it, perhaps
    // after a later one, so a newer value waits for the one in flight instead.
    if (keeping) {
      keepNext = threshold;
      return;
    }
    keeping = true;
    judging?.abort();
    try {
      show(await send("PATCH", threshold), threshold, "Kept.");
    } catch (error) {
      failed(error);
    }
    keeping = false;
    if (keepNext !== null) {
      const next = keepNext;
      keepNext = null;
      keep(next);
    }
  }

  // Steps are fractions of a round threshold; their float sums are not (0.052500000000000005).
  const readSlider = () => Number(Number(slider.value).toPrecision(6));

  slider.disabled = false;
  slider.addEventListener("input", () => {
    latest = readSlider();
    output.textContent = String(latest);
    view.drawCurve(latest);
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => judge(latest), THRESHOLD_DEBOUNCE_MS);
  });
  slider.addEventListener("change", () => {
    latest = readSlider();
    window.clearTimeout(debounce);
    keep(latest);
  });
}
