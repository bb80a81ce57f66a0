// The offer a refusal for tokens makes, on any page: "Needs N more tokens — Buy …", its link the
// billing page opened on the payment of the pack that covers them (the server's `buy_url`,
// billing.packs). A refusal is the API's 402 (an ApiError, whose `error` carries `tokens` and
// `buy_url`) or the chat socket's error frame (the same fields, on the frame itself).

const tokenCount = new Intl.NumberFormat("en-US"); // as the server's intcomma

// { short, url, pack } of a refusal for tokens (url null without payments), or null for any other error.
export function tokensRefusal(error) {
  const details = error?.tokens ? error : error?.error;
  const short = Number(details?.tokens?.short);
  if (!Number.isInteger(short) || short <= 0) {
    return null;
  }
  return { short, url: details.buy_url || null, pack: details.buy_pack || null };
}

// The pack a refusal offers, as the billing page names it (the server's `buy_pack`), or "tokens".
export function packName(pack) {
  return pack ? `${pack.name} (${tokenCount.format(pack.tokens)} tokens, ${pack.price})` : "tokens";
}

// The offer as an element to put after a refusal's message, or null when `error` is no refusal
// for tokens.
export function buyOfferElement(error) {
  const refusal = tokensRefusal(error);
  if (!refusal) {
    return null;
  }
  const offer = document.createElement("span");
  offer.className = "buy-offer";
  offer.dataset.buyOffer = "";
  offer.append(`Needs ${tokenCount.format(refusal.short)} more token${refusal.short === 1 ? "" : "s"}`);
  if (refusal.url) {
    const link = document.createElement("a");
    link.href = refusal.url;
    link.textContent = `Buy ${packName(refusal.pack)}`;
    link.dataset.buyLink = "";
    offer.append(" — ", link);
  } else {
    offer.append("."); // payments are off: nothing to buy here
  }
  return offer;
}

// Shows `message` in `element` (hidden when empty), followed by the offer when `error` is a
// refusal for tokens.
export function showRefusal(element, message, error = null) {
  element.textContent = message;
  const offer = buyOfferElement(error);
  if (offer) {
    element.append(" ", offer);
  }
  element.hidden = !message && !offer;
}
