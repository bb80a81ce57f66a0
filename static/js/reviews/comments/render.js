// The list of comments, drawn from the store. Every piece of a comment (its body, its author's name,
// the link's name) is set as text, never as HTML: they come from anyone holding a link.
//
// `view` says what this page may do: { mode, canComment, showResolved, replying (Set of ids),
// drafts (Map id → text), confirming (id or null), timeText(comment), timeHref(comment),
// stillUrl(comment) }.

import { formatWhen } from "../../shared/dates.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function actionButton(action, id, label, accessibleName) {
  const button = element("button", "link-button comment-action", label);
  button.type = "button";
  button.dataset.commentAction = action;
  button.dataset.commentTarget = String(id);
  if (accessibleName) {
    button.setAttribute("aria-label", accessibleName);
  }
  return button;
}

function thread(comment) {
  // Which thread a comment is on, for members: none (members only), or a link's, whose guests see it
  // (a guest's came through it; a member's was put on it).
  const label = element("span", "muted comment-via");
  if (comment.link_id === null || comment.link_id === undefined) {
    label.textContent = "Members only";
    label.dataset.commentThread = "members";
    return label;
  }
  label.dataset.commentThread = String(comment.link_id);
  label.append(comment.by_owner ? "to guests of " : "via ");
  // The link's name in an element of its own: an isolate (site.css), whatever characters it holds.
  label.append(element("bdi", "", comment.link_name));
  return label;
}

function head(comment, view, { reply }) {
  const line = element("div", "comment-head");
  if (!reply) {
    const time = element("a", "comment-time", view.timeText(comment));
    time.href = view.timeHref(comment);
    time.dataset.commentSeek = String(comment.id);
    line.append(time, " ");
  }
  line.append(element("span", "comment-author", comment.author_name));
  if (comment.by_owner) {
    // A member of the workspace wrote it (named beside it), not a link's guest.
    line.append(" ", element("span", "badge comment-owner-badge", "Team"));
  }
  if (view.mode === "owner" && !reply) {
    line.append(" ", thread(comment));
  }
  const when = element("time", "muted comment-when");
  const made = new Date(comment.created_at);
  if (!Number.isNaN(made.getTime())) {
    when.dateTime = comment.created_at;
    when.textContent = formatWhen(made);
    line.append(" ", when);
  }
  if (!reply && comment.resolved) {
    line.append(" ", element("span", "badge comment-resolved-badge", "Resolved"));
  }
  if (!reply && comment.drawing) {
    line.append(" ", element("span", "badge comment-drawing-badge", "Drawing"));
  }
  return line;
}

function drawingThumbnail(comment, view) {
  // The frame with the drawing (made by the server on first asking); a click seeks there, where the
  // drawing shows over the player.
  const link = element("a", "comment-still");
  link.href = view.timeHref(comment);
  link.dataset.commentSeek = String(comment.id);
  const image = element("img");
  image.src = view.stillUrl(comment);
  image.alt = `Drawing at ${view.timeText(comment)}`;
  image.loading = "lazy";
  image.decoding = "async";
  link.append(image);
  return link;
}

function actions(comment, view, { reply }) {
  const row = element("div", "comment-actions");
  const who = `${comment.author_name}'s ${reply ? "reply" : "comment"}`;
  if (!reply && view.canComment) {
    row.append(actionButton("reply", comment.id, "Reply", `Reply to ${who}`));
  }
  if (!reply && view.mode === "owner" && view.canComment) {
    row.append(
      comment.resolved
        ? actionButton("reopen", comment.id, "Reopen", `Reopen ${who}`)
        : actionButton("resolve", comment.id, "Resolve", `Resolve ${who}`),
    );
  }
  if (mayDelete(comment, view)) {
    const confirming = view.confirming === comment.id;
    const button = actionButton(
      "delete",
      comment.id,
      confirming ? "Delete: sure?" : "Delete",
      confirming ? `Confirm deleting ${who}` : `Delete ${who}`,
    );
    button.classList.toggle("is-confirming", confirming);
    row.append(button);
  }
  return row;
}

// What the access policy said of this comment for this reader (`can_delete`, from the API); for one
// pushed live, which carries no answer, what it says of anyone's or of the member's own (a member's
// page: `may_delete_any`, `may_delete_own` with `author_id`) or, for a guest, whether their browser
// made it.
function mayDelete(comment, view) {
  if (typeof comment.can_delete === "boolean") {
    return comment.can_delete;
  }
  if (view.mode !== "owner") {
    return Boolean(comment.mine);
  }
  const own = view.userId !== null && comment.author_id === view.userId;
  return view.mayDeleteAny || (view.mayDeleteOwn && own);
}

function replyForm(comment, view) {
  const form = element("form", "comment-reply-form");
  form.dataset.commentReplyForm = String(comment.id);
  form.noValidate = true;
  const label = element("label", "visually-hidden", `Reply to ${comment.author_name}`);
  const field = element("textarea");
  field.id = `comment-reply-${comment.id}`;
  label.htmlFor = field.id;
  field.name = "body";
  field.rows = 2;
  field.maxLength = 2000;
  field.placeholder = "Your reply (Enter posts)";
  field.value = view.drafts.get(comment.id) || "";
  if (view.askName) {
    const nameLabel = element("label", "", "Your name");
    const name = element("input");
    name.name = "author_name";
    name.maxLength = 60;
    name.autocomplete = "name";
    name.id = `comment-reply-name-${comment.id}`;
    nameLabel.htmlFor = name.id;
    form.append(nameLabel, name);
  }
  const buttons = element("div", "button-row");
  const send = element("button", "button-primary button-small", "Post reply");
  send.type = "submit";
  const cancel = actionButton("cancel-reply", comment.id, "Cancel");
  cancel.className = "button-small";
  buttons.append(send, cancel);
  form.append(label, field, buttons);
  return form;
}

function item(comment, view, { reply = false } = {}) {
  const entry = element("li", reply ? "comment comment-reply" : "comment");
  entry.dataset.commentId = String(comment.id);
  entry.classList.toggle("is-resolved", Boolean(comment.resolved) && !reply);
  entry.classList.toggle("is-mine", Boolean(comment.mine));
  entry.classList.toggle("by-owner", Boolean(comment.by_owner));
  entry.append(head(comment, view, { reply }));
  if (!reply && comment.drawing && comment.has_still) {
    entry.append(drawingThumbnail(comment, view));
  }
  if (comment.body) {
    entry.append(element("p", "comment-body", comment.body));
  }
  entry.append(actions(comment, view, { reply }));
  if (!reply) {
    if (comment.replies.length) {
      const replies = element("ol", "comment-replies");
      replies.append(...comment.replies.map((answer) => item(answer, view, { reply: true })));
      entry.append(replies);
    }
    if (view.replying.has(comment.id)) {
      entry.append(replyForm(comment, view));
    }
  }
  return entry;
}

export function renderComments(list, comments, view) {
  const shown = view.showResolved ? comments : comments.filter((comment) => !comment.resolved);
  list.replaceChildren(...shown.map((comment) => item(comment, view)));
  return { shown: shown.length, hidden: comments.length - shown.length };
}
