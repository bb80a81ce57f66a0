// An older engine's comparison being made again by the current one (its owner asked: a worker
// decodes both videos again). Meanwhile the page says so and asks the API now and then (less often
// as time goes on); once the row's engine has changed, the page's render says it was made again
// and offers to reload (its alignment may be another than this page's axis).

import { requestJson } from "../shared/api.js";

const FIRST_WAIT_MS = 3000;
const LONGEST_WAIT_MS = 20000;
const GIVE_UP_MS = 30 * 60 * 1000;

export function followMakingAgain(root, config, initial, view) {
  if (!root.querySelector("[data-being-made-again]")) {
    return;
  }
  const started = Date.now();
  let wait = FIRST_WAIT_MS;

  async function ask() {
    let data = null;
    try {
      data = await requestJson(config.api_url);
    } catch {
      data = null; // a network blip: asked again later
    }
    if (data && data.engine !== initial.engine) {
      view.render(data);
      return;
    }
    if (Date.now() - started < GIVE_UP_MS) {
      wait = Math.min(wait * 1.5, LONGEST_WAIT_MS);
      window.setTimeout(ask, wait);
    }
  }

  window.setTimeout(ask, wait);
}
