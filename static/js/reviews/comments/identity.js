// Who a reviewer is, in this browser only (a shared page has no account): a display name they give
// once, and a random key sent with their comments so that only this browser may delete them. Both
// live in localStorage for the whole site, so one name and one key serve every link opened here.

const KEY_ITEM = "sage.reviewer-key";
const NAME_ITEM = "sage.reviewer-name";
const KEY_BYTES = 32; // 256 bits, written as 64 hex characters (the API takes 32–128 url-safe ones)

function stored(item) {
  try {
    return window.localStorage.getItem(item) || "";
  } catch {
    return ""; // storage refused (a private mode): the page still works for this visit
  }
}

function store(item, value) {
  try {
    window.localStorage.setItem(item, value);
  } catch {
    // Not kept: asked again next visit.
  }
}

let keyThisVisit = "";

export function randomHex(byteCount) {
  // crypto.getRandomValues, not randomUUID: a page served over plain http has only the former.
  const bytes = new Uint8Array(byteCount);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function reviewerKey() {
  let key = stored(KEY_ITEM) || keyThisVisit;
  if (!/^[0-9a-f]{64}$/.test(key)) {
    key = randomHex(KEY_BYTES);
    store(KEY_ITEM, key);
  }
  keyThisVisit = key;
  return key;
}

export function reviewerName() {
  return stored(NAME_ITEM).trim();
}

export function rememberName(name) {
  store(NAME_ITEM, name.trim());
}
