"""A team workspace's own wallet (issue 52, money): work any member does in the team is paid from it,
refunds go back to it, tokens it owes stop paid work in the team only, its admins see what each
member spent, and the header shows the wallet of the workspace a page acts in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.guests import Viewer
from accounts.models import User
from activity.models import AuditEntry
from billing.holds import hold_release
from billing.ledger import TokensOwed, grant_monthly_tokens, ledger_take_back
from billing.models import LedgerEntry, Plan, Wallet
from billing.pack_credits import PackPayment, PaymentMismatch, pack_purchase_credit
from billing.packs import TeamPurchaseRefused, pack_buyer_team
from billing.selectors import month_start, usage_by_member, usage_by_video
from billing.stripe_client import PACK_METADATA_KEY, USER_METADATA_KEY, WORKSPACE_METADATA_KEY
from billing.wallets import wallet_change_plan
from chat import services as chat_services
from tests.factories import (
    DEFAULT_PASSWORD,
    MembershipFactory,
    TeamWorkspaceFactory,
    TokenPackFactory,
    UserFactory,
    VideoFactory,
    member_in,
    on_plan,
)
from tests.migrating import migrated_back_to, migrated_forward
from videos.models import Upload, Video
from videos.pipeline.steps import StepFailed, ensure_hold
from workspaces.models import Membership, Role, Workspace
from workspaces.services import ownership_transfer, workspace_create_team

pytestmark = pytest.mark.django_db


def team_wallet(team: Workspace) -> Wallet:
    return Wallet.objects.get(workspace=team)


def personal_wallet(user: User) -> Wallet:
    return Wallet.objects.get(user=user)


def client_in(user: User, workspace: Workspace | None) -> Client:
    """A signed-in browser whose header switcher chose `workspace` (None: the personal one)."""
    client = Client()
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    if workspace is not None:
        assert client.post(reverse("workspace-switch"), {"workspace": workspace.pk}).status_code == 302
    return client


def owing(team: Workspace, owed: int) -> None:
    """The team's wallet spent everything a refunded purchase gave it: `owed` tokens are owed."""
    wallet = team_wallet(team)
    ledger_take_back(wallet_id=wallet.pk, up_to=wallet.balance + owed, key=f"test-owed:{team.pk}", memo="Refund")


def test_a_team_workspace_gets_its_own_wallet_on_its_owners_plan_with_the_plans_tokens() -> None:
    owner = on_plan(UserFactory(), "team")
    owners_balance = personal_wallet(owner).balance

    team = workspace_create_team(user=owner, name="Grading")  # their first team: the plan's grant

    wallet = team_wallet(team)
    assert wallet.user is None
    assert wallet.plan.slug == "team"
    assert wallet.balance == wallet.plan.monthly_tokens
    assert personal_wallet(owner).balance == owners_balance  # the owner's own wallet is untouched


def test_processing_a_members_video_in_the_team_is_paid_by_the_team_and_refunded_to_it() -> None:
    member = MembershipFactory(role=Role.EDITOR)
    team, editor = member.workspace, member.user
    team_before, own_before = team_wallet(team).balance, personal_wallet(editor).balance
    video = VideoFactory(owner=editor, workspace=team, status=Video.Status.PROCESSING, duration=40.0)

    hold = ensure_hold(video)

    assert hold.wallet_id == team_wallet(team).pk
    assert team_wallet(team).balance == team_before - 40
    assert personal_wallet(editor).balance == own_before
    assert LedgerEntry.objects.get(hold=hold, kind=LedgerEntry.Kind.HOLD).actor == editor

    hold_release(hold=hold)  # the processing failed: everything back, to the wallet it came from

    assert team_wallet(team).balance == team_before
    assert personal_wallet(editor).balance == own_before
    assert LedgerEntry.objects.get(hold=hold, kind=LedgerEntry.Kind.RELEASE).wallet_id == team_wallet(team).pk


def test_a_members_chat_answer_in_the_team_is_paid_by_the_team(settings) -> None:
    settings.TOKEN_COST_CHAT_ANSWER = 3
    member = MembershipFactory(role=Role.EDITOR)
    team, editor = member.workspace, member.user
    team_before, own_before = team_wallet(team).balance, personal_wallet(editor).balance
    conversation = chat_services.conversation_create(viewer=Viewer(user=editor, guest_id=None, workspace_id=team.pk))

    # Answered later, from a page acting elsewhere: the conversation's workspace still pays.
    viewer = Viewer(user=editor, guest_id=None, workspace_id=editor.personal_workspace_id)
    chat_services.answer_begin(viewer=viewer, conversation=conversation, text="What changed in v2?")

    assert team_wallet(team).balance == team_before - 3
    assert personal_wallet(editor).balance == own_before


def test_tokens_owed_by_the_team_refuse_a_members_upload_there_naming_the_team_but_not_in_their_own() -> None:
    member = MembershipFactory(role=Role.EDITOR, workspace=TeamWorkspaceFactory(name="Northlight"))
    team, editor = member.workspace, member.user
    owing(team, 250)
    upload = {"filename": "cut.mp4", "size": 1000, "duration_seconds": 60}

    refused = client_in(editor, team).post("/api/v1/uploads", upload, content_type="application/json")

    assert refused.status_code == 402, refused.content
    error = refused.json()["error"]
    assert error["code"] == "tokens_owed"
    assert error["message"].startswith("250 tokens are owed by the team workspace “Northlight” from a refund")
    assert not Upload.objects.filter(owner=editor).exists()

    accepted = client_in(editor, None).post("/api/v1/uploads", upload, content_type="application/json")

    assert accepted.status_code == 201, accepted.content
    assert Upload.objects.get(owner=editor).workspace_id != team.pk


def test_processing_in_an_owing_team_fails_with_the_teams_message() -> None:
    member = MembershipFactory(role=Role.EDITOR, workspace=TeamWorkspaceFactory(name="Northlight"))
    owing(member.workspace, 10)
    video = VideoFactory(owner=member.user, workspace=member.workspace, status=Video.Status.PROCESSING, duration=5.0)

    with pytest.raises(StepFailed, match="owed by the team workspace “Northlight”") as failure:
        ensure_hold(video)

    assert failure.value.code == TokensOwed.code


def test_usage_this_month_sums_what_each_member_spent_and_each_video_cost() -> None:
    team = TeamWorkspaceFactory()
    alice = MembershipFactory(workspace=team, role=Role.EDITOR, user=UserFactory(display_name="Alice")).user
    bob = MembershipFactory(workspace=team, role=Role.EDITOR, user=UserFactory(display_name="Bob")).user
    MembershipFactory(workspace=team, role=Role.VIEWER, user=UserFactory(display_name="Vera"))
    first = VideoFactory(owner=alice, workspace=team, title="Teaser", status=Video.Status.PROCESSING, duration=30.0)
    second = VideoFactory(owner=alice, workspace=team, title="Trailer", status=Video.Status.PROCESSING, duration=20.0)
    third = VideoFactory(owner=bob, workspace=team, title="Promo", status=Video.Status.PROCESSING, duration=7.0)
    refunded = VideoFactory(owner=bob, workspace=team, title="Broken", status=Video.Status.PROCESSING, duration=9.0)
    for video in (first, second, third):
        ensure_hold(video)
    hold_release(hold=ensure_hold(refunded))
    # Alice's own work in her personal workspace is not the team's.
    ensure_hold(VideoFactory(owner=alice, status=Video.Status.PROCESSING, duration=11.0))

    members = {row.name: row.tokens for row in usage_by_member(team_wallet(team), since=month_start())}
    videos = {row.video_id: row.tokens for row in usage_by_video(team_wallet(team), since=month_start()).videos}

    assert members == {"Alice": 50, "Bob": 7, "Vera": 0, team.created_by.display_name: 0}
    assert videos == {first.pk: 30, second.pk: 20, third.pk: 7}


def test_admins_see_the_teams_usage_in_the_api_and_on_the_billing_page_editors_see_the_balance_only() -> None:
    team = TeamWorkspaceFactory(name="Northlight")
    editor = MembershipFactory(workspace=team, role=Role.EDITOR, user=UserFactory(display_name="Eddie")).user
    admin = MembershipFactory(workspace=team, role=Role.ADMIN).user
    ensure_hold(VideoFactory(owner=editor, workspace=team, title="Teaser", status=Video.Status.PROCESSING, duration=12))
    balance = f"{team_wallet(team).balance:,}"

    as_admin = client_in(admin, team)
    usage = as_admin.get("/api/v1/billing/usage").json()
    assert {row["name"]: row["tokens"] for row in usage["members"]}["Eddie"] == 12
    assert [row["tokens"] for row in usage["videos"]] == [12]
    assert as_admin.get("/api/v1/billing").json()["balance"] == team_wallet(team).balance
    page = as_admin.get(reverse("billing:billing")).content.decode()
    assert "Billing · Northlight" in page
    assert re.search(r'data-member="[^"]+">\s*<th scope="row">Eddie', page)
    assert "Processing “Teaser”" in page

    as_editor = client_in(editor, team)
    assert as_editor.get("/api/v1/billing/usage").status_code == 403
    assert as_editor.get("/api/v1/billing/ledger").status_code == 403
    assert as_editor.get("/api/v1/billing").json()["balance"] == team_wallet(team).balance
    page = as_editor.get(reverse("billing:billing")).content.decode()
    assert balance in page
    assert "The workspace's owner and admins see its usage" in page
    assert "Processing “Teaser”" not in page


def test_the_header_balance_follows_the_workspace_switcher() -> None:
    member = MembershipFactory(role=Role.EDITOR)
    team, editor = member.workspace, member.user
    ensure_hold(VideoFactory(owner=editor, workspace=team, status=Video.Status.PROCESSING, duration=3.0))
    team_balance, own_balance = team_wallet(team).balance, personal_wallet(editor).balance
    assert team_balance != own_balance

    def header_balance(client: Client) -> str:
        page = client.get("/").content.decode()
        found = re.search(r'<span class="balance-value">([\d,]+)</span> tokens', page)
        assert found is not None
        return found.group(1)

    client = client_in(editor, team)
    assert header_balance(client) == f"{team_balance:,}"
    client.post(reverse("workspace-switch"), {"workspace": Workspace.objects.get(created_by=editor).pk})
    assert header_balance(client) == f"{own_balance:,}"


def test_a_pack_bought_for_the_team_is_credited_to_its_wallet_and_audited_in_it() -> None:
    team = TeamWorkspaceFactory()
    admin = MembershipFactory(workspace=team, role=Role.ADMIN).user
    pack = TokenPackFactory(tokens=500, amount=900)
    team_before, own_before = team_wallet(team).balance, personal_wallet(admin).balance
    metadata = {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(admin.pk), WORKSPACE_METADATA_KEY: str(team.pk)}

    pack_purchase_credit(payment=PackPayment("pi_team_1", 900, "usd", metadata, customer_id=""))

    assert team_wallet(team).balance == team_before + 500
    assert personal_wallet(admin).balance == own_before
    audit = AuditEntry.objects.get(action="tokens_bought")
    assert (audit.workspace_id, audit.actor_id) == (team.pk, admin.pk)


def test_only_the_owner_and_admins_buy_for_the_team() -> None:
    team = TeamWorkspaceFactory()
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user
    pack = TokenPackFactory(tokens=500, amount=900)
    with pytest.raises(TeamPurchaseRefused):
        pack_buyer_team(member_in(editor, team.pk))
    assert pack_buyer_team(member_in(team.created_by, team.pk)) == team.pk

    # A payment naming a team its payer is no admin of credits nobody.
    metadata = {
        PACK_METADATA_KEY: str(pack.pk),
        USER_METADATA_KEY: str(editor.pk),
        WORKSPACE_METADATA_KEY: str(team.pk),
    }
    with pytest.raises(PaymentMismatch):
        pack_purchase_credit(payment=PackPayment("pi_team_2", 900, "usd", metadata, customer_id=""))


def test_the_team_wallet_gets_its_plans_tokens_each_month_and_the_owners_own_wallet_its_own() -> None:
    team = TeamWorkspaceFactory()
    wallet, owners = team_wallet(team), personal_wallet(team.created_by)
    next_month = month_start() + dt.timedelta(days=40)

    grant_monthly_tokens(now=next_month)

    assert team_wallet(team).balance == wallet.balance + wallet.plan.monthly_tokens
    assert personal_wallet(team.created_by).balance == owners.balance + owners.plan.monthly_tokens


def test_a_transfer_puts_the_teams_wallet_on_the_new_owners_plan() -> None:
    team = TeamWorkspaceFactory()
    heir = MembershipFactory(workspace=team, role=Role.ADMIN)
    studio = Plan.objects.create(
        slug="studio",
        name="Studio",
        monthly_tokens=1,
        daily_chat_messages=1,
        max_video_seconds=1,
        max_upload_bytes=1,
        storage_quota_bytes=1,
        seats=30,
    )
    wallet_change_plan(wallet=personal_wallet(heir.user), plan=studio)
    owner = Membership.objects.get(workspace=team, role=Role.OWNER)

    ownership_transfer(membership=owner, member=heir)

    assert team_wallet(team).plan == studio


def test_the_teams_wallet_changes_plan_when_its_owner_does() -> None:
    team = TeamWorkspaceFactory()
    owner = team.created_by

    wallet_change_plan(wallet=personal_wallet(owner), plan=Plan.objects.get(slug="pro"))

    assert team_wallet(team).plan.slug == "pro"


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_wallet_its_accounts_personal_workspace() -> None:
    # Billing before wallets had workspaces; every other app as it is, but for the migrations that
    # need billing's later ones (holds naming their video, recut jobs holding tokens).
    apps = migrated_back_to(("billing", "0008_plan_seats"))
    users, wallets, plans = (
        apps.get_model(*name) for name in (("accounts", "User"), ("billing", "Wallet"), ("billing", "Plan"))
    )
    workspaces = apps.get_model("workspaces", "Workspace")
    plan = plans.objects.get(slug="free")
    made = []
    for n in range(3):
        user = users.objects.create(email=f"old{n}@example.com", password="!")
        workspaces.objects.create(name=f"old{n}", kind="personal", created_by=user)
        made.append(wallets.objects.create(user=user, plan=plan, balance=10 * n).pk)

    migrated_forward()

    for wallet in Wallet.objects.filter(pk__in=made).select_related("workspace", "user"):
        assert wallet.workspace.kind == Workspace.Kind.PERSONAL
        assert wallet.workspace.created_by_id == wallet.user_id


def test_deleting_a_members_account_keeps_what_they_spent_in_the_teams_ledger() -> None:
    member = MembershipFactory(role=Role.EDITOR)
    team, editor = member.workspace, member.user
    ensure_hold(VideoFactory(owner=editor, workspace=team, status=Video.Status.PROCESSING, duration=8.0))
    balance = team_wallet(team).balance

    editor.delete()

    spent = LedgerEntry.objects.get(wallet=team_wallet(team), kind=LedgerEntry.Kind.HOLD)
    assert (spent.amount, spent.actor_id) == (-8, None)
    assert team_wallet(team).balance == balance


def test_a_team_video_its_wallet_cannot_pay_for_fails_saying_the_teams_balance_is_short() -> None:
    member = MembershipFactory(role=Role.EDITOR, workspace=TeamWorkspaceFactory(name="Northlight"))
    available = team_wallet(member.workspace).balance
    video = VideoFactory(
        owner=member.user, workspace=member.workspace, status=Video.Status.PROCESSING, duration=available + 5.0
    )

    with pytest.raises(StepFailed) as failure:
        ensure_hold(video)

    assert failure.value.message == (
        f"Processing this video needs {available + 5} tokens but the team workspace “Northlight” has {available}. "
        "See its balance and plans on the billing page."
    )
