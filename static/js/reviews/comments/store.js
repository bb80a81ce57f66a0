// The comments on the page, keyed by id: a comment I post arrives twice (the POST's answer and the
// socket's push), and a reconnect refetches the whole list, so every arrival is an upsert and nothing
// is shown twice. Top-level comments hold their replies; a push of a reply names its parent.

export class CommentStore {
  constructor() {
    this.top = new Map(); // id → comment, with `replies` in order
  }

  replaceAll(results) {
    const before = this.top;
    this.top = new Map();
    for (const comment of results || []) {
      this.upsert(comment, before);
    }
  }

  upsert(comment, previous = this.top) {
    if (!comment || comment.id === undefined) {
      return;
    }
    if (comment.parent !== null && comment.parent !== undefined) {
      const parent = this.top.get(comment.parent);
      if (!parent) {
        return; // a reply to something this page does not show (another object's): not ours
      }
      const known = parent.replies.findIndex((reply) => reply.id === comment.id);
      const before = known >= 0 ? parent.replies[known] : null;
      const merged = {
        ...comment,
        mine: comment.mine || Boolean(before?.mine),
        can_delete: comment.can_delete ?? before?.can_delete,
      };
      if (known >= 0) {
        parent.replies[known] = merged;
      } else {
        parent.replies.push(merged);
        parent.replies.sort(byCreated);
      }
      return;
    }
    const known = previous.get(comment.id) || this.top.get(comment.id);
    // A push says `mine: false` (the socket does not know whose key made it): this browser does.
    const mine = Boolean(comment.mine || known?.mine);
    const replies = Array.isArray(comment.replies) ? comment.replies : known?.replies || [];
    const knownReplies = new Map((known?.replies || []).map((reply) => [reply.id, reply]));
    // A push has no `can_delete` (the policy's answer is per person): keep what the API said.
    this.top.set(comment.id, {
      ...comment,
      mine,
      can_delete: comment.can_delete ?? known?.can_delete,
      replies: replies
        .map((reply) => {
          const before = knownReplies.get(reply.id);
          const canDelete = reply.can_delete ?? before?.can_delete;
          return { ...reply, mine: Boolean(reply.mine || before?.mine), can_delete: canDelete };
        })
        .sort(byCreated),
    });
  }

  remove(id) {
    if (this.top.delete(id)) {
      return;
    }
    for (const comment of this.top.values()) {
      comment.replies = comment.replies.filter((reply) => reply.id !== id);
    }
  }

  get(id) {
    if (this.top.has(id)) {
      return this.top.get(id);
    }
    for (const comment of this.top.values()) {
      const reply = comment.replies.find((candidate) => candidate.id === id);
      if (reply) {
        return reply;
      }
    }
    return undefined;
  }

  list(positionOf = (comment) => comment.start) {
    // Along the timeline (a comparison's puts A's and B's times on one clock), then as they came.
    return [...this.top.values()].sort(
      (first, second) => positionOf(first) - positionOf(second) || byCreated(first, second),
    );
  }
}

function byCreated(first, second) {
  return String(first.created_at).localeCompare(String(second.created_at)) || first.id - second.id;
}
