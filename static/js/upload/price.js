// What processing a chosen file will cost, said before the upload starts: 1 token a second of video,
// rounded up as the server holds it, from the length the browser read (null: it could not).

import { formatClock, formatTokens, tokensForSeconds } from "./format.js";

export function priceText({ seconds, tokensPerSecond, balance }) {
  // `short`: the balance does not cover it.
  if (seconds === undefined) {
    return { text: "Reading the video's length to work out its price…", short: false };
  }
  if (seconds === null) {
    return {
      text:
        `Processing costs about ${formatTokens(60 * tokensPerSecond)} for each minute of video ` +
        "(this browser cannot read this file's length; it is charged by the second once processed).",
      short: false,
    };
  }
  const price = tokensForSeconds(seconds, tokensPerSecond);
  let text = `Processing costs ${formatTokens(price)} (${formatClock(seconds)} of video, 1 token a second).`;
  if (!Number.isInteger(balance)) {
    return { text, short: false };
  }
  if (price > balance) {
    text += ` You have ${formatTokens(balance)}: processing will stop for want of tokens unless you add some first.`;
    return { text, short: true };
  }
  return { text: `${text} You have ${formatTokens(balance)}.`, short: false };
}
