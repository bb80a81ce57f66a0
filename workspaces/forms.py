"""The workspace pages' forms: input checked here, rules in workspaces.services."""

from __future__ import annotations

from typing import Any

from django import forms

from sage.text import refuse_bidi_controls
from workspaces.models import GIVEN_ROLES, ROLE_RANK, Invitation, Membership, Role


def roles_up_to(membership: Membership) -> list[tuple[str, str]]:
    """The roles `membership` may give: none above its own, and never owner (a transfer makes one)."""
    return [
        (role, label)
        for role, label in Role.choices
        if role != Role.OWNER and ROLE_RANK[role] <= ROLE_RANK[membership.role]
    ]


class WorkspaceNameForm(forms.Form):
    name = forms.CharField(max_length=80, validators=[refuse_bidi_controls], label="Name")

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError("Give the workspace a name.")
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(
        max_length=Invitation._meta.get_field("email").max_length,
        label="E-mail address",
        help_text="They get a link that works for 7 days.",
    )
    role = forms.ChoiceField(choices=[], initial=Role.EDITOR)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles_up_to(membership)  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=GIVEN_ROLES)


class TransferForm(forms.Form):
    user_id = forms.TypedChoiceField(coerce=int, choices=[], label="New owner")

    def __init__(self, *args: Any, members: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user_id"].choices = [  # type: ignore[attr-defined]
            (m.user_id, f"{m.user.name} ({m.user.email})") for m in members if m.role != Role.OWNER
        ]
