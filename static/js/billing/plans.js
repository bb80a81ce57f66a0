// The billing page's plans section: Subscribe, Switch to, Cancel plan and Resume.
//
// Subscribe opens the card form in the plan's card (Stripe's card fields, js/billing/card.js), makes
// the card a payment method (no authentication yet), POSTs its id to /billing/plans/<slug>/subscribe/,
// completes 3-D Secure for the first invoice's payment if Stripe asks (the only time it asks: the
// card is not saved through a SetupIntent first), then shows the new plan without leaving the page.
// Switch and Cancel ask first, inline in the plan's card (what it costs, when it applies).
//
// Showing the outcome: the server applies Stripe's subscription before it answers (and again when
// the webhook comes), so once it has answered, the plans section, the "Your plan" box and the
// summary's Plan figure are fetched afresh from this page's URL and swapped in place. The plan's
// tokens come later, from the paid invoice's webhook: its live "balance" message raises the header
// balance (js/live.js), and this module refreshes the sections again then (an incomplete
// subscription, paid after 3-D Secure, becomes active by that webhook). There is no "plan" socket
// message; the "balance" one is the live signal. Without JavaScript the buttons do nothing (they
// need a card form) and the page still shows each plan and one's own.

import { requestJson } from "../shared/api.js";
import { cardPaymentMethod, confirmPayment, mountCard } from "./card.js";

const REFRESHED_PARTS = ["#plans > .section-title", "#plans > .plan-grid", "#current-plan", "#summary-plan"];

let waitingForGrant = null; // the plan name whose first paid invoice we wait for, or null
let grantArrived = false; // its "balance" message came while the subscribe request was in flight
let busy = false;

function section() {
  return document.getElementById("plans");
}

function endpoint(slug, action) {
  return `${section().dataset.subscribeBase}${encodeURIComponent(slug)}/${action}/`;
}

function say(text, { error = false } = {}) {
  const line = section()?.querySelector("[data-plans-message]");
  if (!line) {
    return;
  }
  line.textContent = text;
  line.classList.toggle("message", Boolean(text));
  line.classList.toggle("message-error", Boolean(text) && error);
  line.classList.toggle("message-success", Boolean(text) && !error);
}

// Swap the parts of the page that show the plan for the server's current rendering of them.
async function refreshPlanParts() {
  const response = await fetch(window.location.pathname + window.location.search, {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
  });
  if (!response.ok) {
    throw new Error("The page could not be refreshed; reload it to see your plan.");
  }
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  // The section itself stays, with its status line: a live region that is replaced rather than
  // changed is not reliably announced. Its attributes (the renewal date) are the fresh ones.
  const plans = section();
  const freshPlans = fresh.getElementById("plans");
  if (plans && freshPlans) {
    for (const name of plans.getAttributeNames()) {
      if (!freshPlans.hasAttribute(name)) {
        plans.removeAttribute(name);
      }
    }
    for (const name of freshPlans.getAttributeNames()) {
      plans.setAttribute(name, freshPlans.getAttribute(name));
    }
  }
  for (const selector of REFRESHED_PARTS) {
    const now = document.querySelector(selector);
    const next = fresh.querySelector(selector);
    if (now && next) {
      now.replaceWith(document.importNode(next, true));
    }
  }
}

async function refreshThenSay(text) {
  try {
    await refreshPlanParts();
    say(text);
  } catch (error) {
    say(error.message, { error: true });
  }
}

// --- Subscribe --------------------------------------------------------------------------------

function cardFormOf(button) {
  return button.closest("[data-plan-slug]")?.querySelector("[data-plan-card-form]") ?? null;
}

function showCardError(form, message) {
  const line = form.querySelector("[data-card-error]");
  line.textContent = message;
  line.hidden = !message;
}

function openCardForm(button) {
  const form = cardFormOf(button);
  if (!form) {
    return;
  }
  for (const other of section().querySelectorAll("[data-plan-card-form]")) {
    other.hidden = other !== form;
  }
  closeConfirmations();
  showCardError(form, "");
  form.hidden = false;
  try {
    mountCard(form.querySelector("[data-card-element]"));
  } catch (error) {
    showCardError(form, error.message);
  }
  form.scrollIntoView({ block: "nearest" });
}

async function subscribe(form) {
  const card = form.closest("[data-plan-slug]");
  const slug = card.dataset.planSlug;
  const planName = card.querySelector('[data-plan-action="subscribe"]')?.dataset.planName ?? slug;
  const plans = section();
  const paymentMethod = await cardPaymentMethod(form.querySelector("[data-card-element]"));
  // From here the webhook may credit the plan's tokens before SAGE has answered.
  waitingForGrant = planName;
  grantArrived = false;
  const started = await requestJson(endpoint(slug, "subscribe"), {
    method: "POST",
    csrfToken: plans.dataset.csrfToken,
    json: { payment_method: paymentMethod },
  });
  if (started?.client_secret) {
    await confirmPayment(started.client_secret);
  }
  let text = `Waiting for Stripe to confirm your ${planName} plan…`;
  if (grantArrived) {
    waitingForGrant = null;
    text = `You are on the ${planName} plan; its tokens have been added.`;
  } else if (started?.status === "active" || started?.status === "trialing") {
    text = `You are on the ${planName} plan. Its tokens are added once Stripe confirms the payment.`;
  }
  await refreshThenSay(text);
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest?.("[data-plan-card-form]");
  if (!form) {
    return;
  }
  event.preventDefault();
  if (busy) {
    return; // one subscription at a time: a double click must not start a second
  }
  busy = true;
  const pay = form.querySelector("[data-card-pay]");
  pay.disabled = true;
  showCardError(form, "");
  try {
    await subscribe(form);
  } catch (error) {
    waitingForGrant = null;
    showCardError(form, error.message || "The subscription did not go through.");
    pay.disabled = false;
  } finally {
    busy = false;
  }
  if (waitingForGrant !== null && grantArrived) {
    // The grant landed while the page was being refreshed after SAGE's answer.
    const name = waitingForGrant;
    waitingForGrant = null;
    await refreshThenSay(`You are on the ${name} plan; its tokens have been added.`);
  }
});

// --- Switch, Cancel, Resume: asked inline, then done ------------------------------------------

function closeConfirmations() {
  for (const box of section()?.querySelectorAll("[data-plan-confirm]") ?? []) {
    box.remove();
  }
}

function question(button) {
  const { planAction: action, planName: name, planPrice: price, planChange: change } = button.dataset;
  const plans = section();
  const renews = plans.dataset.periodEnd;
  if (action === "switch") {
    if (change === "upgrade") {
      return (
        `Switch to ${name} for ${price}? It starts now: the difference for the rest of this month ` +
        `is charged at once, and ${name}'s extra tokens are added.`
      );
    }
    // A downgrade (billing/subscriptions.py): the plan changes now, nothing is refunded, this
    // month's tokens are kept, and the lower price is charged from the next renewal.
    const from = renews ? ` on ${renews}` : "";
    return (
      `Switch to ${name}? Your plan changes now and you keep this month's tokens; ` +
      `${price} is charged from your next renewal${from}.`
    );
  }
  if (action === "cancel") {
    const until = renews || "the end of the paid month";
    return (
      `Cancel your ${name} plan? It lasts until ${until}, then you return to the free plan; ` +
      "nothing more is charged."
    );
  }
  return null; // resume needs no question
}

function answerText(action, name, answer) {
  const renews = section()?.dataset.periodEnd;
  if (action === "cancel") {
    return `Cancelled: ${name} until ${renews || "the end of the paid month"}, then the free plan.`;
  }
  if (action === "resume") {
    return `Your ${name} plan renews again${renews ? ` on ${renews}` : ""}.`;
  }
  return answer?.plan ? `Your plan is now ${name}.` : "Your plan was changed.";
}

async function act(button) {
  const { planAction: action, planName: name } = button.dataset;
  const slug = button.closest("[data-plan-slug]").dataset.planSlug;
  const answer = await requestJson(endpoint(slug, action), {
    method: "POST",
    csrfToken: section().dataset.csrfToken,
    json: {},
  });
  await refreshPlanParts();
  say(answerText(action, name, answer));
}

async function runAction(button, confirmButton = null) {
  if (busy) {
    return;
  }
  busy = true;
  button.disabled = true;
  if (confirmButton) {
    confirmButton.disabled = true;
  }
  say("");
  try {
    await act(button);
  } catch (error) {
    say(error.message || "That did not work; try again.", { error: true });
    button.disabled = false;
    if (confirmButton) {
      confirmButton.closest("[data-plan-confirm]")?.remove();
    }
  } finally {
    busy = false;
  }
}

function askFirst(button, text) {
  closeConfirmations();
  const box = document.createElement("div");
  box.className = "plan-confirm";
  box.dataset.planConfirm = "";
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "Confirm the plan change");
  const prompt = document.createElement("p");
  prompt.textContent = text;
  const yes = document.createElement("button");
  yes.type = "button";
  yes.className = button.dataset.planAction === "cancel" ? "button button-danger" : "button button-primary";
  yes.textContent = button.dataset.planAction === "cancel" ? "Yes, cancel" : "Yes, switch";
  const no = document.createElement("button");
  no.type = "button";
  no.className = "button";
  no.textContent = "Keep my plan";
  const actions = document.createElement("div");
  actions.className = "button-row";
  actions.append(yes, no);
  box.append(prompt, actions);
  button.closest(".plan-actions").after(box);
  yes.addEventListener("click", () => runAction(button, yes));
  no.addEventListener("click", () => {
    box.remove();
    button.focus();
  });
  yes.focus();
}

document.addEventListener("click", (event) => {
  const plans = section();
  if (!plans || plans.dataset.plans === undefined) {
    return; // payments not configured: the section only describes the plans
  }
  const button = event.target.closest?.("#plans [data-plan-action]");
  if (button) {
    say("");
    if (button.dataset.planAction === "subscribe") {
      openCardForm(button);
      return;
    }
    const text = question(button);
    if (text) {
      askFirst(button, text);
    } else {
      runAction(button);
    }
    return;
  }
  const dismiss = event.target.closest?.("#plans [data-card-cancel]");
  if (dismiss) {
    dismiss.closest("[data-plan-card-form]").hidden = true;
  }
});

// The plan's tokens arrive with the paid invoice's webhook: its "balance" message is the sign that
// Stripe has confirmed, so the sections are refreshed (an incomplete subscription is active by now).
document.addEventListener("sage:event", (event) => {
  const message = event.detail;
  if (waitingForGrant === null || message?.type !== "balance") {
    return;
  }
  if (busy) {
    grantArrived = true; // the subscribe request's answer refreshes the page and says so
    return;
  }
  const name = waitingForGrant;
  waitingForGrant = null;
  refreshThenSay(`You are on the ${name} plan; its tokens have been added.`);
});
