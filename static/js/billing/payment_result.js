// A payment's page: "Waiting for Stripe to confirm…" until the webhook has credited the pack. The
// credit changes the balance, which the socket announces ("balance" event, via live.js); the page
// then asks SAGE how the payment stands and shows it, without a reload. It also asks once when it
// loads (the credit may have landed between the page's render and the socket's connection) and
// once more later, in case the socket is down.

const LATE_CHECK_MS = 20_000;

const section = document.getElementById("payment-result");
let checking = false;

async function check() {
  if (!section || section.dataset.state !== "waiting" || checking) {
    return;
  }
  checking = true;
  try {
    const response = await fetch(section.dataset.resultUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      return;
    }
    show(await response.json());
  } catch {
    // The next balance event asks again.
  } finally {
    checking = false;
  }
}

function show(result) {
  if (!result || typeof result.state !== "string" || result.state === section.dataset.state) {
    return;
  }
  section.dataset.state = result.state;
  const message = section.querySelector("[data-payment-message]");
  message.textContent = result.message;
  message.classList.remove("message-info", "message-success", "message-error");
  message.classList.add(result.state === "paid" ? "message-success" : result.state === "failed" ? "message-error" : "message-info");
}

document.addEventListener("sage:event", (event) => {
  if (event.detail?.type === "balance") {
    check();
  }
});
check();
window.setTimeout(check, LATE_CHECK_MS);
