from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import ApiToken, User
from sage.text import refuse_bidi_controls


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["display_name", "ai_notes_enabled", "review_digest_emails"]
        labels = {
            "display_name": "Display name",
            "ai_notes_enabled": "Write AI notes for notes saved without text",
            "review_digest_emails": "E-mail me a digest of reviewers' comments and review-status changes",
        }
        help_texts = {
            "review_digest_emails": "On videos and comparisons you made and, in team workspaces you administer, "
            "on the team's; at most one e-mail every few minutes."
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].validators.append(refuse_bidi_controls)


class ApiTokenCreateForm(forms.Form):
    EXPIRY_CHOICES = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]

    name = forms.CharField(
        max_length=100,
        validators=[refuse_bidi_controls],
        help_text="Where it is used, e.g. “Chrome extension on my laptop”.",
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.READ],
    )
    expires_in_days = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError("A name is required.")
        return name

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("expires_in_days")
        return timezone.now() + timedelta(days=int(days)) if days else None

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "name": self.cleaned_data["name"],
            "scopes": self.cleaned_data["scopes"],
            "expires_at": self.expires_at(),
        }


class ExtensionConnectDecisionForm(forms.Form):
    """Approve or cancel on the connect page; the challenge names the request (its owner is checked by
    the service)."""

    challenge = forms.CharField(max_length=43, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("cancel", "Cancel")])
    # The workspace the extension's token acts in (the service checks it is one of the person's).
    workspace = forms.IntegerField(required=False, min_value=1, widget=forms.Select)

    def __init__(self, *args: Any, workspaces: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workspace"].widget.choices = list(workspaces)
