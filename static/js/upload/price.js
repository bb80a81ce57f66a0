// What processing a chosen file will cost, said before the upload starts: 1 token a second of video,
// rounded up as the server holds it, from the length the browser read (null: it could not). When the
// balance does not cover it (or tokens are owed from a refund or dispute, which any credit pays off
// first), `shortfall` says how many tokens to buy before the file may be uploaded.

import { roundedClock } from "../shared/clock.js";
import { formatTokens, tokensForSeconds } from "./format.js";

export function priceText({ seconds, tokensPerSecond, balance, owed = 0, reserved = 0, mayBuy = true }) {
  // `reserved`: tokens the other uploads of this page will be charged (not held yet).
  // `mayBuy`: false for a team's editor, commenter or viewer: only its owner and admins buy tokens.
  // `short`: the file cannot be paid for; `shortfall`: tokens to buy first.
  const owedText = owed > 0 ? ` ${formatTokens(owed)} owed from a refund or dispute are paid off first.` : "";
  if (seconds === undefined) {
    return { text: "Reading the video's length to work out its price…", short: false, shortfall: 0 };
  }
  if (seconds === null) {
    const text =
      `Processing costs about ${formatTokens(60 * tokensPerSecond)} for each minute of video ` +
      "(this browser cannot read this file's length; it is charged by the second once processed).";
    if (owed > 0) {
      return { text: `${text}${owedText}`, short: true, shortfall: owed };
    }
    return { text, short: false, shortfall: 0 };
  }
  const price = tokensForSeconds(seconds, tokensPerSecond);
  const text = `Processing costs ${formatTokens(price)} (${roundedClock(seconds)} of video, 1 token a second).`;
  if (!Number.isInteger(balance)) {
    return { text, short: false, shortfall: 0 };
  }
  const have =
    reserved > 0
      ? `${formatTokens(balance)}, ${formatTokens(reserved)} of them for the other uploads on this page`
      : formatTokens(balance);
  const shortfall = owed + Math.max(price - (balance - reserved), 0);
  if (shortfall > 0) {
    return {
      text: mayBuy
        ? `${text} You have ${have}.${owedText} Buy ${formatTokens(shortfall)} more to upload it.`
        : `${text} The team has ${have}.${owedText} It needs ${formatTokens(shortfall)} more to upload it.`,
      short: true,
      shortfall,
    };
  }
  return { text: `${text} You have ${have}.`, short: false, shortfall: 0 };
}
