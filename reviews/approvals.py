"""Review statuses (issue 52): where each version (video) and comparison stands — In progress, Needs
review, Changes requested, Approved — who set it, when, and what it was before.

Members set it when their role may comment (viewers may not), on objects their selectors reach;
guests through a share link that allows it (`ShareLink.allow_status`, with comments on), under the
name they give for comments. A stack's link sets its newest version, the one its page is about.
A change is one transaction with its history row (`StatusChange`); setting the status it already
has writes nothing and tells nobody. After the commit it goes out live (`push_status`), and into
the owner's e-mail digest unless the owner made it (`reviews.digest`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from activity.models import ActivityEvent
from activity.services import Target as ActivityTarget
from activity.services import activity_record
from reviews.comments import AUTHOR_NAME_MAX, clean_text
from reviews.live import LINK_KIND, can_set_status
from reviews.models import ShareLink, StatusChange
from reviews.reach import link_shown
from sage import ratelimit
from sage.errors import ApplicationError, FieldInvalid, TooManyRequests
from sage.realtime import push_to_object, push_to_workspace
from sage.text import NAME_BIDI_MESSAGE, has_bidi_controls
from videos.models import Comparison, ReviewStatus, Video
from videos.versions.selectors import review_partner, stack_latest_pair
from workspaces.current import member_actor
from workspaces.models import Membership
from workspaces.policy import require

Target = Video | Comparison

STATUS_EVENT = "review_status"
HISTORY_SHOWN = 50
# What a guest reads for a member who set a status, when the member gave no display name: the
# e-mail address's first part (`User.name`) is not the guests' to see, as for the owner's replies.
OWNER_FALLBACK = "Owner"
MEMBER_FALLBACK = "A team member"


class StatusOff(ApplicationError):
    """The link does not let its guests set the review status."""

    code = "status_off"
    status = 403
    default_message = "Setting the review status is off on this link."


class StatusRateExceeded(TooManyRequests):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"Too many status changes in a row: wait {self.retry_after} s and try again.")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def status_choice(value: object) -> str:
    """`value` if it is one of the statuses, else FieldInvalid naming them."""
    if not isinstance(value, str) or value not in ReviewStatus.values:
        raise FieldInvalid("Choose one of: " + ", ".join(ReviewStatus.values) + ".", field="status")
    return value


# --- reads ---------------------------------------------------------------------------------------


def status_history(target: Target, *, limit: int = HISTORY_SHOWN) -> list[StatusChange]:
    """The target's changes, newest first."""
    on_target = Q(video=target) if isinstance(target, Video) else Q(comparison=target)
    return list(StatusChange.objects.filter(on_target).select_related("by_user", "link")[:limit])


def status_target_of_link(link: ShareLink, shown: Target | None = None) -> Target:
    """What a guest of `link` sets: what its page shows (`reviews.reach.link_shown`), but for a
    stack's link its newest version (Http404 for a stack with no version left); for a project's
    link `shown`, one of its own (`reviews.reach.link_target`; Http404 when none is named)."""
    if link.project_id is not None and shown is None:
        raise Http404("A project's link sets the status of one of its videos or comparisons at a time.")
    if link.stack is not None:
        newest, _ = stack_latest_pair(link.stack)
        return newest
    return link_shown(link, shown)


# --- how a status reads ---------------------------------------------------------------------------


def shown_name(change: StatusChange, *, owner_id: int, guest_view: bool) -> str:
    if not guest_view or change.by_guest:
        return change.by_name
    user = change.by_user
    if user is not None and user.display_name.strip():
        return user.display_name.strip()
    return OWNER_FALLBACK if change.by_user_id == owner_id else MEMBER_FALLBACK


def change_json(change: StatusChange, *, owner_id: int, guest_view: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "from_status": change.from_status,
        "to_status": change.to_status,
        "label": ReviewStatus(change.to_status).label,
        "by_name": shown_name(change, owner_id=owner_id, guest_view=guest_view),
        "by_guest": change.by_guest,
        "at": change.at.isoformat(),
    }
    if not guest_view:
        data["link_name"] = change.link.name if change.link is not None else None
    return data


def status_json(target: Target, history: list[StatusChange], *, guest_view: bool) -> dict[str, Any]:
    """The target's status, who set it and when (null until someone first changes it), and its
    history, newest first: the API's answer and the live event's data (with the last change only)."""
    latest = history[0] if history else None
    return {
        "target": "video" if isinstance(target, Video) else "comparison",
        "id": target.pk,
        "status": target.review_status,
        "label": ReviewStatus(target.review_status).label,
        "changed_by": shown_name(latest, owner_id=target.owner_id, guest_view=guest_view) if latest else None,
        "changed_at": latest.at.isoformat() if latest else None,
        "history": [change_json(change, owner_id=target.owner_id, guest_view=guest_view) for change in history],
    }


def target_key(target: Target) -> str:
    """How pages name a target (`data-review-status-of`) and live events say it (`target`, `id`)."""
    return f"{'video' if isinstance(target, Video) else 'comparison'}:{target.pk}"


@dataclass(frozen=True)
class StatusPanel:
    """What templates/reviews/partials/review_status*.html show of a target's status: the badge, who
    set it and when, the form to change it (`can_set`, posted to `action`), the history."""

    target: Target
    history: list[StatusChange]
    can_set: bool
    action: str
    guest: bool = False
    # The page to come back to after the form (members: the page it is on).
    next: str = ""
    heading: str = "Review status"

    @property
    def key(self) -> str:
        return target_key(self.target)

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def form_id(self) -> str:
        return "review-status-" + self.key.replace(":", "-")

    @property
    def choices(self) -> list[tuple[str, str]]:
        return list(ReviewStatus.choices)

    @property
    def status(self) -> str:
        return self.target.review_status

    @property
    def label(self) -> str:
        return ReviewStatus(self.target.review_status).label

    @property
    def target_label(self) -> str:
        return self.target.label if isinstance(self.target, Video) else "this comparison"

    @property
    def latest(self) -> StatusChange | None:
        return self.history[0] if self.history else None

    @property
    def changed_by(self) -> str:
        latest = self.latest
        return shown_name(latest, owner_id=self.target.owner_id, guest_view=self.guest) if latest else ""

    @property
    def rows(self) -> list[tuple[StatusChange, str]]:
        """(change, the name shown for who made it), newest first."""
        owner_id = self.target.owner_id
        return [(change, shown_name(change, owner_id=owner_id, guest_view=self.guest)) for change in self.history]


# --- live ------------------------------------------------------------------------------------------


def _links_showing(target: Target) -> list[int]:
    """The live links whose shared page shows `target`'s status: its own links, and for a version its
    stack's (their page is about its newest version; pages keep to the id they show)."""
    # A project's links open each of its videos and comparisons (their sockets keep to the page's).
    in_project = Q(project_id=target.project_id) if target.project_id is not None else Q(pk__in=[])
    if isinstance(target, Comparison):
        on_target = Q(comparison=target) | in_project
    else:
        on_target = Q(video=target) | (Q(stack_id=target.stack_id) if target.stack_id is not None else Q(pk__in=[]))
        on_target |= in_project
    return list(ShareLink.objects.filter(on_target, revoked_at__isnull=True).values_list("pk", flat=True))


def push_status(target: Target, change: StatusChange) -> None:
    """`review_status` to every member's page in the target's workspace (and the video's own group,
    as progress goes) and to the shared pages of the links that show it. Sent after the commit."""
    owner_data = status_json(target, [change], guest_view=False)
    push_to_workspace(target.workspace_id, STATUS_EVENT, owner_data)
    if isinstance(target, Video):
        push_to_object("video", target.pk, STATUS_EVENT, owner_data)
    guest_data = status_json(target, [change], guest_view=True)
    for link_pk in _links_showing(target):
        push_to_object(LINK_KIND, link_pk, STATUS_EVENT, guest_data)


# --- writes ------------------------------------------------------------------------------------------


@transaction.atomic
def review_status_set(
    *,
    target: Target,
    status: str,
    by_user: User | None = None,
    guest_name: str = "",
    link: ShareLink | None = None,
    with_partner: bool = True,
) -> StatusChange | None:
    """Set `target`'s review status, with its history row, by a member (`by_user`) or a guest
    (`guest_name` through `link`). The same status again changes nothing and records nothing (None).
    A version and its automatic comparison with the version before share one status
    (`review_partner`): the other follows, with its own history row (the feed says it once).
    Callers checked who may: `review_status_set_by_member`, `review_status_set_by_guest`."""
    assert (by_user is None) != (link is None), "a member or a guest of a link"
    status = status_choice(status)
    # The row is locked so that two changes at once record from → to in the order they happened.
    locked = type(target).objects.select_for_update().only("review_status").get(pk=target.pk)
    before = locked.review_status
    target.review_status = status
    if before == status:
        return None
    type(target).objects.filter(pk=target.pk).update(review_status=status)
    now = timezone.now()
    change = StatusChange.objects.create(
        video=target if isinstance(target, Video) else None,
        comparison=target if isinstance(target, Comparison) else None,
        from_status=before,
        to_status=status,
        by_user=by_user,
        link=link,
        by_guest=by_user is None,
        by_name=by_user.name[:80] if by_user is not None else guest_name,
        at=now,
        # Left for the digest even when its maker made it: a team's admins hear of it (reviews.digest
        # never tells anyone of their own change).
    )
    if with_partner:  # the partner's change is the same act: the feed says it once
        activity_record(
            workspace_id=target.workspace_id,
            actor=by_user,
            actor_name=guest_name,
            verb=ActivityEvent.Verb.STATUS_CHANGED,
            target=ActivityTarget(
                "video" if isinstance(target, Video) else "comparison",
                target.pk,
                target.label if isinstance(target, Video) else target.title,
            ),
            details={
                "from": before,
                "to": status,
                "to_label": ReviewStatus(status).label,
                "link_id": link.pk if link is not None else None,
            },
        )
    push_status(target, change)
    partner = review_partner(target) if with_partner else None
    if partner is not None:
        review_status_set(
            target=partner, status=status, by_user=by_user, guest_name=guest_name, link=link, with_partner=False
        )
    return change


def review_status_set_by_member(*, member: Membership, target: Target, status: object) -> StatusChange | None:
    """A member's change of a target their selector reached, as the policy allows
    (`review_status.set`: PermissionDenied, a 403 with a sentence, for a viewer)."""
    require(member_actor(member), "review_status.set", workspace_id=target.workspace_id)
    return review_status_set(target=target, status=status_choice(status), by_user=member.user)


def review_status_set_by_guest(
    *, link: ShareLink, status: object, author_name: object, shown: Target | None = None
) -> tuple[Target, StatusChange | None]:
    """A guest's change through `link` (live, resolved by `reviews.access`; a project's link: of
    `shown`, one of its own): StatusOff unless the link allows it; their name is checked as a
    comment's author name is."""
    if not can_set_status(link):
        raise StatusOff()
    checked = status_choice(status)
    name = clean_text(author_name, field="author_name", limit=AUTHOR_NAME_MAX)
    if has_bidi_controls(name):
        raise FieldInvalid(NAME_BIDI_MESSAGE, field="author_name")
    try:
        target = status_target_of_link(link, shown)
    except Http404:
        raise StatusOff("This link shows nothing to set a status on.") from None
    return target, review_status_set(target=target, status=checked, guest_name=name, link=link)


def status_rate_check(*, link: ShareLink, client: str) -> None:
    """Count one guest's status change from `client` through `link`, at comments' rates (a change
    is a message to the owner as a comment is): StatusRateExceeded (429, Retry-After) when over."""
    limits = [
        (f"review_status_address:{client}", settings.REVIEW_COMMENT_RATE_PER_ADDRESS),
        (f"review_status_link:{link.pk}", settings.REVIEW_COMMENT_RATE_PER_LINK),
    ]
    for key, rate in limits:
        counted = ratelimit.count(key, ratelimit.Rate.parse(str(rate)))
        if not counted.allowed:
            raise StatusRateExceeded(counted.wait or 1)
