from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .checklists import checklist_for
from .countries import PAYOUT_COUNTRIES


class AcknowledgeForm(forms.Form):
    acknowledge = forms.BooleanField(
        label=_(
            "I have read the platform's transfer policy above and accept the risk it describes."
        ),
        required=True,
        error_messages={
            "required": _("Tick the box to confirm that you have read the transfer policy.")
        },
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

    def clean(self):
        """The checks Stripe's card form makes before anything is sent (checksum,
        expiry, security code), each message beside its field; the gateway makes
        them again."""
        from .exceptions import card_error
        from .gateways.cards import card_error as check_card

        data = super().clean()
        if {"number", "exp", "cvc"} <= data.keys():
            code = check_card(data, timezone.now())
            if code:
                field, message = card_error(code)
                self.add_error(field or None, message)
        return data


def _tick_item(label) -> str:
    # The item's own full stop would double up inside the quotes ("…。”。").
    return str(_("Tick “{item}” once you have done it.")).format(item=str(label).rstrip("。. "))


_tick_message = lazy(_tick_item, str)


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
            # Each unticked item says which step is missing (not six identical
            # "This field is required.").
            self.fields[f"check_{key}"] = forms.BooleanField(
                label=label,
                required=True,
                error_messages={"required": _tick_message(label)},
            )

    def checked(self) -> list[str]:
        return [key for key, _label in self.items if self.cleaned_data.get(f"check_{key}")]


def _payout_choices():
    # Evaluated per form, so the list is in the reader's language and order.
    return [("", "—")] + sorted(PAYOUT_COUNTRIES, key=lambda item: str(item[1]))


class CountryField(forms.ChoiceField):
    """An ISO country code from ``PAYOUT_COUNTRIES`` ("gb" is read as "GB"; a long
    value is cut before the error message quotes it)."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()[:12]


def _country_field(label):
    return CountryField(
        label=label,
        choices=_payout_choices,
        error_messages={
            "invalid_choice": _(
                "We cannot pay out to “%(value)s”: choose the country of your bank account from the list."
            ),
            "required": _("Choose the country of your bank account."),
        },
    )


class PayoutCountryForm(forms.Form):
    """Connect a payout account. Ids are prefixed (``connect_``) so the page's two
    country fields never share ``id="id_country"``."""

    country = _country_field(_("Country of your bank account"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "connect_%s")
        super().__init__(*args, **kwargs)

    def clean_country(self):
        return self.cleaned_data["country"].upper()


class ManualPayoutForm(forms.Form):
    country = _country_field(_("Country"))
    bank_details = forms.CharField(
        label=_("Bank details (account holder, bank, account number, SWIFT/BIC)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "manual_%s")
        super().__init__(*args, **kwargs)

    def clean_country(self):
        return self.cleaned_data["country"].upper()


# ----------------------------------------------------------------- protection


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Up to five files, each a valid image (re-encoded) or a PDF
    (``kernel.uploads.clean_document``)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"})

    def clean(self, data, initial=None):
        from django.core.exceptions import ValidationError

        from kernel.uploads import clean_document

        from .services import MAX_EVIDENCE_FILES, Upload

        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > MAX_EVIDENCE_FILES:
            raise forms.ValidationError(
                _("Attach at most %(n)s files.") % {"n": MAX_EVIDENCE_FILES}, code="too_many"
            )
        cleaned = []
        for upload in files:
            try:
                cleaned.append(Upload(clean_document(upload), name=str(upload.name)[:120]))
            except ValidationError as exc:
                raise forms.ValidationError(
                    _("%(name)s: %(error)s")
                    % {"name": upload.name, "error": " ".join(exc.messages)}
                )
        return cleaned


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Keep the conversation here: it is the evidence if something goes wrong. Phone numbers, handles and links are hidden from the other party."
        ),
    )
    attachment = forms.FileField(
        label=_("Attachment (image or PDF)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )

    def clean_attachment(self):
        from django.core.exceptions import ValidationError

        from kernel.uploads import clean_document

        from .services import Upload

        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        try:
            return Upload(clean_document(upload), name=str(upload.name)[:120])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages)

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachment") and not self.errors:
            self.add_error("body", _("Write a message or attach a file."))
        return data


class DisputeForm(forms.Form):
    statement = forms.CharField(
        label=_("What went wrong?"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Say what you expected, what happened and what you ask for. A moderator reads both sides."
        ),
    )
    evidence = EvidenceField(
        label=_("Evidence (screenshots or PDF, up to 5 files)"),
        required=False,
        help_text=_("JPEG, PNG, WebP or PDF, at most 5 MB each."),
    )


class AnswerForm(forms.Form):
    statement = forms.CharField(
        label=_("Your answer"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    evidence = EvidenceField(
        label=_("Evidence (screenshots or PDF, up to 5 files)"),
        required=False,
        help_text=_("JPEG, PNG, WebP or PDF, at most 5 MB each."),
    )


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a rating from 1 to 5 stars."),
            "invalid_choice": _("Choose a rating from 1 to 5 stars."),
        },
    )
    text = forms.CharField(
        label=_("Your review"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "review_%s")
        super().__init__(*args, **kwargs)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write your reply.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reply_%s")
        super().__init__(*args, **kwargs)


def _share_field(label, who):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        error_messages={
            "min_value": format_lazy(_("{who} cannot be negative."), who=who),
            "invalid": format_lazy(_("{who}: enter a whole number of minor units."), who=who),
        },
    )


class DecisionForm(forms.Form):
    """The moderator's decision on a case (admin). Every error names its field."""

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("release", _("Release to the seller")),
            ("refund", _("Refund the buyer")),
            ("split", _("Split: enter both shares")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision: release, refund or split.")},
    )
    buyer_amount = _share_field(
        _("Buyer's share (minor units, e.g. cents)"), _("The buyer's share")
    )
    seller_amount = _share_field(
        _("Seller's share (minor units, e.g. cents)"), _("The seller's share")
    )
    reason = forms.CharField(
        label=_("Reason (both parties see it)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write the reason: both parties see it.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "split":
            for name, who in (
                ("buyer_amount", _("The buyer's share")),
                ("seller_amount", _("The seller's share")),
            ):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, format_lazy(_("{who} is needed for a split."), who=who))
        return data


class WatchForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
