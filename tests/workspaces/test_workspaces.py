"""Workspaces (issue 52), the first slice: every account has a personal workspace it owns, made
when the account is and, for accounts that existed before, by a migration; membership decides."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import CheckConstraint

from chat.models import Conversation
from notes.models import Note
from sage.errors import NotFound
from tests.factories import (
    UserFactory,
    VideoFactory,
)
from videos.models import Video, VideoStack
from workspaces.models import Role, Workspace
from workspaces.policy import reaches
from workspaces.registry import registered_work
from workspaces.selectors import membership_in, personal_workspace_of, workspaces_of
from workspaces.services import workspace_create_personal

pytestmark = pytest.mark.django_db


def test_a_new_account_owns_its_personal_workspace_and_only_that() -> None:
    user = UserFactory(display_name="Ana Lima")

    workspace = personal_workspace_of(user)

    assert (workspace.name, workspace.kind) == ("Ana Lima", Workspace.Kind.PERSONAL)
    assert list(workspaces_of(user)) == [workspace]
    assert [(m.user, m.role) for m in workspace.memberships.all()] == [(user, Role.OWNER)]
    # Asked again (a retried sign-up, say), it is the same workspace, not a second one.
    assert workspace_create_personal(user=user) == workspace
    assert Workspace.objects.filter(created_by=user).count() == 1


def test_another_persons_workspace_is_not_found_whether_or_not_it_exists() -> None:
    owner, stranger = UserFactory(), UserFactory()
    theirs = personal_workspace_of(owner)

    for workspace_id in (theirs.pk, theirs.pk + 10_000, True, "1"):
        with pytest.raises(NotFound):
            membership_in(stranger, workspace_id)
    assert membership_in(owner, theirs.pk).role == Role.OWNER


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.VIEWER, {Role.VIEWER}),
        (Role.COMMENTER, {Role.VIEWER, Role.COMMENTER}),
        (Role.EDITOR, {Role.VIEWER, Role.COMMENTER, Role.EDITOR}),
        (Role.ADMIN, {Role.VIEWER, Role.COMMENTER, Role.EDITOR, Role.ADMIN}),
        (Role.OWNER, set(Role)),
    ],
)
def test_a_role_may_do_what_every_role_below_it_may(role: Role, allowed: set[Role]) -> None:
    assert {other for other in Role if reaches(role, other)} == allowed


@pytest.mark.parametrize("model", [Video, VideoStack, Note, Conversation])
def test_work_saved_without_a_workspace_is_refused_not_put_in_a_personal_one(model: type[Any]) -> None:
    owner = UserFactory()
    video = VideoFactory(owner=owner, ready=True)
    fields: dict[str, Any] = {"owner": owner}
    if model is Video or model is VideoStack:
        fields["title"] = "Lost"
    if model is Note or model is Conversation:
        fields["video"] = video

    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_conversations_saved_without_a_workspace_in_their_owners_personal_one() -> None:
    ana = UserFactory(email="ana@example.com")
    executor = MigrationExecutor(connection)
    executor.migrate([("chat", "0004_holds_about_their_video")])
    applied = list(MigrationExecutor(connection).loader.applied_migrations)
    OldConversation = executor.loader.project_state(applied).apps.get_model("chat", "Conversation")
    lost = OldConversation.objects.create(owner_id=ana.pk, title="Before the constraint")  # no workspace

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Conversation.objects.get(pk=lost.pk).workspace == personal_workspace_of(ana)


# What has a workspace column without being a workspace's work: its members and invitations, its
# records (feed, audit log), its wallet, and the accounts' own rows that name one (an account's
# personal workspace, a token's and a connect request's workspace: accounts sits below workspaces).
NOT_WORK = {
    "workspaces.Membership",
    "workspaces.Invitation",
    "activity.ActivityEvent",
    "activity.AuditEntry",
    "billing.Wallet",
    "accounts.User",
    "accounts.ApiToken",
    "accounts.ExtensionConnect",
}


def test_every_model_holding_a_workspaces_work_is_registered_by_its_app_and_needs_a_workspace() -> None:
    holding = {
        model
        for model in django_apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is Workspace
    }
    registered = {work.model for work in registered_work()}

    assert {model._meta.label for model in holding - registered} == NOT_WORK
    assert registered <= holding
    for model in registered:
        column = model._meta.get_field("workspace")
        # Null only where a check constraint says whose may be (a guest's conversation).
        assert not column.null or any(
            isinstance(constraint, CheckConstraint) and "workspace" in str(constraint.condition)
            for constraint in model._meta.constraints
        ), model
