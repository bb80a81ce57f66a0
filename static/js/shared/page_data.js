// Data the server embeds for a page's script with Django's `json_script`.

export function readJsonScript(id) {
  // null when the page has no such element or it does not hold JSON: the script then leaves the
  // page as the server rendered it.
  const element = document.getElementById(id);
  if (!element) {
    return null;
  }
  try {
    return JSON.parse(element.textContent);
  } catch {
    return null;
  }
}
