// What the session shows around the player: who is in it (name, presenter, following or not,
// connected or not; "Hand over" for whoever may give control), the banner (a live region: screen
// readers hear it), where the presenter is while you are stepped out, and the Follow again button.

import { clockText } from "./format.js";

const CONFIRM_MS = 4_000; // a first press on "End for everyone" asks; a second within this ends
const END_LABEL = "End for everyone";
const CONFIRM_LABEL = "Really end for everyone?";

function rateText(rate) {
  return `${Number(rate.toFixed(2))}×`;
}

export class SessionPanel {
  constructor(root) {
    this.root = root;
    this.list = root.querySelector("[data-session-participants]");
    this.banner = root.querySelector("[data-session-banner]");
    this.where = root.querySelector("[data-session-presenter-place]");
    this.role = root.querySelector("[data-session-role]");
    this.followButton = root.querySelector("[data-session-follow]");
    this.unfollowButton = root.querySelector("[data-session-unfollow]");
    this.endButton = root.querySelector("[data-session-end]");
    this.takeButton = root.querySelector("[data-session-take]");
    this.inviteButton = root.querySelector("[data-session-invite]");
    this.confirmTimer = null;
  }

  // onEnd() runs on the second press within CONFIRM_MS (a page's own confirm step: the CSP-safe way,
  // and one that a screen reader announces as the button's new name).
  bindEnd(onEnd) {
    this.endButton.addEventListener("click", () => {
      if (this.endButton.dataset.confirming !== "true") {
        this.endButton.dataset.confirming = "true";
        this.endButton.textContent = CONFIRM_LABEL;
        window.clearTimeout(this.confirmTimer);
        this.confirmTimer = window.setTimeout(() => this.resetEnd(), CONFIRM_MS);
        return;
      }
      this.resetEnd();
      onEnd();
    });
    this.endButton.addEventListener("blur", () => this.resetEnd());
  }

  resetEnd() {
    window.clearTimeout(this.confirmTimer);
    delete this.endButton.dataset.confirming;
    this.endButton.textContent = END_LABEL;
  }

  showEnd(mayEnd) {
    if (this.endButton.hidden === mayEnd) {
      this.resetEnd();
    }
    this.endButton.hidden = !mayEnd;
  }

  say(text, tone = "info") {
    this.banner.textContent = text;
    this.banner.dataset.tone = tone;
    this.banner.hidden = !text;
  }

  showParticipants(participants, { you, mayHandOver, onHandOver }) {
    const items = participants.map((participant) => {
      const item = document.createElement("li");
      item.className = "session-participant";
      item.dataset.participantId = String(participant.id);
      item.dataset.connected = String(participant.connected);
      const name = document.createElement("bdi");
      name.className = "session-participant-name";
      name.textContent = participant.name;
      const words = [];
      if (participant.id === you?.id) {
        words.push("you");
      }
      if (participant.presenter) {
        words.push("presenter");
      } else {
        words.push(participant.following ? "following" : "stepped out");
      }
      if (participant.guest) {
        words.push("guest");
      }
      words.push(participant.connected ? "connected" : "not connected");
      const about = document.createElement("span");
      about.className = "session-participant-state";
      about.dataset.participantState = "";
      about.textContent = ` (${words.join(", ")})`;
      item.append(name, about);
      if (mayHandOver && !participant.presenter && participant.id !== you?.id && participant.connected) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button button-small";
        button.textContent = "Hand over";
        button.setAttribute("aria-label", `Hand over to ${participant.name}`);
        button.addEventListener("click", () => onHandOver(participant));
        item.append(" ", button);
      }
      return item;
    });
    this.list.replaceChildren(...items);
  }

  showRole({ presenting, following, presenter, rate }) {
    // The session's rate in words: a follower's player is nudged off it while catching up, so its
    // own speed menu cannot say what the presenter plays at.
    const at = rate && Math.abs(rate - 1) > 1e-3 ? `, at ${rateText(rate)}` : "";
    if (presenting) {
      this.role.textContent = `You are presenting${at}: everyone following sees what you play.`;
    } else if (following) {
      const who = presenter ? presenter.name : "the presenter";
      this.role.textContent = `You follow ${who}${at}. Using the player steps you out.`;
    } else {
      this.role.textContent = "You stepped out: the player is yours.";
    }
    this.followButton.hidden = presenting || following;
    this.unfollowButton.hidden = presenting || !following;
    this.where.hidden = presenting || following;
  }

  // onTake() gives this page control (the starter or an admin, above all while the presenter is away).
  bindTake(onTake) {
    this.takeButton.addEventListener("click", () => onTake());
  }

  showTake(mayTake) {
    this.takeButton.hidden = !mayTake;
  }

  // Copy invite link: the session's address to the clipboard, and a word on whether it went.
  bindInvite() {
    this.inviteButton.hidden = !navigator.clipboard;
    this.inviteButton.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(this.inviteUrl());
        this.say("Invite link copied: whoever opens it can join this session.");
      } catch (error) {
        this.say(`Copy this link to invite someone: ${this.inviteUrl()}`, "warning");
      }
    });
  }

  inviteUrl() {
    const url = new URL(window.location.href);
    url.hash = "";
    return url.toString();
  }

  showPresenterPlace(position, playing, rate = 1) {
    if (!this.where.hidden) {
      const how = playing ? `, playing${Math.abs(rate - 1) > 1e-3 ? ` at ${rateText(rate)}` : ""}` : ", paused";
      const text = `The presenter is at ${clockText(position)}${how}.`;
      if (this.where.textContent !== text) {
        this.where.textContent = text;
      }
    }
  }
}
