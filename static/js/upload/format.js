// How the upload pages write sizes, speeds, times left and token prices (the same
// units the server's pages use: binary multiples labelled KB/MB/GB; balances grouped as "1,800").

const tokenFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function formatBytes(size) {
  if (size < 1024) {
    return size === 1 ? "1 byte" : `${size} bytes`;
  }
  const units = ["KB", "MB", "GB", "TB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function formatSpeed(bytesPerSecond) {
  return `${(bytesPerSecond / 1024 / 1024).toFixed(1)} MB/s`;
}

export function formatTimeLeft(seconds) {
  const whole = Math.max(Math.ceil(seconds), 1);
  if (whole < 60) {
    return `${whole} s left`;
  }
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) {
    return `${minutes} min ${whole % 60} s left`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

export function formatTokens(count) {
  return `${tokenFormat.format(count)} ${count === 1 ? "token" : "tokens"}`;
}

export function titleFromFilename(name) {
  const dot = name.lastIndexOf(".");
  return (dot > 0 ? name.slice(0, dot) : name).trim().slice(0, 200);
}

export function tokensForSeconds(seconds, tokensPerSecond) {
  // As the server holds them: the length rounded up, at least one.
  return Math.max(1, Math.ceil(seconds * tokensPerSecond));
}
