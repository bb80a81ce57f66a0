// An answer's [mm:ss] / [h:mm:ss] marks as links to that moment, as chat/time_links.py links them in
// the HTML the server renders: `?t=<seconds>` on the video's page, which ChatThread plays in the
// page's player instead when it can. Which video: the conversation's; in a library conversation,
// the video of the citation the mark points at (its sentence starts within a second of it), and no
// link when none does.

const MARK = /\[(?:(\d{1,2}):)?(\d{1,2}):(\d{2})\]/g;
const CITATION_SLACK_SECONDS = 1; // chat.answering.CITATION_SLACK_SECONDS

function markSeconds(match) {
  return Number(match[1] || 0) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

function citedVideoId(seconds, citations) {
  let best = null;
  for (const citation of citations || []) {
    const start = Number(citation.start);
    const end = Number(citation.end);
    if (!Number.isFinite(start)) {
      continue;
    }
    // A mark is whole seconds: [00:14] means a start from 14.0 to 14.99.
    const offset = Math.max(0, Math.abs(start - (seconds + 0.5)) - 0.5);
    const near = offset <= CITATION_SLACK_SECONDS || (start <= seconds && seconds <= end);
    if (near && (best === null || offset < best.offset)) {
      best = { offset, videoId: Number(citation.video_id) };
    }
  }
  return best ? best.videoId : null;
}

function timeLink(mark, seconds, videoId, videoUrl) {
  const link = document.createElement("a");
  link.className = "chat-time";
  link.href = `${videoUrl.replace("{id}", String(videoId))}?t=${seconds}`;
  link.dataset.videoId = String(videoId);
  link.dataset.start = String(seconds);
  link.setAttribute("aria-label", `Play from ${mark.slice(1, -1)}`);
  link.textContent = mark;
  return link;
}

// Links the marks in `element`'s text, leaving text inside links and code (and marks already linked,
// as the server renders them) as it is.
export function linkTimes(element, { videoId, citations, videoUrl }) {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const enclosing = node.parentElement?.closest("a, code, pre");
    if (!(enclosing && element.contains(enclosing)) && node.data.includes("[")) {
      texts.push(node);
    }
  }
  for (const node of texts) {
    const pieces = [];
    let last = 0;
    for (const match of node.data.matchAll(MARK)) {
      const seconds = markSeconds(match);
      const target = videoId ?? citedVideoId(seconds, citations);
      if (target === null || target === undefined) {
        continue;
      }
      pieces.push(node.data.slice(last, match.index), timeLink(match[0], seconds, target, videoUrl));
      last = match.index + match[0].length;
    }
    if (pieces.length) {
      pieces.push(node.data.slice(last));
      node.replaceWith(...pieces);
    }
  }
}
