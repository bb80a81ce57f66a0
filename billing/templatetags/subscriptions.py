"""`{% load subscriptions %}`: what the plans and payments sections show about the signed-in person's
paid plan, without the billing page's view having to know about subscriptions.

    {% plan_subscription as subscription %}   the open subscription (or None)
    {{ plan|plan_price }}                      "$19.00 / month", in the plan's currency
    {% recent_payments 5 as payments %}        the acting workspace's latest paid invoices and pack payments
"""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from billing.models import Plan, PlanSubscription
from billing.selectors import wallet_for_user
from billing.subscription_views import PaymentRow, payment_rows_for, plan_price, plans_state_for
from workspaces.current import acting_membership

register = template.Library()


def _user(context: dict[str, Any]) -> User | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


@register.simple_tag(takes_context=True)
def plan_subscription(context: dict[str, Any]) -> PlanSubscription | None:
    user = _user(context)
    return plans_state_for(wallet_for_user(user)) if user is not None else None


@register.simple_tag(takes_context=True)
def recent_payments(context: dict[str, Any], count: int = 5) -> list[PaymentRow]:
    user = _user(context)
    return payment_rows_for(acting_membership(context["request"]), limit=int(count)) if user is not None else []


@register.filter(name="plan_price")
def plan_price_filter(plan: Plan) -> str:
    return plan_price(plan)
