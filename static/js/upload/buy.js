// Buying where tokens run out, on the upload rows: the pack to offer for what is short is the
// server's choice (billing.packs.pack_covering, the same as a 402's), asked once per shortfall of
// the offer endpoint named in the "buy-offers" JSON script of billing/partials/upload_price.html.
// The offer has a refusal's shape ({ tokens: { short }, buy_url, buy_pack }, buy_url null without
// payments), so a row's link and a refusal's name the same pack in the same words.

import { packName } from "../shared/buy.js";
import { readJsonScript } from "../shared/page_data.js";

const asked = new Map(); // shortfall → Promise of its offer

function endpoints() {
  return readJsonScript("buy-offers") ?? { offer_url: null, billing_url: "/billing/" };
}

// Whether the person may buy tokens where the page acts (a team's editor, commenter or viewer may
// not: the offer then says whom to ask).
export function mayBuy() {
  return endpoints().may_buy !== false;
}

// The server's offer for `shortfall` tokens; without an answer (offline, an error), an offer of
// nothing to buy, whose link goes to the billing page.
export function offerFor(shortfall) {
  const { offer_url: offerUrl, billing_url: billingUrl } = endpoints();
  const nothing = { tokens: { short: shortfall }, billing_url: billingUrl, buy_url: null, buy_pack: null };
  if (!offerUrl) {
    return Promise.resolve(nothing);
  }
  if (!asked.has(shortfall)) {
    const answer = fetch(`${offerUrl}?short=${shortfall}`, { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null)
      .then((offer) => offer ?? nothing);
    asked.set(shortfall, answer);
  }
  return asked.get(shortfall);
}

// A link for `offer` (the server's, from offerFor or a 402): its pack's payment, or without
// payments the billing page. A team member who may not buy gets no link: the offer's `message`
// says whom to ask (billing.shortfalls), and the 402's message already says it.
export function buyLink(offer) {
  if (offer.ask) {
    const ask = document.createElement("span");
    ask.dataset.askBuyers = "";
    ask.textContent = offer.message && !offer.tokens?.needed ? offer.message : "";
    return ask;
  }
  const link = document.createElement("a");
  link.href = offer.buy_url ?? offer.billing_url ?? endpoints().billing_url;
  link.textContent = offer.buy_url ? `Buy ${packName(offer.buy_pack)}` : "See your balance and plans";
  link.className = "button button-primary button-small upload-buy";
  link.dataset.buyLink = "";
  return link;
}
