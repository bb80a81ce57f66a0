"""Reads of review sessions: who may open one (members through the acting workspace's visible
objects, guests through a link that allows sessions), and the live ones of an object or a link."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from review_sessions.models import Participant, ReviewSession
from review_sessions.presenters import session_fixed_json
from reviews.live import can_join_sessions
from reviews.models import ShareLink
from sage.errors import NotFound
from videos.models import Comparison, Video
from videos.selectors import comparisons_for_user, videos_for_user
from videos.versions.selectors import stack_latest_pair, stacks_for_user
from workspaces.models import Membership


def _sessions() -> QuerySet[ReviewSession]:
    return ReviewSession.objects.select_related("comparison__video_a", "comparison__video_b", "video", "stack", "link")


def _live(sessions: QuerySet[ReviewSession]) -> QuerySet[ReviewSession]:
    """Live ones, their participants loaded with them: a list costs two queries, however long."""
    return sessions.filter(ended_at__isnull=True, ends_at__gt=timezone.now()).prefetch_related("participants")


def _one(sessions: QuerySet[ReviewSession]) -> ReviewSession | None:
    """The one session of these (their code is unique), unordered: compiling the ordering of a query
    of five joins cost more CPU than the rest of a socket's opening (and `first()` orders an unordered
    query by its key, which doubled the compiling again)."""
    return next(iter(sessions.order_by()[:1]), None)


def sessions_for_user(member: Membership) -> QuerySet[ReviewSession]:
    """Sessions (live or ended) on the objects `member` sees in its workspace: one whose
    object went out of sight (a deleted project) is out of sight too."""
    visible = (
        Q(comparison__in=comparisons_for_user(member))
        | Q(video__in=videos_for_user(member))
        | Q(stack__in=stacks_for_user(member))
    )
    return _sessions().filter(visible, workspace_id=member.workspace_id)


def review_session_for_user(member: Membership, code: str) -> ReviewSession:
    """The session `code` of the acting workspace (Http404 for anyone else's, or none). Found by its
    code, then its one object asked of that object's selector: `sessions_for_user`'s filter over
    every object the user sees cost a crowd of members joining at once most of their join."""
    session = _one(_sessions().filter(code=code, workspace_id=member.workspace_id))
    if session is None or not _object_visible(member, session):
        raise Http404("No such session.")
    return session


def _object_visible(member: Membership, session: ReviewSession | SessionFacts) -> bool:
    if session.comparison_id is not None:
        return comparisons_for_user(member).filter(pk=session.comparison_id).exists()
    if session.video_id is not None:
        return videos_for_user(member).filter(pk=session.video_id).exists()
    return stacks_for_user(member).filter(pk=session.stack_id or 0).exists()  # one of the three (a constraint)


def live_sessions_for_user(
    member: Membership, *, comparison: int | None = None, video: int | None = None, stack: int | None = None
) -> QuerySet[ReviewSession]:
    """The live sessions of the acting workspace, newest first; of these objects (ids) only, if given."""
    sessions = _live(sessions_for_user(member))
    if comparison is not None:
        sessions = sessions.filter(comparison_id=comparison)
    if video is not None:
        sessions = sessions.filter(video_id=video)
    if stack is not None:
        sessions = sessions.filter(stack_id=stack)
    return sessions


def review_session_for_link(link: ShareLink, code: str) -> ReviewSession:
    """The session `code` that `link`'s guests may open: one the link lets in, while the link allows
    sessions (NotFound otherwise: the same answer for every refusal). `link` is live already
    (`reviews.access`)."""
    session = _one(_sessions().filter(code=code, link=link)) if can_join_sessions(link) else None
    if session is None:
        raise NotFound("No such session.")
    return session


def live_sessions_of_link(link: ShareLink) -> QuerySet[ReviewSession]:
    if not can_join_sessions(link):
        return ReviewSession.objects.none()
    return _live(_sessions().filter(link=link))


def participants_of(session: ReviewSession) -> list[Participant]:
    """In the order they joined (the model's); from the prefetched rows when a list loaded them."""
    return list(session.participants.all())


@dataclass(frozen=True)
class StateLimits:
    """What a presenter's state may say of the session's object: the timeline's end (None: not known)
    and how many differences the compare page lists (None: a video, which has none)."""

    max_position: float | None
    differences: int | None
    sides: tuple[str, ...]


def shown_object(session: ReviewSession) -> Comparison | Video:
    """What the session's pages show: its comparison or video; a stack's newest version against the
    one before (that comparison), or the newest version alone while there is none."""
    if session.stack is not None:
        newest, comparison = stack_latest_pair(session.stack)
        return comparison if comparison is not None else newest
    target = session.comparison or session.video
    assert target is not None
    return target


def state_limits(shown: Comparison | Video) -> StateLimits:
    if isinstance(shown, Comparison):
        durations = [shown.video_a.duration, shown.video_b.duration]
        # The compare page's axis runs through both videos' content at most (insertions on each side
        # sit one after the other), so the sum bounds any position on it.
        known = None if None in durations else float(sum(d for d in durations if d is not None))
        return StateLimits(max_position=known, differences=len(shown.segments or []), sides=("a", "b"))
    return StateLimits(max_position=shown.duration, differences=None, sides=("video",))


# --- what a socket reads to let someone in ---------------------------------------------------------

# How long a web process trusts what it read of a session to let people in (its object, its link,
# its end, its welcome's fixed part): a crowd joining at once reads it once, not once a person. Who
# may come in is still asked per socket (a removed member, a revoked link: refused at once); a session
# ended through another process is seen within this, and a join is refused under the session's lock
# all the same (`services.participant_join`).
FACTS_FRESH_S = 1
# Django's per-process cache (thread-safe, entries expire); one entry per session joined lately.
_facts = LocMemCache("review_sessions.facts", {"TIMEOUT": FACTS_FRESH_S, "OPTIONS": {"MAX_ENTRIES": 10_000}})


@dataclass(frozen=True)
class SessionFacts:
    """What letting someone into a session needs of it, the same for everyone who joins."""

    id: int
    code: str
    workspace_id: int
    link_id: int | None
    comparison_id: int | None
    video_id: int | None
    stack_id: int | None
    ends_at: datetime
    ended_at: datetime | None
    shown: tuple[str, int]
    limits: StateLimits
    welcome_fixed: dict[str, Any]  # `presenters.session_fixed_json`, read only

    @property
    def live(self) -> bool:
        return self.ended_at is None and self.ends_at > timezone.now()


def session_facts(code: str) -> SessionFacts | None:
    """The session `code`'s facts, read at most FACTS_FRESH_S ago by this process (None: no such session)."""
    facts: SessionFacts | None = _facts.get(code)
    if facts is not None:
        return facts
    session = _one(_sessions().filter(code=code))
    if session is None:
        return None
    shown = shown_object(session)
    facts = SessionFacts(
        id=session.pk,
        code=session.code,
        workspace_id=session.workspace_id,
        link_id=session.link_id,
        comparison_id=session.comparison_id,
        video_id=session.video_id,
        stack_id=session.stack_id,
        ends_at=session.ends_at,
        ended_at=session.ended_at,
        shown=("comparison" if isinstance(shown, Comparison) else "video", shown.pk),
        limits=state_limits(shown),
        # With the guest URL: a guest's socket is given its own link's; `session_facts_for_user`
        # takes it out for members (a capability, not every role's to read).
        welcome_fixed=session_fixed_json(session, with_guest_url=True),
    )
    _facts.set(code, facts)
    return facts


def session_facts_forget(code: str) -> None:
    """This process reads the session again next time (it ended here)."""
    _facts.delete(code)


def session_facts_for_user(member: Membership, code: str) -> SessionFacts:
    """`review_session_for_user` for a socket: the same question (the acting workspace's, its object
    in sight: Http404 otherwise), asked of the session's facts."""
    facts = session_facts(code)
    if facts is None or facts.workspace_id != member.workspace_id or not _object_visible(member, facts):
        raise Http404("No such session.")
    return replace(facts, welcome_fixed={**facts.welcome_fixed, "guest_url": None})


def session_facts_for_link(link: ShareLink, code: str) -> SessionFacts:
    """`review_session_for_link` for a socket (NotFound: the same answer for every refusal)."""
    facts = session_facts(code)
    if facts is None or facts.link_id != link.pk or not can_join_sessions(link):
        raise NotFound("No such session.")
    return facts
