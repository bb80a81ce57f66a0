// The settings page: a Copy button for a newly created API token. Without JavaScript the button
// stays hidden and the token can still be selected by hand.

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copyText(element) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(element.textContent);
      return true;
    } catch (error) {
      // Permission refused or no user activation: fall back to a selection the user can copy.
    }
  }
  selectText(element);
  return false;
}

function setUpCopyButton(button) {
  const target = document.getElementById(button.dataset.copyTarget);
  const status = document.getElementById("copy-token-status");
  if (!target) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    const copied = await copyText(target);
    if (status) {
      status.textContent = copied ? "Copied." : "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
    }
  });
}

for (const button of document.querySelectorAll("[data-copy-target]")) {
  setUpCopyButton(button);
}
