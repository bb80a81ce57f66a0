// A comparison being recomputed by the current engine: the page says so and asks the API now and
// then (less often as time goes on); once the row is made (`recomputing` false), the page is loaded
// again and shows what was found (or, its videos unreadable, says that).

import { requestJson } from "./shared/api.js";
import { readJsonScript } from "./shared/page_data.js";

const FIRST_WAIT_MS = 2000;
const LONGEST_WAIT_MS = 15000;
const GIVE_UP_MS = 30 * 60 * 1000;

const config = readJsonScript("compare-config");
if (config && document.querySelector("[data-recomputing]")) {
  const started = Date.now();
  let wait = FIRST_WAIT_MS;

  async function ask() {
    let data = null;
    try {
      data = await requestJson(config.api_url);
    } catch {
      data = null; // a network blip: asked again later
    }
    if (data && !data.recomputing) {
      window.location.reload();
      return;
    }
    if (Date.now() - started < GIVE_UP_MS) {
      wait = Math.min(wait * 1.5, LONGEST_WAIT_MS);
      window.setTimeout(ask, wait);
    }
  }

  window.setTimeout(ask, wait);
}
