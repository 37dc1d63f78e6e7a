from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.models import Role, access_end


class AccessForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    last_day = forms.DateField(
        required=False,
        label="Access until",
        help_text="The last day of access (auditors, usually); empty for no end.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_last_day(self):
        last_day = self.cleaned_data["last_day"]
        if last_day is not None and last_day < timezone.localdate():
            raise forms.ValidationError("Access must end today or later.")
        return last_day

    def expires_at(self):
        return access_end(self.cleaned_data["last_day"])


class InviteForm(AccessForm):
    email = forms.EmailField(max_length=254)
    field_order = ["email", "role", "last_day"]
