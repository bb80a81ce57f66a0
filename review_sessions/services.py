"""Writes to review sessions: start, join and leave, the presenter's state, following, handover,
ending. Each writes in one transaction under the session row's lock (so two web processes never
decide "the presenter left" and "the presenter came back" at once) and pushes what changed to the
session's sockets after the commit (`review_sessions.live`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from activity.services import Target, Verb, activity_record
from review_sessions import live, seats
from review_sessions.apart import Apart, apart_played
from review_sessions.frames import PresenterState, server_ms
from review_sessions.models import Participant, ReviewSession
from review_sessions.presenters import STALE_AFTER, is_connected, participant_json, participants_json, state_json
from review_sessions.selectors import participants_of, session_facts_forget
from reviews.comments import reviewer_key_digest
from reviews.live import can_join_sessions
from reviews.models import ShareLink
from reviews.reach import link_is_live
from sage.errors import Conflict, FieldInvalid, Forbidden, NotFound
from videos.models import Comparison, Video, VideoStack
from workspaces import policy
from workspaces.current import member_actor, membership_or_none
from workspaces.models import Membership

SessionTarget = Comparison | Video | VideoStack
# The policy's action starting a session is, and presenting and drawing in one (a commenter's).
START = "review_session.start"


class SessionEnded(Conflict):
    code = "session_ended"
    default_message = "This session has ended."


class SessionFull(Conflict):
    code = "session_full"

    def __init__(self) -> None:
        super().__init__(f"This session is full: at most {settings.REVIEW_SESSION_MAX_PARTICIPANTS} people at once.")


class NotPresenter(Forbidden):
    code = "not_presenter"
    default_message = "Only the presenter drives the session."


def _member_name(user: User) -> str:
    return user.name


def _activity_target(session: ReviewSession) -> Target:
    target = session.target
    if isinstance(target, Comparison):
        return Target("comparison", target.pk, target.title)
    if isinstance(target, VideoStack):
        return Target("stack", target.pk, target.title)
    return Target("video", target.pk, target.label)


def _new_session(
    *, target: SessionTarget, link: ShareLink | None, started_by: User | None, name: str, key_digest: str = ""
) -> ReviewSession:
    """The session and its starter, who presents first (not connected until their page opens)."""
    session = ReviewSession.objects.create(
        workspace_id=target.workspace_id,
        comparison=target if isinstance(target, Comparison) else None,
        video=target if isinstance(target, Video) else None,
        stack=target if isinstance(target, VideoStack) else None,
        link=link,
        started_by=started_by,
        started_by_name=name,
        started_by_key_digest=key_digest,
        state_at=server_ms(),
        ends_at=timezone.now() + timedelta(hours=settings.REVIEW_SESSION_MAX_HOURS),
    )
    starter = Participant.objects.create(session=session, user=started_by, reviewer_key_digest=key_digest, name=name)
    session.presenter = starter
    session.save(update_fields=["presenter"])
    activity_record(
        workspace_id=session.workspace_id,
        actor=started_by,
        actor_name=name,
        verb=Verb.SESSION_STARTED,
        target=_activity_target(session),
        details={"session": session.code, "by_guest": started_by is None},
    )
    return session


def _link_of(link: ShareLink) -> SessionTarget:
    target = link.comparison or link.video or link.stack
    assert target is not None  # a project's link never allows sessions (reviews.live.can_join_sessions)
    return target


@transaction.atomic
def session_start(*, member: Membership, target: SessionTarget, link_id: int | None = None) -> ReviewSession:
    """A member starts a session on `target` (read through its ownership selector), optionally letting
    the guests of one of its links in (`link_id`: a live link of that object that allows sessions)."""
    if target.workspace_id != member.workspace_id:
        raise NotFound()  # the callers' selectors already answered 404; this keeps the service honest
    refusal = policy.decide(member_actor(member), START, workspace_id=target.workspace_id)
    if refusal is not None:
        raise Forbidden(refusal.message)
    link = None
    if link_id is not None:
        link = ShareLink.objects.filter(pk=link_id, workspace_id=target.workspace_id).first()
        if link is None or link.project_id is not None or _link_of(link) != target:
            raise NotFound("No such link of this object.")
        if not link_is_live(link) or not can_join_sessions(link):
            raise Conflict(
                "This link does not let its guests join sessions (turn that on, with comments), or is no longer live.",
                code="sessions_off",
            )
    return _new_session(target=target, link=link, started_by=member.user, name=_member_name(member.user))


def require_sessions_on(link: ShareLink) -> None:
    """Forbidden (403 `sessions_off`) unless the policy lets `link`'s guests start sessions."""
    if not can_join_sessions(link):
        raise Forbidden("This link does not allow live sessions.", code="sessions_off")


@transaction.atomic
def session_start_by_guest(*, link: ShareLink, name: str, reviewer_key: str | None) -> ReviewSession:
    """A guest starts a session from a live link that allows sessions; they present first."""
    require_sessions_on(link)
    digest = reviewer_key_digest(reviewer_key)
    return _new_session(target=_link_of(link), link=link, started_by=None, name=name, key_digest=digest)


# --- presence ------------------------------------------------------------------------------------


def _locked(session_id: int) -> ReviewSession:
    return ReviewSession.objects.select_for_update().get(pk=session_id)


def _live_now(session: ReviewSession) -> bool:
    return session.ended_at is None and session.ends_at > timezone.now()


def _push_participants(session: ReviewSession) -> None:
    live.push_to_session(session.code, live.PARTICIPANTS, participants_json(session, participants_of(session)))


@dataclass(frozen=True)
class Joined:
    """The participant counted in, the session's row and everyone in it then."""

    participant: Participant
    session: ReviewSession
    participants: list[Participant]


def _who(user: User | None, key_digest: str) -> dict[str, object]:
    return {"user": user} if user is not None else {"user": None, "reviewer_key_digest": key_digest}


def _is_them(participant: Participant, user: User | None, key_digest: str) -> bool:
    if user is not None:
        return participant.user_id == user.pk
    return participant.user_id is None and participant.reviewer_key_digest == key_digest


def participant_join(*, session_id: int, name: str, user: User | None = None, key_digest: str = "") -> Joined:
    """One more open socket of a member (`user`) or a guest (`key_digest`) in the session: their row
    (made on their first visit, reused after), counted connected. The presenter coming back after
    their last socket closed plays on where the session paused, if it was playing then. Who is in
    the session is not pushed from here: the sockets' process tells the session's group once per
    short tick, however many join (`review_sessions.presence.SessionPresence`)."""
    person = seats.person(user.pk if user is not None else None, key_digest)
    # Refused at once, without waiting for the session's lock, when every seat is taken by others
    # (as this process last counted them): in a crowd at the door, most are refused here.
    if seats.this_process.full_for(session_id=session_id, who=person):
        raise SessionFull()
    who = _who(user, key_digest)
    with transaction.atomic():
        # The row alone: its object and link are the welcome's fixed part (`selectors.session_facts`).
        session = _locked(session_id)
        if not _live_now(session):
            raise SessionEnded()
        participants = participants_of(session)
        participant = next((one for one in participants if _is_them(one, user, key_digest)), None)
        if participant is None or participant.open_sockets == 0:
            connected = sum(1 for one in participants if one.open_sockets > 0)
            if connected >= settings.REVIEW_SESSION_MAX_PARTICIPANTS:
                raise SessionFull()
        if participant is None:
            participant = Participant.objects.create(session=session, **who, name=name)
            participants.append(participant)
        now = timezone.now()
        Participant.objects.filter(pk=participant.pk).update(
            open_sockets=F("open_sockets") + 1, last_seen_at=now, name=name
        )
        # What the UPDATE wrote (the session's lock keeps every count change of its people in turn).
        participant.open_sockets += 1
        participant.last_seen_at, participant.name = now, name
        if session.presenter_id == participant.pk and session.presenter_away_at is not None:
            session.presenter_away_at = None
            if session.resume_playing:
                session.playing = True
                session.state_at = server_ms()  # plays on from the paused position, from now
                session.seq += 1
            session.resume_playing = False
            session.save(update_fields=["presenter_away_at", "resume_playing", "playing", "state_at", "seq"])
            live.push_to_session(session.code, live.PRESENTER_BACK, {"state": state_json(session)})
    seats.this_process.taken(session_id=session_id, who=person)
    return Joined(participant=participant, session=session, participants=participants)


def participant_leave(*, participant_id: int, all_sockets: bool = False) -> str | None:
    """One of the participant's sockets closed (`all_sockets`: every one of them is gone, their web
    process with them). When it was the presenter's last, the session pauses where the presenter's
    clock was (position advanced to now when playing) and says so. Returns the session's code while
    it is live (who is in it changed: the caller tells its group), else None."""
    with transaction.atomic():
        session_id = Participant.objects.filter(pk=participant_id).values_list("session_id", flat=True).first()
        if session_id is None:
            return None  # the session went (its object was deleted)
        session = _locked(session_id)
        counted = Participant.objects.filter(pk=participant_id, open_sockets__gt=0)
        if all_sockets:
            counted.update(open_sockets=0)  # last seen when it last pinged, not now: idling counts from then
        else:
            counted.update(open_sockets=F("open_sockets") - 1, last_seen_at=timezone.now())
        participant = Participant.objects.get(pk=participant_id)
        if participant.open_sockets == 0:
            transaction.on_commit(lambda: seats.this_process.freed(session_id=session_id))
        if not _live_now(session):
            return None
        presenter_gone = participant.open_sockets == 0 and session.presenter_id == participant.pk
        if presenter_gone and session.presenter_away_at is None:
            _pause_for_away_presenter(session)
        if participant.open_sockets == 0:
            # Their drawing in progress goes with them: nobody is left to save or cancel it.
            live.push_to_session(session.code, live.DRAWING_CLEAR, {"by": participant.pk})
    return session.code


def participants_now(*, session_id: int) -> list[dict[str, object]] | None:
    """Who is in the session now, as the `participants` frame lists them (None: it went)."""
    session = ReviewSession.objects.filter(pk=session_id).first()
    if session is None:
        return None
    return participants_json(session, participants_of(session))


def _pause_for_away_presenter(session: ReviewSession) -> None:
    now_ms = server_ms()
    if session.playing:
        played = max(0.0, (now_ms - session.state_at) / 1000.0) * session.rate
        session.position += played
        session.apart = apart_played(session.apart, played)
    session.resume_playing = session.playing
    session.playing = False
    session.state_at = now_ms
    session.seq += 1
    session.presenter_away_at = timezone.now()
    session.save(
        update_fields=["position", "apart", "resume_playing", "playing", "state_at", "seq", "presenter_away_at"]
    )
    live.push_to_session(session.code, live.PRESENTER_AWAY, {"state": state_json(session)})


def participants_gone_quiet() -> int:
    """Participants counted connected whose pings stopped (their web process crashed or was killed
    without closing its sockets): counted out, as if their sockets had closed, so presence, the
    presenter's absence and idling hold without that process. Returns how many."""
    quiet = list(
        Participant.objects.filter(
            open_sockets__gt=0, last_seen_at__lt=timezone.now() - STALE_AFTER, session__ended_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for pk in quiet:
        with transaction.atomic():
            code = participant_leave(participant_id=pk, all_sockets=True)
            if code is not None:
                _push_participants(ReviewSession.objects.get(code=code))
    return len(quiet)


def participants_seen(*, participant_ids: list[int]) -> None:
    """These participants' sockets are held by a live web process (`review_sessions.heartbeat`):
    what keeps them counted connected, and the session from idling out."""
    Participant.objects.filter(pk__in=participant_ids).update(last_seen_at=timezone.now())


def participant_follow(*, participant_id: int, following: bool) -> None:
    with transaction.atomic():
        participant = Participant.objects.select_related("session").get(pk=participant_id)
        if participant.following == following:
            return
        participant.following = following
        participant.save(update_fields=["following"])
        _push_participants(participant.session)


# --- the presenter -------------------------------------------------------------------------------


def presenter_state_set(
    *, session_id: int, participant_id: int, state: PresenterState, apart: Apart | None = None
) -> None:
    """The presenter's new state, stored (`seq` + 1) and sent to everyone, presenter included.
    `apart`: the compare page's players each at its own place (a move), or None (in step)."""
    with transaction.atomic():
        session = _locked(session_id)
        if not _live_now(session):
            raise SessionEnded()
        if session.presenter_id != participant_id:
            raise NotPresenter()
        session.playing = state.playing
        session.position = state.position
        session.rate = state.rate
        session.difference = state.difference
        session.threshold = state.threshold
        session.state_at = state.at
        session.apart = apart
        session.seq += 1
        session.save(
            update_fields=["playing", "position", "rate", "difference", "threshold", "state_at", "apart", "seq"]
        )
        data = {**state_json(session), "seek": state.seek, "by": participant_id}
        live.push_to_session(session.code, live.STATE, data)


@dataclass(frozen=True)
class Steerer:
    """Who asks to hand over or end: a member (`user`) or a guest (`key_digest`)."""

    user: User | None = None
    key_digest: str = ""


def steerer_of(participant: Participant) -> Steerer:
    return Steerer(user=participant.user, key_digest=participant.reviewer_key_digest)


def steers_whoever_presents(session: ReviewSession, steerer: Steerer) -> bool:
    """Whoever started the session, or an admin of its workspace: they may hand over and end it
    whoever presents (the presenter may too, while presenting)."""
    user, key = steerer.user, steerer.key_digest
    if (user is not None and session.started_by_id == user.pk) or (key and session.started_by_key_digest == key):
        return True
    membership = membership_or_none(user, session.workspace_id) if user is not None else None
    return membership is not None and policy.may(
        membership.actor(), "review_session.steer", workspace_id=session.workspace_id
    )


def _may_steer(session: ReviewSession, steerer: Steerer) -> bool:
    """The presenter, the starter, or an admin of the session's workspace."""
    presenter = Participant.objects.filter(pk=session.presenter_id).first() if session.presenter_id else None
    user, key = steerer.user, steerer.key_digest
    if presenter is not None and (
        (user is not None and presenter.user_id == user.pk) or (key and presenter.reviewer_key_digest == key)
    ):
        return True
    return steers_whoever_presents(session, steerer)


def _steerer_name(session: ReviewSession, steerer: Steerer) -> str:
    """The name the activity feed gives whoever ended the session: a member's account name, or the
    name a guest goes by in it (the one they started it under, if they have not joined)."""
    if steerer.user is not None:
        return steerer.user.name
    joined = Participant.objects.filter(session=session, user=None, reviewer_key_digest=steerer.key_digest).first()
    return joined.name if joined is not None else session.started_by_name


def member_may_present(user: User, workspace_id: int) -> bool:
    """Presenting and drawing take a commenter's role (viewers follow only)."""
    membership = membership_or_none(user, workspace_id)
    return membership is not None and policy.may(membership.actor(), START, workspace_id=workspace_id)


def _may_present(session: ReviewSession, participant: Participant) -> bool:
    if participant.user is None:
        return True  # a guest of a link that allows sessions (only with comments on)
    return member_may_present(participant.user, session.workspace_id)


def session_handover(*, session_id: int, to_participant_id: object, steerer: Steerer) -> ReviewSession:
    """Give control to another connected participant who may present (a guest, or a member with at
    least a commenter's role): the presenter does, or the starter or an admin (taking over from a
    presenter who is away)."""
    with transaction.atomic():
        session = _locked(session_id)
        if not _live_now(session):
            raise SessionEnded()
        if not _may_steer(session, steerer):
            raise Forbidden("Only the presenter, whoever started the session or an admin can hand over.")
        to = (
            Participant.objects.select_related("user").filter(session=session, pk=to_participant_id).first()
            if isinstance(to_participant_id, int) and not isinstance(to_participant_id, bool)
            else None
        )
        if to is None:
            raise FieldInvalid("No such participant in this session.", field="participant")
        if not _may_present(session, to):
            raise FieldInvalid(f"{to.name} may only follow: presenting takes a commenter's role.", field="participant")
        if not is_connected(to):
            raise FieldInvalid(f"{to.name} is not connected.", field="participant")
        session.presenter = to
        session.presenter_away_at = None
        session.resume_playing = False
        session.save(update_fields=["presenter", "presenter_away_at", "resume_playing"])
        activity_record(
            workspace_id=session.workspace_id,
            actor=steerer.user,
            actor_name=_steerer_name(session, steerer),
            verb=Verb.SESSION_TAKEN_OVER
            if _is_them(to, steerer.user, steerer.key_digest)
            else Verb.SESSION_HANDED_OVER,
            target=_activity_target(session),
            details={"session": session.code, "to_name": to.name, "by_guest": steerer.user is None},
        )
        live.push_to_session(session.code, live.PRESENTER, participant_json(to, presenter_id=to.pk))
        _push_participants(session)
    return session


def session_end(*, session_id: int, reason: str, by: Steerer | None = None) -> ReviewSession:
    """End the session now (`by`: someone who may steer it, a member or a guest; None: the site, for
    idling or its limit). Ending again changes nothing. Its sockets hear `session.ended` and close."""
    with transaction.atomic():
        session = _locked(session_id)
        if by is not None and not _may_steer(session, by):
            raise Forbidden("Only the presenter, whoever started the session or an admin can end it.")
        if session.ended_at is not None:
            return session
        session.ended_at = timezone.now()
        session.end_reason = reason
        session.playing = False
        session.save(update_fields=["ended_at", "end_reason", "playing"])
        actor = by.user if by is not None else None
        activity_record(
            workspace_id=session.workspace_id,
            actor=actor,
            actor_name=_steerer_name(session, by) if by is not None else "SAGE",
            verb=Verb.SESSION_ENDED,
            target=_activity_target(session),
            details={"session": session.code, "reason": reason, "by_guest": by is not None and by.user is None},
        )
        live.push_to_session(session.code, live.SESSION_ENDED, {"reason": reason})
        code = session.code
        transaction.on_commit(lambda: session_facts_forget(code))
    return session


def sessions_end_due() -> int:
    """End the sessions past their limit, and those nobody has been connected to for
    REVIEW_SESSION_IDLE_MINUTES (a connected socket refreshes its participant's `last_seen_at` with
    its clock pings). Idempotent: the beat runs it every minute. Returns how many it ended."""
    now = timezone.now()
    live_sessions = ReviewSession.objects.filter(ended_at__isnull=True)
    over = list(live_sessions.filter(ends_at__lte=now).values_list("pk", flat=True))
    cutoff = now - timedelta(minutes=settings.REVIEW_SESSION_IDLE_MINUTES)
    idle = list(
        live_sessions.filter(ends_at__gt=now, created_at__lt=cutoff)
        .exclude(participants__last_seen_at__gte=cutoff)
        .values_list("pk", flat=True)
    )
    for pk in over:
        session_end(session_id=pk, reason=ReviewSession.EndReason.LIMIT)
    for pk in idle:
        session_end(session_id=pk, reason=ReviewSession.EndReason.IDLE)
    return len(over) + len(idle)
