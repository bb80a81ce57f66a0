"""The plans SAGE starts with (created by migration billing/0002; operators edit them in admin)."""

from __future__ import annotations

from typing import Any

GIB = 1024**3
MIB = 1024**2

DEFAULT_PLANS: list[dict[str, Any]] = [
    {
        "slug": "free",
        "name": "Free",
        "monthly_tokens": 1_800,  # 30 minutes of video
        "price_cents": 0,
        "daily_chat_messages": 20,
        "max_video_seconds": 15 * 60,
        "max_upload_bytes": 500 * MIB,
        "storage_quota_bytes": 2 * GIB,
        "seats": 1,
        "is_default": True,
    },
    {
        "slug": "pro",
        "name": "Pro",
        "monthly_tokens": 36_000,  # 10 hours
        "price_cents": 1_900,
        "daily_chat_messages": 200,
        "max_video_seconds": 2 * 3600,
        "max_upload_bytes": 5 * GIB,
        "storage_quota_bytes": 100 * GIB,
        "seats": 1,
        "is_default": False,
    },
    {
        "slug": "team",
        "name": "Team",
        "monthly_tokens": 180_000,  # 50 hours
        "price_cents": 7_900,
        "daily_chat_messages": 1_000,
        "max_video_seconds": 4 * 3600,
        "max_upload_bytes": 20 * GIB,
        "storage_quota_bytes": 1024 * GIB,
        "seats": 10,  # a team workspace of ten people
        "is_default": False,
    },
]


def create_default_plans(plan_model: Any) -> None:
    """Create the default plans that do not exist yet (takes the model: migrations pass theirs, which
    may predate later fields such as `seats`: only the fields it has are set)."""
    fields = {field.name for field in plan_model._meta.get_fields()}
    for order, plan in enumerate(DEFAULT_PLANS):
        defaults = {name: value for name, value in {**plan, "sort_order": order}.items() if name in fields}
        plan_model.objects.get_or_create(slug=plan["slug"], defaults=defaults)
