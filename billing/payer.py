"""Billing as the workspaces' payer (`workspaces.registry.Payer`): workspaces sits below billing,
so it asks through this, registered in `BillingConfig.ready`, what a plan allows and has a new
workspace's wallet made."""

from __future__ import annotations

from accounts.models import User
from billing.ledger import wallet_create, wallet_create_for_workspace
from billing.models import Wallet
from billing.selectors import wallet_for_user
from workspaces.models import Workspace
from workspaces.registry import PlanTerms


class WorkspacesPayer:
    def plan_of(self, user: User) -> PlanTerms:
        plan = wallet_for_user(user).plan  # the wallet's: subscriptions move it
        return PlanTerms(name=plan.name, seats=plan.seats)

    def workspace_made(self, workspace: Workspace) -> None:
        # A personal workspace's wallet is its account's; a team's is on its owner's plan.
        if workspace.kind == Workspace.Kind.PERSONAL and workspace.created_by is not None:
            wallet_create(user=workspace.created_by)  # the account just made: no query to load it
        else:
            wallet_create_for_workspace(workspace=workspace)

    def owner_changed(self, workspace: Workspace, owner: User) -> None:
        # A team's wallet is on its owner's plan (billing.wallets.wallet_change_plan): now the new one's.
        Wallet.objects.filter(workspace=workspace).update(plan=wallet_for_user(owner).plan)

    def tokens_of(self, workspace_id: int) -> int:
        balance = Wallet.objects.filter(workspace_id=workspace_id).values_list("balance", flat=True).first()
        return int(balance or 0)
