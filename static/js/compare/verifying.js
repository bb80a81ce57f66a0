// A large comparison is stored on the fingerprints' first estimate while a worker checks it on the
// decoded pictures and sound. Meanwhile the page says so and asks the API now and then (less often
// as time goes on); once checked, the list, markers, counts and curve follow at the slider's value.

import { requestJson } from "../shared/api.js";

const FIRST_WAIT_MS = 2000;
const LONGEST_WAIT_MS = 15000;
const GIVE_UP_MS = 30 * 60 * 1000;

export function followVerification(root, config, initial, view) {
  const notice = root.querySelector("[data-verifying]");
  if (initial.verified !== false || !notice) {
    return;
  }
  const slider = root.querySelector("[data-threshold]");
  const started = Date.now();
  let wait = FIRST_WAIT_MS;

  async function ask() {
    const threshold = Number(Number(slider.value).toPrecision(6));
    let data = null;
    try {
      data = await requestJson(`${config.api_url}?threshold=${encodeURIComponent(threshold)}`);
    } catch {
      data = null; // a network blip: asked again later
    }
    if (data?.verified) {
      notice.hidden = true;
      view.render(data);
      view.drawCurve(threshold);
      view.status("Checked on the pictures and the sound.");
      return;
    }
    if (Date.now() - started < GIVE_UP_MS) {
      wait = Math.min(wait * 1.5, LONGEST_WAIT_MS);
      window.setTimeout(ask, wait);
    }
  }

  window.setTimeout(ask, wait);
}
