// The search page: a search can take a few seconds (the first one after a restart loads the
// language model), so the form says it is searching instead of looking stuck, and an empty query is
// not sent. Without JavaScript the form submits as a plain GET.

const form = document.querySelector("[data-search-form]");

function setBusy(busy) {
  const button = form.querySelector("[data-search-button]");
  const status = form.querySelector("[data-search-status]");
  const results = document.querySelector("[data-search-results]");
  button.disabled = busy;
  button.textContent = busy ? "Searching…" : "Search";
  if (busy) {
    status.dataset.idleText ??= status.textContent;
    status.textContent = "Searching what your videos say and show…";
  } else if (status.dataset.idleText !== undefined) {
    status.textContent = status.dataset.idleText;
  }
  results?.setAttribute("aria-busy", String(busy));
}

if (form) {
  const input = form.querySelector("input[name=q]");
  form.addEventListener("submit", (event) => {
    if (!input.value.trim()) {
      event.preventDefault();
      input.focus();
      return;
    }
    setBusy(true);
  });
  // Coming back with the browser's Back button restores the page as it was left: busy.
  window.addEventListener("pageshow", () => setBusy(false));
  if (!input.value) {
    input.focus();
  }
}
