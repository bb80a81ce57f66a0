// The activity page: "Load more" appends the next (older) page under the events already shown,
// instead of opening it as a page of its own. Without JavaScript the link opens that page.

const feed = document.querySelector("[data-activity-feed]");

async function loadMore(link) {
  link.setAttribute("aria-disabled", "true");
  link.textContent = "Loading…";
  try {
    const response = await fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    const arrived = [...next.querySelectorAll("[data-activity-event]")];
    feed.append(...arrived);
    const nextLink = next.querySelector("[data-activity-more]");
    if (nextLink) {
      link.href = new URL(nextLink.getAttribute("href"), link.href).href;
      link.textContent = "Load more";
      link.removeAttribute("aria-disabled");
    } else {
      link.closest("p").remove();
    }
    // Keyboard users carry on from the first event that arrived, not from the top of the page.
    arrived[0]?.querySelector("a")?.focus();
  } catch {
    // Loading in place failed: the link still opens the next page as a page.
    window.location.href = link.href;
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-activity-more]");
  if (!link || !feed) return;
  event.preventDefault();
  if (link.getAttribute("aria-disabled") !== "true") loadMore(link);
});
