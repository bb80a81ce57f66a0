// A position in seconds as a person reads it: m:ss.t (h:mm:ss.t past an hour).

export function clockText(seconds) {
  const tenths = Math.max(0, Math.floor(seconds * 10));
  const hours = Math.floor(tenths / 36_000);
  const minutes = Math.floor((tenths % 36_000) / 600);
  const secs = Math.floor((tenths % 600) / 10);
  const rest = `${String(secs).padStart(2, "0")}.${tenths % 10}`;
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}
