// Buying where tokens run out, on the upload rows: the smallest pack on sale that covers what is
// short (as billing.packs.pack_covering picks it; the packs come from the "buy-offers" JSON script
// of billing/partials/upload_price.html), and the link that opens its payment on the billing page.

import { readJsonScript } from "../shared/page_data.js";
import { formatTokens } from "./format.js";

let offers = null;

function buyOffers() {
  offers ??= readJsonScript("buy-offers") ?? { billing_url: "/billing/", packs: [] };
  return offers;
}

// The pack on sale that covers `shortfall` ({ name, tokens, price, url }), or null when none is.
export function packCovering(shortfall) {
  const { packs } = buyOffers();
  return packs.find((each) => each.tokens >= shortfall) ?? packs[packs.length - 1] ?? null;
}

// { url, text } for a link to buy `shortfall` tokens; `url` from the server (a 402's buy_url) wins.
export function buyOffer(shortfall, url = null) {
  const pack = packCovering(shortfall);
  if (!pack) {
    return { url: url ?? buyOffers().billing_url, text: url ? "Buy tokens" : "See your balance and plans" };
  }
  return {
    url: url ?? `${pack.url}&short=${shortfall}#buy-tokens`,
    text: `Buy ${pack.name} (${formatTokens(pack.tokens)}, ${pack.price})`,
  };
}

export function buyLink(offer) {
  const link = document.createElement("a");
  link.href = offer.url;
  link.textContent = offer.text;
  link.className = "button button-primary button-small upload-buy";
  link.dataset.buyLink = "";
  return link;
}
