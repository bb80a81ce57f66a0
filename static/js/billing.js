// The billing page: keeps the held figure current when a "balance" event arrives (live.js already
// updates the balance itself) and says that the tables below are from before the change. Without
// JavaScript the page shows the figures as they were when it loaded.

import { cardPaymentMethod, confirmPayment, mountCard } from "./billing/card.js";
import "./billing/plans.js";
import { requestJson } from "./shared/api.js";

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

// Tokens owed (spent tokens a refund or dispute took back): the warning above the summary appears,
// changes or goes with the live figure, and the header balance says so in its title. The wording is
// summary.html's.
function owedWarning(owed) {
  const line = document.createElement("p");
  line.className = "alert alert-warning tokens-owed";
  line.setAttribute("role", "alert");
  const count = document.createElement("strong");
  count.textContent = `${tokenFormat.format(owed)} token${owed === 1 ? "" : "s"} owed`;
  line.append(
    count,
    " from a refund/dispute; new paid work is paused until they are paid off. They were spent before " +
      "the payment was taken back: buying tokens or your next plan grant pays them off first.",
  );
  line.dataset.tokensOwed = String(owed);
  return line;
}

function showOwed(owed) {
  if (!Number.isInteger(owed) || owed < 0) {
    return;
  }
  const shown = document.querySelector("[data-tokens-owed]");
  if (owed === 0) {
    shown?.remove();
  } else if (shown) {
    shown.replaceWith(owedWarning(owed));
  } else {
    document.querySelector(".billing-summary")?.before(owedWarning(owed));
  }
  markHeaderOwed(owed);
}

function markHeaderOwed(owed) {
  const header = document.getElementById("header-balance");
  if (!header) {
    return;
  }
  header.classList.toggle("balance-owed", owed > 0);
  if (owed > 0) {
    header.title = `${tokenFormat.format(owed)} token${owed === 1 ? "" : "s"} owed from a refund or dispute`;
  } else {
    header.removeAttribute("title");
  }
}

markHeaderOwed(Number(document.querySelector("[data-tokens-owed]")?.dataset.tokensOwed ?? 0));

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
  showOwed(message.data.owed);
  showReloadNotice();
});

// Buying a token pack: Buy opens the card form for that pack; Pay turns the card into a payment method
// with Stripe (js/billing/card.js; not saved through a SetupIntent, whose own 3-D Secure check made a
// 3-D Secure card ask twice), asks SAGE to charge it the pack's price, completes 3-D Secure once if
// Stripe asks, then goes to the payment's page, which shows "Paid" once Stripe's webhook has credited
// the tokens. A "Buy" link of a refusal (?pack=<id>) opens that pack's card form as the page loads.
function wirePacks() {
  const section = document.getElementById("buy-tokens");
  const form = document.getElementById("card-form");
  if (!section || !form || !section.dataset.setupUrl) {
    return; // payments not configured, or nothing for sale
  }
  const mountElement = form.querySelector("[data-card-element]");
  const errorLine = form.querySelector("[data-card-error]");
  const payButton = form.querySelector("[data-card-pay]");
  let buyUrl = null;
  let busy = false;

  function showError(message) {
    errorLine.textContent = message;
    errorLine.hidden = !message;
  }

  async function pay() {
    const paymentMethod = await cardPaymentMethod(mountElement);
    const started = await requestJson(buyUrl, {
      method: "POST",
      csrfToken: section.dataset.csrfToken,
      json: { payment_method: paymentMethod },
    });
    if (started.status === "requires_action" && started.client_secret) {
      await confirmPayment(started.client_secret);
    }
    window.location.assign(started.result_url);
  }

  for (const button of section.querySelectorAll("[data-buy-url]")) {
    button.disabled = false;
    button.addEventListener("click", () => {
      buyUrl = button.dataset.buyUrl;
      form.querySelector("[data-card-pack]").textContent = `${button.dataset.packName} (${button.dataset.packPrice})`;
      showError("");
      form.hidden = false;
      try {
        mountCard(mountElement);
      } catch (error) {
        showError(error.message);
      }
      form.scrollIntoView({ block: "nearest" });
    });
  }

  const chosen = section.querySelector("[data-chosen-pack]");
  if (chosen) {
    chosen.click();
    chosen.closest(".pack-card")?.scrollIntoView({ block: "center" });
  }

  form.querySelector("[data-card-cancel]").addEventListener("click", () => {
    form.hidden = true;
    buyUrl = null;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || buyUrl === null) {
      return; // one payment at a time: a double click must not start a second
    }
    busy = true;
    payButton.disabled = true;
    showError("");
    try {
      await pay();
    } catch (error) {
      showError(error.message || "The payment did not go through.");
      busy = false;
      payButton.disabled = false;
    }
  });
}

wirePacks();
