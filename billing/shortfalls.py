"""When a team workspace's wallet is short for a member who may not buy tokens (issue 65).

Only a team's owner and admins buy tokens for it (the policy's `billing.pay`). An editor, commenter or
viewer refused for tokens is therefore never offered a pack: every refusal (a page's sentence, the
API's 402, the chat socket's error frame, the upload rows' offer) names whom to ask instead, and the
owner and admins are told, once per shortfall (`TeamShortfall`: from the first such refusal until
tokens are next credited), by e-mail and on the team's billing page. Owners and admins, and anyone
in their own workspace, keep the offer to buy (billing.packs).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from billing.ledger import InsufficientTokens, TokensOwed
from billing.models import LedgerEntry, TeamShortfall, Wallet
from billing.selectors import may_pay_for
from workspaces.models import Membership, Role

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Buyer:
    """One who may buy tokens for the team, as a refusal names them."""

    name: str
    role: str

    def as_text(self) -> str:
        return f"{self.name} ({self.role})"


@dataclass(frozen=True)
class AskInstead:
    """What a member who may not buy is told in place of an offer: the team, and whom to ask."""

    team_id: int
    team_name: str
    buyers: tuple[Buyer, ...]

    @property
    def sentence(self) -> str:
        """ "Only the owner and admins of “Studio” can buy tokens for it: ask Olivia (owner) or Adam
        (admin); they have been told." """
        names = [buyer.as_text() for buyer in self.buyers]
        if len(names) > 1:
            names = [", ".join(names[:-1]) + " or " + names[-1]]
        ask = f": ask {names[0]}; they have been told." if names else "."
        return f"Only the owner and admins of “{self.team_name}” can buy tokens for it{ask}"

    def details(self) -> list[dict[str, str]]:
        """The buyers as a refusal's error carries them (`ask`)."""
        return [{"name": buyer.name, "role": buyer.role} for buyer in self.buyers]


def ask_instead_of_buying(*, team_id: int | None, actor_id: int | None) -> AskInstead | None:
    """Whom `actor_id`, short of tokens in team `team_id`, must ask, when they may not buy them
    themselves; None when they may (their own workspace, a team's owner or admin, or not known)."""
    if team_id is None or actor_id is None:
        return None
    membership = Membership.objects.select_related("workspace").filter(workspace_id=team_id, user_id=actor_id).first()
    if membership is None or may_pay_for(membership.actor()):
        return None
    team = membership.workspace
    buyers = (
        Membership.objects.filter(workspace_id=team_id, role__in=[Role.OWNER, Role.ADMIN])
        .select_related("user")
        .order_by("role", "user__display_name", "user__email")  # "admin" < "owner": the owner is put first below
    )
    ordered = sorted(buyers, key=lambda member: member.role != Role.OWNER)
    return AskInstead(
        team_id=team_id,
        team_name=team.name,
        buyers=tuple(Buyer(name=member.user.name, role=str(member.role)) for member in ordered),
    )


def ask_for_refusal(exc: InsufficientTokens) -> AskInstead | None:
    """`ask_instead_of_buying` for a refusal; the owner and admins are told of it (once a shortfall)."""
    ask = ask_instead_of_buying(team_id=exc.team_id, actor_id=exc.actor_id)
    if ask is not None and exc.actor_id is not None:
        team_shortfall_report(
            team_id=ask.team_id, actor_id=exc.actor_id, needed=exc.needed, available=exc.available, ask=ask
        )
    return ask


def refusal_sentence(exc: InsufficientTokens, ask: AskInstead) -> str:
    """The refusal as a member who may not buy reads it: the figures, and whom to ask."""
    if isinstance(exc, TokensOwed):
        return f"{exc.message} {ask.sentence}"
    return (
        f"This needs {intcomma(exc.needed)} tokens but the team workspace “{ask.team_name}” has "
        f"{intcomma(exc.available)}. {ask.sentence}"
    )


# --- telling the owner and admins ----------------------------------------------------------------


def _last_credit_id(wallet_id: int) -> int:
    """The wallet's last credit: a grant (a pack, a plan's tokens) or an operator's positive adjustment."""
    kinds = [LedgerEntry.Kind.GRANT, LedgerEntry.Kind.ADJUSTMENT]
    last = (
        LedgerEntry.objects.filter(wallet_id=wallet_id, kind__in=kinds, amount__gt=0)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return last or 0


def team_shortfall_report(*, team_id: int, actor_id: int, needed: int, available: int, ask: AskInstead) -> bool:
    """Record that the team's wallet is short for `actor_id`; the first refusal of a shortfall (none
    recorded since the wallet's last credit) e-mails its owner and admins. True when this one did."""
    wallet = Wallet.objects.filter(workspace_id=team_id, user=None).first()
    if wallet is None:
        return False
    role = Membership.objects.filter(workspace_id=team_id, user_id=actor_id).values_list("role", flat=True).first()
    try:
        with transaction.atomic():
            shortfall, created = TeamShortfall.objects.get_or_create(
                wallet=wallet,
                since_entry=_last_credit_id(wallet.pk),
                defaults={"actor_id": actor_id, "actor_role": role or "", "needed": needed, "available": available},
            )
    except IntegrityError:  # a concurrent refusal recorded it first: it tells them
        return False
    if not created:
        return False
    if _mail_buyers(shortfall, ask=ask):
        TeamShortfall.objects.filter(pk=shortfall.pk).update(notified_at=timezone.now())
    return True


def _mail_buyers(shortfall: TeamShortfall, *, ask: AskInstead) -> bool:
    emails = list(
        Membership.objects.filter(workspace_id=ask.team_id, role__in=[Role.OWNER, Role.ADMIN]).values_list(
            "user__email", flat=True
        )
    )
    who = User.objects.filter(pk=shortfall.actor_id).first() if shortfall.actor_id is not None else None
    by = f"{who.name} ({shortfall.actor_role})" if who is not None else "A member"
    body = "\n\n".join(
        [
            f"{by} could not go ahead in the team workspace “{ask.team_name}”: the work needs "
            f"{shortfall.needed:,} tokens and the team has {shortfall.available:,}.",
            "Only its owner and admins can buy tokens for it. Buy a pack on its billing page, acting "
            f"in “{ask.team_name}”: {settings.SITE_URL}{reverse('billing:billing')}",
            "You are told once until tokens are added to the team.",
        ]
    )
    try:
        send_mail(f"“{ask.team_name}” is out of tokens", body + "\n", None, emails)
    except (smtplib.SMTPException, OSError):
        logger.warning("could not mail the buyers of team %s about its shortfall", ask.team_id, exc_info=True)
        return False
    return True


def open_shortfall(wallet: Wallet) -> TeamShortfall | None:
    """The team's shortfall not yet met by a credit, as its billing page shows its owner and admins."""
    if wallet.user_id is not None:
        return None
    return (
        TeamShortfall.objects.select_related("actor")
        .filter(wallet=wallet, since_entry=_last_credit_id(wallet.pk))
        .first()
    )
