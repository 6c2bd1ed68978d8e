from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .checklists import checklist_for


class AcknowledgeForm(forms.Form):
    acknowledge = forms.BooleanField(
        label=_(
            "I have read the platform's transfer policy above and accept the risk it describes."
        ),
        required=True,
    )


class CardForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp = forms.RegexField(
        label=_("Expiry (MM/YY)"),
        regex=r"^\s*(0[1-9]|1[0-2])\s*/\s*\d{2}\s*$",
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY"}),
        error_messages={"invalid": _("Use the form MM/YY.")},
    )
    cvc = forms.RegexField(
        label=_("CVC"),
        regex=r"^\d{3,4}$",
        max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
        error_messages={"invalid": _("Three or four digits.")},
    )

    def clean_number(self):
        digits = "".join(ch for ch in self.cleaned_data["number"] if ch.isdigit())
        if not 12 <= len(digits) <= 19:
            raise forms.ValidationError(_("Enter the card number."))
        return digits


class HandoverForm(forms.Form):
    login = forms.CharField(label=_("Login (user name, e-mail or phone)"), max_length=300)
    password = forms.CharField(
        label=_("Password"), max_length=300, widget=forms.PasswordInput(render_value=False)
    )
    recovery = forms.CharField(
        label=_("Recovery e-mail / phone and backup codes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        label=_("Notes for the buyer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, platform: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = checklist_for(platform)
        for key, label in self.items:
            self.fields[f"check_{key}"] = forms.BooleanField(label=label, required=True)

    def checked(self) -> list[str]:
        return [key for key, _label in self.items if self.cleaned_data.get(f"check_{key}")]


class PayoutCountryForm(forms.Form):
    country = forms.RegexField(
        label=_("Country of your bank account (two letters, e.g. US, GB, CN)"),
        regex=r"^[A-Za-z]{2}$",
        max_length=2,
        error_messages={"invalid": _("Two letters, e.g. US.")},
    )


class ManualPayoutForm(forms.Form):
    country = forms.RegexField(label=_("Country"), regex=r"^[A-Za-z]{2}$", max_length=2)
    bank_details = forms.CharField(
        label=_("Bank details (account holder, bank, account number, SWIFT/BIC)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
