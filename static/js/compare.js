// The comparison page: two players with one transport, kept in step through the alignment, on one
// timeline of the differences.
//
// The timeline's axis is the alignment itself: the stretches both videos show (the comparison's
// matched spans) and, between them, what only one
// has. A stretch only B has therefore takes room on the timeline, and the two videos meet again
// after it. Playback follows that axis: where both have content, A leads and B follows at A's time
// mapped through the span (b = b_start + (a − a_start)·rate, rate 1 but where B plays at another
// speed); inside a stretch only B has, A waits (paused
// where the stretch sits in A) while B plays it through, then both go on together; the same the
// other way round for a stretch only A has. Seeking, the keyboard and the difference list all move a
// position on this axis, and each player goes to its own time for it.
//
// Everything starts from the payload embedded in the page (#compare-data), the shape the API
// returns. Without JavaScript the page keeps both native players, the list and the exports.
//
// The parts live in ./compare/: axis.js (the aligned axis), transport.js (the players, drift
// correction), timeline.js, differences.js, curve.js, threshold.js (judged while it moves, kept on
// release), controls.js and keys.js; page.js puts them together.

import { readJsonScript } from "./shared/page_data.js";
import { setUpPage } from "./compare/page.js";

const root = document.querySelector("[data-compare-page]");
const config = readJsonScript("compare-config");
const initial = readJsonScript("compare-data");
// Both players, or there is nothing to drive (the page stays as served; so it does without an axis).
if (root && config && initial && root.querySelectorAll("video[data-player]").length === 2) {
  setUpPage(root, config, initial);
}

// A shared page's sprites come through signed URLs that expire: reviews/shared_media.js hands over
// fresh ones, and the timeline's previews read them from the config from then on.
document.addEventListener("sage:shared-media", (event) => {
  for (const side of ["a", "b"]) {
    const sprite = event.detail?.[side]?.sprite;
    if (config?.[side] && sprite) {
      config[side].sprite_url = sprite;
    }
  }
});
