// One place where the panel says what went wrong, in words a person understands, with what to do:
// 401 → Reconnect; 402 → the site's buy page; 429 → when to try again; unreachable → retrying.

import { ApiError, siteOrigin } from "../lib/api.js";

const banner = document.getElementById("banner");
const text = document.getElementById("banner-text");
const button = document.getElementById("banner-button");
const link = document.getElementById("banner-link");

let countdown = null;
let shownKind = ""; // "retrying" while the site cannot be reached; cleared by the next answer
let reconnectHandler = () => {};
let billingUrl = ""; // the site's own billing page, as /api/v1/prices names it

export function knowBillingUrl(url) {
  billingUrl = url || "";
}

export function onReconnect(handler) {
  reconnectHandler = handler;
}

export function clearBanner() {
  clearInterval(countdown);
  shownKind = "";
  banner.hidden = true;
  button.hidden = true;
  link.hidden = true;
}

function say(message) {
  clearBanner();
  text.textContent = message;
  banner.hidden = false;
}

// Counts down "N s" in `template` (which holds `{s}`) until it reaches zero.
function sayCountdown(template, seconds, after) {
  say(template.replace("{s}", String(seconds)));
  let left = seconds;
  countdown = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(countdown);
      after();
      return;
    }
    text.textContent = template.replace("{s}", String(left));
  }, 1000);
}

function longWait(seconds) {
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function clearRetrying() {
  // The site answered again: the "cannot be reached" banner goes, any other stays until dealt with.
  if (shownKind === "retrying") clearBanner();
}

export function sayProblem(message) {
  // A problem the panel itself found, already in words for people.
  say(message);
}

export function sayRetrying(error, seconds) {
  // The site cannot be reached: the caller retries after `seconds`.
  sayCountdown(`${error.message} Retrying in {s} s…`, Math.max(1, Math.round(seconds)), () => {
    text.textContent = `${error.message} Retrying now…`;
  });
  shownKind = "retrying";
}

function offerRetry(retry) {
  // What failed can simply be tried again (the site was busy, unreachable or failed): one click.
  if (!retry) return;
  button.textContent = "Retry";
  button.hidden = false;
  button.onclick = () => {
    clearBanner();
    retry();
  };
}

// `retry`: what to run again from the banner's Retry button when trying again may help.
export async function showError(error, { retry = null } = {}) {
  if (!(error instanceof ApiError)) {
    say(`Something went wrong: ${error?.message || error}`);
    offerRetry(retry);
    return;
  }
  if (error.status === 401) {
    say("Your SAGE connection has ended (you signed out, or the token was revoked).");
    button.textContent = "Reconnect";
    button.hidden = false;
    button.onclick = () => reconnectHandler();
    return;
  }
  if (error.status === 402) {
    say(error.message || "You do not have enough tokens for this.");
    // The site names the pack that covers what is missing when it sells one; else its billing page.
    // Only links to the site itself are followed.
    const origin = await siteOrigin();
    const onSite = (url) => {
      try {
        return Boolean(url) && new URL(url).origin === origin;
      } catch {
        return false;
      }
    };
    link.href = [error.buyUrl, billingUrl].find(onSite) || `${origin}/billing/`;
    link.textContent = "Buy tokens on SAGE";
    link.hidden = false;
    return;
  }
  if (error.status === 429) {
    const seconds = Math.max(1, error.retryAfter ?? 60);
    const why = error.code === "quota_exceeded" ? "You have used today's questions." : "Too many requests.";
    if (seconds <= 120) sayCountdown(`${why} Try again in {s} s.`, seconds, clearBanner);
    else say(`${why} Try again in ${longWait(seconds)}.`);
    return;
  }
  if (error.unreachable) {
    say(`${error.message} Check your connection; nothing you typed is lost.`);
    offerRetry(retry);
    return;
  }
  say(error.message);
  if (error.status >= 500 || error.status === 409) offerRetry(retry);
}
