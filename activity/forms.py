"""The audit page's filters, checked like any input: a day that is not one, or an end before the
start, is said next to its field instead of answering "everything"."""

from __future__ import annotations

from django import forms

from activity.models import AuditEntry
from activity.selectors import AuditFilters


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "Any action"), *AuditEntry.Action.choices], required=False)
    actor = forms.CharField(label="Who (e-mail)", max_length=254, required=False, strip=True)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end day comes before the start day.")
        return cleaned

    def filters(self) -> AuditFilters:
        """What a valid form narrows the log to (call after `is_valid()`)."""
        data = self.cleaned_data
        return AuditFilters(
            action=data.get("action") or "",
            actor=data.get("actor") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
