// A drop zone: files chosen with its input or dropped on it go to `onFiles`. A file dropped beside
// the zone would otherwise replace the page with the file, so the window refuses such drops.

export function setUpDropZone(zone, onFiles) {
  const input = zone.querySelector('input[type="file"]');
  input.addEventListener("change", () => {
    onFiles(Array.from(input.files));
    input.value = ""; // so that choosing the same file again fires "change" again
  });

  let dragDepth = 0; // dragenter/dragleave fire for every child the pointer crosses
  zone.addEventListener("dragenter", (event) => {
    event.preventDefault();
    dragDepth += 1;
    zone.classList.add("drop-zone-active");
  });
  zone.addEventListener("dragleave", () => {
    dragDepth = Math.max(dragDepth - 1, 0);
    if (dragDepth === 0) {
      zone.classList.remove("drop-zone-active");
    }
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    dragDepth = 0;
    zone.classList.remove("drop-zone-active");
    onFiles(Array.from(event.dataTransfer.files));
  });
}

export function refuseStrayDrops() {
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (event) => {
      if (event.dataTransfer?.types.includes("Files")) {
        event.preventDefault();
      }
    });
  }
}
