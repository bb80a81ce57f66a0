// Reviewers' timecoded comments on a page (templates/reviews/partials/comments.html): a guest's on a
// shared page, with the form to comment at a moment or a range, replies and deleting their own; the
// owner's on their own page, every link's, with reply, resolve / reopen and delete. Both stay live
// (./comments/live.js), keyed by id so nothing shows twice (./comments/store.js), and mark the
// timeline (./comments/markers.js); a time in a comment seeks that side's player.
//
// The players are the page's: on a comparison the compare script's one transport (compare/page.js
// leaves it on its root), on a video page its player (./comments/players.js).
//
// Drawings: each player gets a canvas (./drawing/layer.js) that shows stored drawings when playback
// passes their frame (./drawing/playback.js) and takes a new one while the form draws. The layers
// are left on the panel as `drawingLayers` (side → layer) for the live session's page.

import { clockRange, tenthsClock } from "../shared/clock.js";
import { readJsonScript } from "../shared/page_data.js";
import { CommentsApi } from "./comments/api.js";
import { setUpCompose } from "./comments/compose.js";
import { rememberName, reviewerKey, reviewerName } from "./comments/identity.js";
import { followGuestSocket, followOwnerEvents } from "./comments/live.js";
import { commentLane, drawCommentMarkers } from "./comments/markers.js";
import { comparisonPlayers, videoPlayers } from "./comments/players.js";
import { CommentStore } from "./comments/store.js";
import { linkChoice } from "./comments/visibility.js";
import { renderComments } from "./comments/render.js";
import { closeSharedPage, listenForCommentKey } from "./comments/page.js";
import { createDrawingLayer } from "./drawing/layer.js";
import { followStoredDrawings } from "./drawing/playback.js";

const CONFIRM_MS = 4_000; // a first press on Delete asks; a second within this deletes

function loaded() {
  // The compare script is a module after this one: its transport exists once every deferred script
  // has run, which DOMContentLoaded follows (readyState is already "interactive" while they run).
  return new Promise((resolve) => {
    if (document.readyState === "complete") {
      resolve();
      return;
    }
    document.addEventListener("DOMContentLoaded", resolve, { once: true });
    window.addEventListener("load", resolve, { once: true });
  });
}

function playerElement(side) {
  const selector = side === "video" ? "video[data-player]" : `video[data-player="${side}"]`;
  return document.querySelector(selector);
}

function pagePlayers() {
  const compareRoot = document.querySelector("[data-compare-page]");
  if (compareRoot) {
    return compareRoot.compareHooks ? comparisonPlayers(compareRoot.compareHooks) : null;
  }
  return document.querySelector("video") ? videoPlayers(document) : null;
}

async function start(panel, config) {
  await loaded();
  const guest = config.mode === "guest";
  const players = pagePlayers();
  const list = panel.querySelector("[data-comments-list]");
  const status = panel.querySelector("[data-comments-status]");
  const empty = panel.querySelector("[data-comments-empty]");
  const showResolvedBox = panel.querySelector("[data-comments-show-resolved]");
  const commentsOff = panel.querySelector("[data-comments-off]");
  const api = new CommentsApi({
    mode: config.mode,
    apiUrl: config.api_url,
    postUrl: config.post_url || config.api_url,
    csrfToken: panel.dataset.csrfToken,
    reviewerKey,
  });
  const store = new CommentStore();
  const layers = {};
  for (const [side] of config.sides || []) {
    const video = playerElement(side);
    if (video) {
      layers[side] = createDrawingLayer(video);
    }
  }
  panel.drawingLayers = layers;
  const listBase = config.api_url.split("?")[0].replace(/\/$/, "");
  let lane = null; // made when first drawn on: an owner's hidden card adds no lane to the page
  const view = {
    mode: config.mode,
    canComment: Boolean(config.can_comment),
    mayDeleteAny: Boolean(config.may_delete_any),
    mayDeleteOwn: Boolean(config.may_delete_own),
    userId: config.user_id ?? null,
    showResolved: showResolvedBox ? showResolvedBox.checked : true,
    replying: new Set(),
    drafts: new Map(),
    confirming: null,
    timeText: (comment) => (comment.side === "video" ? range(comment) : `${sideLabel(comment.side)} ${range(comment)}`),
    timeHref: (comment) => `?${comment.side === "video" ? "t" : comment.side}=${Number(comment.start).toFixed(3)}`,
    stillUrl: (comment) => (guest ? `${listBase}/${comment.id}/still.png` : `/api/v1/comments/${comment.id}/still.png`),
  };
  const drawings = players && Object.keys(layers).length
    ? followStoredDrawings({ players, layers, comments: () => store.list() })
    : null;
  let closed = false;
  let confirmTimer = null;

  function sideLabel(side) {
    return side === "video" ? "The video" : side.toUpperCase();
  }

  function range(comment) {
    return clockRange(comment.start, comment.end, tenthsClock);
  }

  const markerLabel = (comment) =>
    `Comment by ${comment.author_name} at ${tenthsClock(comment.start)}${comment.side === "video" ? "" : ` on ${sideLabel(comment.side)}`}`;

  const positionOf = (comment) => (players ? players.fraction(comment.side, comment.start) : comment.start);

  function say(text) {
    status.textContent = text;
  }

  function render() {
    // Typing in a reply survives the redraw a live event causes.
    const active = document.activeElement;
    const focusedReply = active?.closest?.("[data-comment-reply-form]")?.dataset.commentReplyForm;
    const selection = focusedReply ? [active.selectionStart, active.selectionEnd] : null;
    for (const form of list.querySelectorAll("[data-comment-reply-form]")) {
      view.drafts.set(Number(form.dataset.commentReplyForm), form.elements.body.value);
    }
    view.askName = guest && !reviewerName();
    const comments = store.list(positionOf);
    const { hidden } = renderComments(list, comments, view);
    drawings?.refresh();
    empty.hidden = comments.length > 0;
    empty.textContent = "No comments yet.";
    if (!comments.length && guest && view.canComment) {
      empty.textContent = "No comments yet: pause where something should change and comment there.";
    }
    // The filter shows once there is something to filter (or while it hides something).
    showResolvedBox.closest("label").hidden = view.showResolved && !comments.some((comment) => comment.resolved);
    showResolvedBox.closest("label").querySelector("[data-comments-hidden-count]")?.remove();
    if (hidden) {
      const count = document.createElement("span");
      count.className = "muted";
      count.dataset.commentsHiddenCount = "";
      count.textContent = ` (${hidden} hidden)`;
      showResolvedBox.closest("label").append(count);
    }
    if (players && !panel.hidden) {
      lane ??= commentLane(document, players);
      const drawn = view.showResolved ? comments : comments.filter((comment) => !comment.resolved);
      drawCommentMarkers(lane, drawn, { players, label: markerLabel, seek: seekTo });
    }
    if (focusedReply) {
      const field = list.querySelector(`[data-comment-reply-form="${focusedReply}"] textarea`);
      if (field) {
        field.focus();
        field.setSelectionRange(...selection);
      }
    }
  }

  // Markers are placed by fraction of the video's length, which is 0 for every comment until the
  // player knows its duration: drawn before then, all comments fell into one marker. Draw again
  // once it is known.
  for (const video of document.querySelectorAll("video")) {
    video.addEventListener("durationchange", () => render());
  }

  function seekTo(comment) {
    if (!players) {
      return false;
    }
    players.seek(comment.side, comment.start);
    return true;
  }

  async function refetch() {
    try {
      const answer = await api.list();
      store.replaceAll(answer?.results);
      if (guest && typeof answer?.can_comment === "boolean") {
        allowComments(answer.can_comment);
      }
      render();
    } catch (failure) {
      if (guest && failure.status === 404) {
        closeLink();
      } else {
        say(`Comments could not be loaded: ${failure.message}`);
      }
    }
  }

  function allowComments(allowed) {
    view.canComment = allowed;
    compose?.allow(allowed);
    if (commentsOff) {
      commentsOff.hidden = allowed;
    }
    if (!allowed) {
      view.replying.clear();
    }
  }

  function closeLink() {
    if (closed) {
      return;
    }
    closed = true;
    socket?.stop();
    closeSharedPage(players);
  }

  function applyEvent(message) {
    if (closed) {
      return;
    }
    if (message.type === "comment.created" || message.type === "comment.updated") {
      store.upsert(message.data);
    } else if (message.type === "comment.deleted") {
      store.remove(message.data.id);
      view.replying.delete(message.data.id);
    } else if (message.type === "link.updated" && guest) {
      allowComments(Boolean(message.data?.can_comment));
    } else {
      return;
    }
    render();
  }

  async function act(action, id) {
    const comment = store.get(id);
    if (!comment) {
      return;
    }
    try {
      if (action === "reply") {
        view.replying.add(id);
        render();
        list.querySelector(`[data-comment-reply-form="${id}"] textarea`)?.focus();
      } else if (action === "cancel-reply") {
        view.replying.delete(id);
        view.drafts.delete(id);
        render();
      } else if (action === "resolve" || action === "reopen") {
        store.upsert(await api.resolve(id, action === "resolve"));
        say(action === "resolve" ? `${comment.author_name}'s comment resolved.` : `${comment.author_name}'s comment reopened.`);
        render();
      } else if (action === "delete") {
        if (view.confirming !== id) {
          view.confirming = id;
          window.clearTimeout(confirmTimer);
          confirmTimer = window.setTimeout(() => {
            view.confirming = null;
            render();
          }, CONFIRM_MS);
          render();
          list.querySelector(`[data-comment-action="delete"][data-comment-target="${id}"]`)?.focus();
          return;
        }
        view.confirming = null;
        await api.remove(id);
        store.remove(id);
        say("Comment deleted.");
        render();
      }
    } catch (failure) {
      failed(failure);
    }
  }

  function failed(failure) {
    if (guest && failure.status === 404 && failure.message.startsWith("This link")) {
      closeLink();
      return;
    }
    if (guest && failure.code === "comments_off") {
      allowComments(false);
      render();
    }
    say(failure.message);
  }

  async function sendReply(form) {
    const id = Number(form.dataset.commentReplyForm);
    const parent = store.get(id);
    const text = form.elements.body.value.trim();
    const name = form.elements.author_name ? form.elements.author_name.value.trim() : reviewerName();
    if (!parent || !text || form.dataset.sending) {
      return;
    }
    if (guest && !name) {
      say("Give the name to show beside your reply.");
      form.elements.author_name?.focus();
      return;
    }
    form.dataset.sending = "true";
    try {
      const reply = guest
        ? await api.post({
            side: parent.side,
            start: parent.start,
            body: text,
            author_name: name,
            parent: id,
          })
        : await api.reply(id, text);
      if (guest) {
        rememberName(name);
      }
      store.upsert({ ...reply, mine: guest || reply.mine });
      view.replying.delete(id);
      view.drafts.delete(id);
      say(`Reply posted to ${parent.author_name}.`);
      render();
    } catch (failure) {
      delete form.dataset.sending;
      failed(failure);
    }
  }

  list.addEventListener("click", (event) => {
    const seek = event.target.closest("[data-comment-seek]");
    if (seek) {
      const comment = store.get(Number(seek.dataset.commentSeek));
      const plain = event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
      if (comment && plain && seekTo(comment)) {
        event.preventDefault();
      }
      return;
    }
    const button = event.target.closest("[data-comment-action]");
    if (button) {
      act(button.dataset.commentAction, Number(button.dataset.commentTarget));
    }
  });
  list.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-comment-reply-form]");
    if (form) {
      event.preventDefault();
      sendReply(form);
    }
  });
  list.addEventListener("keydown", (event) => {
    const form = event.target.closest("[data-comment-reply-form]");
    if (!form || event.target.tagName !== "TEXTAREA") {
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendReply(form);
    } else if (event.key === "Escape") {
      event.preventDefault();
      act("cancel-reply", Number(form.dataset.commentReplyForm));
    }
  });
  showResolvedBox?.addEventListener("change", () => {
    view.showResolved = showResolvedBox.checked;
    render();
  });

  // A member's comment is for members only, or on one of the object's live links' threads (their
  // guests see it); in a live session that has a link, that link's is chosen first.
  const visibleTo = !guest && view.canComment
    ? linkChoice(panel.querySelector("[data-comment-form]"), { linksUrl: config.links_url, preferred: config.link_id })
    : null;

  // A guest comments when the link allows it; a member when their role does (the server says which).
  const compose = guest || view.canComment
    ? setUpCompose(panel, {
        players: players || videoPlayers(document),
        sideLabel,
        clockText: tenthsClock,
        draftKey: `sage.comment-draft:${config.api_url}`,
        layerFor: (side) => layers[side] || null,
        async post(comment) {
          try {
            const link = visibleTo?.value();
            const made = await api.post(link ? { ...comment, link } : comment);
            store.upsert({ ...made, mine: true });
            render();
            say(`Comment posted at ${view.timeText(made)}.`);
          } catch (failure) {
            if (failure.code === "comments_off" || (failure.status === 404 && failure.message.startsWith("This link"))) {
              failed(failure);
            }
            if (failure.fields?.link) {
              visibleTo?.refresh(); // the link was revoked or expired meanwhile: offer what is live now
            }
            throw failure;
          }
        },
      })
    : null;
  if (compose && guest) {
    listenForCommentKey(players, () => !closed && view.canComment && compose.open());
  }
  allowComments(view.canComment);

  let socket = null;
  if (guest && config.socket_url) {
    socket = followGuestSocket(config.socket_url, { onEvent: applyEvent, onReconnect: refetch, onClosed: closeLink });
  } else if (!guest) {
    // Served hidden while the object has no link: shown with the first one made on this page, or
    // with the first comment heard (a link made elsewhere), listening from the start either way.
    const show = () => {
      if (panel.hidden) {
        panel.hidden = false;
        render();
      }
    };
    document.addEventListener("sage:share-link-created", show);
    followOwnerEvents(config, (message) => {
      show();
      applyEvent(message);
    });
  }
  panel.querySelector("[data-comments-needs-js]").hidden = true;
  await refetch();
  list.setAttribute("aria-busy", "false");
}

const panel = document.querySelector("[data-comments-panel]");
const config = readJsonScript("comments-config");
if (panel && config && config.api_url) {
  start(panel, config);
}
