"""The owner's form for a new share link (the page's fallback without JavaScript; the script sends
the same fields to the API), and the review-status form of members' pages."""

from __future__ import annotations

from typing import Any

from django import forms

from reviews.models import ShareLink
from reviews.services import NAME_MAX
from sage.text import refuse_bidi_controls
from videos.models import ReviewStatus


class ShareLinkForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX, validators=[refuse_bidi_controls], help_text="Who the link is for, e.g. “Client, round 2”."
    )
    permission = forms.ChoiceField(
        choices=ShareLink.Permission.choices, initial=ShareLink.Permission.VIEW, label="Reviewers may"
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for a link that works until you revoke it.",
    )
    password = forms.CharField(
        required=False, strip=False, max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    show_owner_notes = forms.BooleanField(required=False, label="Show my notes")
    allow_status = forms.BooleanField(
        required=False,
        label="Let reviewers set the review status",
        help_text="Approve or request changes; only when they may comment.",
    )
    allow_sessions = forms.BooleanField(
        required=False,
        label="Let reviewers join live sessions",
        help_text="Watch in step with you, present and draw; only when they may comment.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ReviewStatusForm(forms.Form):
    """A member's or a guest's change of review status (a guest also gives their name)."""

    status = forms.ChoiceField(choices=ReviewStatus.choices, label="Review status")
