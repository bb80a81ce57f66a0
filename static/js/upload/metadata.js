// A chosen file's length, read by the browser from the file's own metadata (nothing is sent): the
// price of processing it is known before the upload starts. null when the browser cannot read this
// container or codec (the page then gives the price per minute instead).

const METADATA_TIMEOUT_MS = 5_000;

export function readDuration(file) {
  return new Promise((resolve) => {
    const video = document.createElement("video");
    const url = URL.createObjectURL(file);
    let settled = false;
    const finish = (seconds) => {
      if (settled) {
        return;
      }
      settled = true;
      window.clearTimeout(timer);
      video.removeAttribute("src");
      URL.revokeObjectURL(url);
      resolve(seconds);
    };
    const timer = window.setTimeout(() => finish(null), METADATA_TIMEOUT_MS);
    video.preload = "metadata";
    video.muted = true;
    video.addEventListener("loadedmetadata", () => {
      const seconds = video.duration;
      finish(Number.isFinite(seconds) && seconds > 0 ? seconds : null);
    });
    video.addEventListener("error", () => finish(null));
    video.src = url;
  });
}
