"""What the apps above workspaces tell it about themselves, so that it imports none of them.

`workspaces` (memberships, the policy, the acting workspace) sits below every app that owns work:
they all ask it who may do what. Two things it must still know of them are registered from each
app's `AppConfig.ready`, as `sage.realtime.register_object_kind` and the API's error details are:

- the models holding a workspace's work (`register_work`), and which of them the deletion of an
  account or a team names ("with its 3 videos");
- who pays (`register_payer`, billing): a plan's seats, the wallet a new workspace gets, the plan a
  team's wallet moves to with its owner, the tokens a deleted team takes with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import models

if TYPE_CHECKING:  # annotations only: the models module imports the policy, not this
    from accounts.models import User
    from workspaces.models import Workspace


@dataclass(frozen=True)
class Work:
    """A model whose rows are a workspace's work (its `workspace` column says whose). `counted_as`:
    how the deletion of a workspace names them, one and many ("video", "videos"); None: not named."""

    model: type[models.Model]
    counted_as: tuple[str, str] | None = None


@dataclass(frozen=True)
class PlanTerms:
    """What a person's plan allows that workspaces enforce: its name (said in refusals) and seats."""

    name: str
    seats: int


class Payer(Protocol):
    """Who pays for workspaces (billing)."""

    def plan_of(self, user: User) -> PlanTerms:
        """The plan `user` is on."""
        ...

    def workspace_made(self, workspace: Workspace) -> None:
        """`workspace` was just made, its owner a member: its wallet."""
        ...

    def owner_changed(self, workspace: Workspace, owner: User) -> None:
        """`workspace`'s ownership was transferred to `owner`: its wallet moves to their plan."""
        ...

    def tokens_of(self, workspace_id: int) -> int:
        """The tokens `workspace_id`'s wallet holds (what its deletion takes with it)."""
        ...


_work: list[Work] = []
_payers: list[Payer] = []


def register_work(model: type[models.Model], *, counted_as: tuple[str, str] | None = None) -> None:
    """Declare `model` a workspace's work (once per model: an app's `ready` may run twice in tests)."""
    if all(work.model is not model for work in _work):
        _work.append(Work(model=model, counted_as=counted_as))


def registered_work() -> tuple[Work, ...]:
    return tuple(_work)


def register_payer(payer: Payer) -> None:
    """Who pays for workspaces: one, the last registered."""
    _payers[:] = [payer]


def payer() -> Payer:
    if not _payers:
        raise ImproperlyConfigured("No payer for workspaces is registered: is the billing app installed?")
    return _payers[0]
