// The billing page: keeps the held figure current when a "balance" event arrives (live.js already
// updates the balance itself) and says that the tables below are from before the change. Without
// JavaScript the page shows the figures as they were when it loaded.

// The server formats with Django's intcomma (en-US grouping); the browser's locale must not change that.
const tokenFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function showHeld(held) {
  if (!Number.isInteger(held)) {
    return;
  }
  for (const element of document.querySelectorAll('[data-live="held"] .held-value')) {
    element.textContent = tokenFormat.format(held);
  }
}

function showReloadNotice() {
  const notice = document.querySelector("#billing-live-notice > p");
  if (notice) {
    notice.hidden = false;
  }
}

document.addEventListener("sage:event", (event) => {
  const message = event.detail;
  if (!message || message.type !== "balance" || !message.data) {
    return;
  }
  showHeld(message.data.held);
  showReloadNotice();
});
