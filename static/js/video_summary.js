// The video page's summary: its [mm:ss] times are links to ?t=<seconds> (they reload the page
// there without JavaScript); with it, a click brings the player into view and seeks it.

import { seekOnPage } from "./shared/seek.js";

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-video-page] a[data-summary-seek]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  if (seekOnPage(link, Number(link.dataset.summarySeek) || 0)) {
    event.preventDefault();
  }
});
