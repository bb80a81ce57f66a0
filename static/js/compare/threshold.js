// The threshold slider: while it moves, the API judges the comparison at that threshold without
// saving (debounced, stale requests aborted) and the markers, list, counts and similarity follow.
// Nothing is kept until "Save as default threshold" (PATCH: the comparison opens at it from then
// on, with its written summary). "Reset to suggested" brings back the engine's own threshold for
// this comparison (judged, then kept by Save like any other value): a saved default never hides it.

import { ApiError, requestJson } from "../shared/api.js";

const THRESHOLD_DEBOUNCE_MS = 100;

export function setUpThreshold(root, config, view) {
  const slider = root.querySelector("[data-threshold]");
  const output = root.querySelector("[data-threshold-value]");
  const saveButton = root.querySelector("[data-threshold-save]");
  const resetButton = root.querySelector("[data-threshold-reset]");
  const savedText = root.querySelector("[data-threshold-saved]");
  const csrfToken = root.dataset.csrfToken;
  let debounce = null;
  let judging = null; // the AbortController of the GET in flight
  let saving = false;
  let saved = Number(output.textContent); // the stored threshold (the slider may round it to a step)
  let latest = saved; // the value the page shows
  const suggested = Number(config.suggested_threshold); // the engine's, before anyone moved it

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

  function showButtons() {
    const unsaved = latest !== saved;
    saveButton.disabled = saving || !unsaved;
    resetButton.disabled = saving || latest === suggested;
  }

  function show(data, threshold, message) {
    if (threshold === latest) {
      view.render(data); // an answer for a value the slider has left since is not shown
      view.status(message);
    }
  }

  function failed(error, what) {
    if (error.name !== "AbortError") {
      view.status(`The threshold could not be ${what}; try again.`);
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
      failed(error, "applied");
    }
  }

  function moveTo(threshold) {
    latest = threshold;
    output.textContent = String(latest);
    view.drawCurve(latest);
    showButtons();
  }

  async function save() {
    const threshold = latest;
    saving = true;
    showButtons();
    // The PATCH answers with the comparison judged at this value: a judgement still waiting for the
    // debounce would only repeat it, and would clear the "Saved" message when it lands after.
    window.clearTimeout(debounce);
    judging?.abort();
    try {
      const data = await send("PATCH", threshold);
      saved = threshold;
      savedText.textContent = String(saved);
      show(data, threshold, `Saved: this comparison opens at ${saved}.`);
    } catch (error) {
      failed(error, "saved");
    }
    saving = false;
    showButtons();
  }

  // Steps are fractions of a round threshold; their float sums are not (0.052500000000000005).
  const readSlider = () => Number(Number(slider.value).toPrecision(6));

  slider.disabled = false;
  root.querySelector("[data-threshold-actions]").hidden = false;
  // The shared sample, a link's guests and roles below editor: judged at any value, saved at none.
  saveButton.hidden = Boolean(config.read_only) || config.may_save_threshold === false;
  slider.addEventListener("input", () => {
    moveTo(readSlider());
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => judge(latest), THRESHOLD_DEBOUNCE_MS);
  });
  saveButton.addEventListener("click", save);
  resetButton.addEventListener("click", () => {
    window.clearTimeout(debounce);
    slider.value = String(suggested);
    moveTo(suggested);
    judge(suggested).then(() => {
      if (latest !== suggested) {
        return;
      }
      const saves = !config.read_only && config.may_save_threshold !== false;
      const keep = suggested === saved || !saves ? "." : ": save it as the default to keep it.";
      view.status(`Back to the engine's suggestion, ${suggested}${keep}`);
    });
  });
  showButtons();
}
