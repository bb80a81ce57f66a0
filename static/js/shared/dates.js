// One way the site writes a moment: "28 Nov 2026 18:54", in the viewer's time zone (the format of
// sage/templatetags/dates.py). Moments the server wrote (<time data-when>: in UTC until it knows
// the viewer's zone) are written again here in the viewer's zone when a page loads; scripts write
// the moments they add with `formatWhen`.

// Parts from Intl (the time zone arithmetic), put in the server's order; en-US month names match
// Django's ("Sep", where en-GB now says "Sept").
const PARTS = new Intl.DateTimeFormat("en-US", {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

export function formatWhen(value) {
  const moment = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(moment.getTime())) {
    return "";
  }
  const part = Object.fromEntries(PARTS.formatToParts(moment).map(({ type, value: text }) => [type, text]));
  return `${part.day} ${part.month} ${part.year} ${part.hour}:${part.minute}`;
}

export function localizeTimes(root = document) {
  for (const time of root.querySelectorAll("time[data-when]")) {
    const text = formatWhen(time.dateTime);
    if (text) {
      time.textContent = text;
    }
  }
}

// The server writes the next pages in this zone too (sage/viewer_time.py).
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (zone) {
  // Zone names ("America/Argentina/Buenos_Aires", "Etc/GMT+5") hold only characters a cookie may.
  document.cookie = `tz=${zone}; path=/; max-age=31536000; samesite=lax`;
}
localizeTimes();
