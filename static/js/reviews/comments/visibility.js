// "Visible to" in a member's comment form: "Members only" (the default: the comment is on no link),
// or the thread of one of the object's live comment links, whose guests then see it on their shared
// page. The links come from the share links API (the card's `links_url`), and again when this page
// makes or revokes one (share_links.js); the field shows only while there is a link to choose.
// Link names are the members' own labels, set as text.

import { requestJson } from "../../shared/api.js";

function isLiveCommentLink(link) {
  return link && link.state === "active" && link.permission === "comment";
}

export function linkChoice(form, { linksUrl, preferred = null }) {
  const field = form?.querySelector("[data-comment-visibility]");
  const select = field?.querySelector("[data-comment-link]");
  if (!field || !select || !linksUrl) {
    return { value: () => preferred, refresh: async () => {} };
  }
  // The session's link, in a session started from one: its guests are in the room. Until the links
  // are read, a comment goes there as well.
  let wanted = preferred ? String(preferred) : "";
  let loaded = false;

  async function refresh() {
    let links;
    try {
      links = await requestJson(linksUrl);
    } catch {
      return; // the choices stay as they were; posting says what is wrong
    }
    const live = (Array.isArray(links) ? links : []).filter(isLiveCommentLink);
    const chosen = select.value || wanted;
    const options = [new Option("Members only", "")];
    for (const link of live) {
      options.push(new Option(`Members and guests of ${link.name}`, String(link.id)));
    }
    select.replaceChildren(...options);
    select.value = live.some((link) => String(link.id) === chosen) ? chosen : "";
    wanted = "";
    loaded = true;
    field.hidden = live.length === 0;
  }

  document.addEventListener("sage:share-link-created", refresh);
  document.addEventListener("sage:share-link-revoked", refresh);
  refresh();
  return {
    value: () => (loaded ? (select.value ? Number(select.value) : null) : preferred || null),
    refresh,
  };
}
