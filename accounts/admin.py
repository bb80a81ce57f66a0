from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ApiToken, ExtensionConnect, User
from accounts.services import api_tokens_revoke
from workspaces.selectors import account_deletion_refusal, teams_owned_by

# One "Accounts" section: allauth's e-mail addresses (its own section, also named Accounts) are shown
# on each user instead, where an operator looks for them.
if admin.site.is_registered(EmailAddress):
    admin.site.unregister(EmailAddress)


class EmailAddressInline(admin.TabularInline[EmailAddress, User]):
    model = EmailAddress
    extra = 0
    fields = ["email", "verified", "primary"]
    verbose_name = "e-mail address"
    verbose_name_plural = "e-mail addresses (sign-in and verification)"


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    inlines = [EmailAddressInline]
    ordering = ["email"]
    list_display = ["email", "display_name", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "ai_notes_enabled", "review_digest_emails"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["date_joined", "last_login"]}),
    )
    add_fieldsets = ((None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),)

    def get_inlines(
        self, request: HttpRequest, obj: User | None
    ) -> list[type[admin.options.InlineModelAdmin[Any, Any]]]:
        return list(self.inlines) if obj is not None else []  # adding a person asks for the address once

    def get_deleted_objects(
        self, objs: Sequence[User] | QuerySet[User], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """The delete page's lists, one place for the single delete and the list's action: a team
        workspace the person owns with others in it is "protected" (the page refuses, saying to
        transfer ownership first); one they own alone is listed with what goes with it. (The billing
        admin gives no one the right to delete wallets and ledger entries, which an account's
        deletion takes with it, so the page refuses every account for that reason otherwise.)"""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in objs:
            if (refusal := account_deletion_refusal(user)) is not None:
                protected.append(refusal)
            deleted.extend(team.description for team in teams_owned_by(user) if team.other_members == 0)
        if protected:
            # The page says one reason: this one first, as it is the one the operator can act on.
            perms_needed = set()
        return deleted, counts, perms_needed, protected


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[ApiToken]) -> list[tuple[str, str]]:
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        now = timezone.now()
        not_revoked = Q(revoked_at__isnull=True)
        if self.value() == "active":
            return queryset.filter(not_revoked & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)))
        if self.value() == "expired":
            return queryset.filter(not_revoked, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "user", "prefix", "scopes", "state", "created_at", "last_used_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__email", "prefix"]
    list_filter = [TokenStateFilter]
    # Operators can see and revoke tokens, never edit them or see a secret (only the hash exists).
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "scopes",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]
    exclude = ["secret_hash"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="State")
    def state(self, token: ApiToken) -> str:
        return token.state

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = api_tokens_revoke(tokens=queryset, by=_operator(request))
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(ExtensionConnect)
class ExtensionConnectAdmin(admin.ModelAdmin[ExtensionConnect]):
    """Read-only: the record of who connected which browser's extension, and when."""

    list_display = ["browser", "user", "outcome", "created_at", "decided_at", "redeemed_at", "token"]
    list_select_related = ["user", "token"]
    list_filter = ["outcome"]
    search_fields = ["user__email", "browser"]
    readonly_fields = ["challenge", "browser", "user", "outcome", "created_at", "decided_at", "redeemed_at", "token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ExtensionConnect | None = None) -> bool:
        return False


def _operator(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the admin lets only signed-in staff in
    return request.user
