// Stripe's card fields, for any page that takes a card (token packs here; subscriptions too).
// Card data goes from Stripe.js straight to Stripe: SAGE only ever sees the payment method's id.
//
// The page loads Stripe.js (a classic <script> from STRIPE_JS_URL, before its modules) and puts
// the publishable key on an ancestor of the mount element:
//   <section data-stripe-key="pk_…"> … <div data-card-element></div> … </section>
//
// API:
//   mountCard(mountElement)            shows the card fields in mountElement (once; later calls reuse them).
//   cardPaymentMethod(mountElement)    → Promise<string>: the card entered as a payment method ("pm_…"),
//                                      without saving it for later and without any authentication: the
//                                      payment (a pack's, a plan's first invoice) asks for 3-D Secure
//                                      once (confirmPayment). Saving through a SetupIntent first would
//                                      authenticate the card a first time for nothing.
//   confirmPayment(clientSecret)       → Promise<object>: completes a PaymentIntent that answered
//                                      "requires_action" (3-D Secure); resolves to the PaymentIntent.
// Each rejects with an Error whose message is safe to show (Stripe's decline reason, or SAGE's).

let stripe = null;
let card = null;
let mountedIn = null;

function settingsFor(element) {
  const holder = element.closest("[data-stripe-key]");
  if (!holder || !holder.dataset.stripeKey) {
    throw new Error("Payments are not configured on this page.");
  }
  return { key: holder.dataset.stripeKey };
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
