// The header's workspace switcher: choosing a workspace switches at once (the form's button is
// the way without this script).
const form = document.querySelector("[data-workspace-switcher]");
if (form) {
  form.querySelector("[data-workspace-switch-button]").hidden = true;
  form.querySelector("select").addEventListener("change", () => form.requestSubmit());
}
