// Stripe's card fields, for any page that takes a card (token packs here; subscriptions too).
// Card data goes from Stripe.js straight to Stripe: SAGE only ever sees the payment method's id.
//
// The page loads Stripe.js (a classic <script> from STRIPE_JS_URL, before its modules) and puts
// the publishable key and the CSRF token on an ancestor of the mount element:
//   <section data-stripe-key="pk_…" data-csrf-token="…"> … <div data-card-element></div> … </section>
//
// API:
//   mountCard(mountElement)            shows the card fields in mountElement (once; later calls reuse them).
//   collectCard(mountElement, setupUrl) → Promise<string>: POSTs setupUrl (SAGE answers a SetupIntent's
//                                      {client_secret}), confirms it with the card entered (3-D Secure
//                                      included) and resolves to the payment method id ("pm_…").
//   cardPaymentMethod(mountElement)    → Promise<string>: the card entered as a payment method ("pm_…"),
//                                      without saving it for later and without any authentication: for
//                                      a one-off payment, whose own confirmation asks for 3-D Secure
//                                      once (confirmPayment). Saving through a SetupIntent first
//                                      (collectCard) would authenticate the card a first time for nothing.
//   confirmPayment(clientSecret)       → Promise<object>: completes a PaymentIntent that answered
//                                      "requires_action" (3-D Secure); resolves to the PaymentIntent.
// Each rejects with an Error whose message is safe to show (Stripe's decline reason, or SAGE's).

import { requestJson } from "../shared/api.js";

let stripe = null;
let card = null;
let mountedIn = null;

function settingsFor(element) {
  const holder = element.closest("[data-stripe-key]");
  if (!holder || !holder.dataset.stripeKey) {
    throw new Error("Payments are not configured on this page.");
  }
  return { key: holder.dataset.stripeKey, csrfToken: holder.dataset.csrfToken ?? "" };
}

function stripeFor(key) {
  if (stripe === null) {
    if (typeof window.Stripe !== "function") {
      throw new Error("Stripe's card form did not load; reload the page and try again.");
    }
    stripe = window.Stripe(key);
  }
  return stripe;
}

export function mountCard(mountElement) {
  if (mountedIn === mountElement) {
    return;
  }
  const { key } = settingsFor(mountElement);
  if (card === null) {
    card = stripeFor(key).elements().create("card");
  } else {
    card.unmount();
  }
  card.mount(mountElement);
  mountedIn = mountElement;
}

function failure(error, fallback) {
  return new Error(error?.message || fallback);
}

export async function collectCard(mountElement, setupUrl) {
  mountCard(mountElement);
  const { csrfToken } = settingsFor(mountElement);
  const setup = await requestJson(setupUrl, { method: "POST", csrfToken, json: {} });
  const result = await stripe.confirmCardSetup(setup.client_secret, { payment_method: { card } });
  if (result.error) {
    throw failure(result.error, "Your card could not be saved.");
  }
  const method = result.setupIntent?.payment_method;
  const id = typeof method === "string" ? method : method?.id;
  if (!id) {
    throw new Error("Stripe did not return the card; try again.");
  }
  return id;
}

export async function cardPaymentMethod(mountElement) {
  mountCard(mountElement);
  const result = await stripe.createPaymentMethod({ type: "card", card });
  if (result?.error) {
    throw failure(result.error, "Your card could not be read.");
  }
  const id = result?.paymentMethod?.id;
  if (!id) {
    throw new Error("Stripe did not return the card; try again.");
  }
  return id;
}

export async function confirmPayment(clientSecret) {
  if (stripe === null) {
    throw new Error("The card form is not open.");
  }
  const result = await stripe.confirmCardPayment(clientSecret);
  if (result.error) {
    throw failure(result.error, "The payment was not authenticated.");
  }
  const status = result.paymentIntent?.status;
  if (status === "requires_payment_method" || status === "canceled") {
    throw new Error("The payment was not authenticated; nothing was charged.");
  }
  return result.paymentIntent;
}
