from django import forms
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kernel.uploads import clean_image

from . import display_names, documents
from .countries import COUNTRIES
from .exceptions import InvalidDocument
from .models import IdentityVerification, User
from .permissions import is_acting_staff

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class ProfileForm(forms.Form):
    """``/me/``: the display name, checked against rule ADM-04
    (``accounts.display_names``). A plain form, so a refused name never reaches the
    signed-in user's object (the page header keeps the saved name)."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=User._meta.get_field("display_name").max_length,
        required=False,
        help_text=User._meta.get_field("display_name").help_text,
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {"display_name": user.display_name})
        super().__init__(*args, **kwargs)
        self.user = user
        # Staff may use the site's and staff's words, once their session passed the
        # second factor (a password-only staff session is an ordinary member's).
        self.allow_reserved = is_acting_staff(user)

    def clean_display_name(self):
        return display_names.validate_display_name(
            self.cleaned_data["display_name"],
            user=self.user,
            allow_reserved=self.allow_reserved,
        )


class NoEchoTextInput(forms.TextInput):
    """A text input that is never filled back in: the document number is not sent
    back to the browser when the form is shown again with errors."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class VerificationForm(forms.Form):
    """``/verify/``: the user's declaration and document photo.

    Checks format, checksum and the birth date encoded in a resident ID number; the
    rules that need the database (minors, duplicates) are the service's. On error
    every field is shown again except the files and the document number.
    """

    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=120,
        help_text=_("Exactly as printed on your document."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    document_type = forms.ChoiceField(
        label=_("Document type"),
        choices=[("", _("Choose…")), *IdentityVerification.DocumentType.choices],
    )
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        help_text=_(
            "Stored encrypted; only its last 4 characters are ever shown. For your "
            "security it is not filled in again if the form has errors."
        ),
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y"],
        help_text=_("You must be 18 or older to buy or sell."),
    )
    country = forms.ChoiceField(
        label=_("Issuing country"), choices=[("", _("Choose…")), *COUNTRIES]
    )
    document_image = forms.FileField(
        label=_("Photo of the document"),
        help_text=_(
            "A clear photo or scan showing your name, number and date of birth. "
            "JPEG, PNG or WebP, up to 5 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    selfie_image = forms.FileField(
        label=_("Selfie holding the document (optional)"),
        required=False,
        help_text=_("Helps our moderators decide faster."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )

    def __init__(self, *args, collects_document: bool = False, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        if collects_document:
            # The identity provider photographs the document in its own flow.
            self.fields["document_image"].required = False
            self.fields["document_image"].help_text = _(
                "Optional: you will photograph your document with our identity partner next."
            )

    def clean_legal_name(self):
        name = " ".join(self.cleaned_data["legal_name"].split())
        if not name:
            raise ValidationError(_("Enter your legal name."), code="required")
        return name

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        try:
            documents.check_birth_date(value, now=self.now)
        except InvalidDocument as exc:
            raise ValidationError(exc.message, code=exc.code)
        return value

    def _clean_image(self, name):
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        return clean_image(upload, max_side=2400, quality=90).content

    def clean_document_image(self):
        return self._clean_image("document_image")

    def clean_selfie_image(self):
        return self._clean_image("selfie_image")

    def clean(self):
        data = super().clean()
        declared = data.get("date_of_birth")
        if declared is not None and not documents.is_adult(declared, now=self.now):
            # The service marks a declared minor whatever the number: no number
            # error first, which would let the date be changed before it is seen.
            return data
        if "document_type" in data and data.get("document_number"):
            try:
                checked = documents.inspect_document(
                    document_type=data["document_type"],
                    number=data["document_number"],
                    country=data.get("country", ""),
                    birth_date=declared,
                    now=self.now,
                )
                # A number encoding a minor's birth date goes on to the service,
                # which applies the minors rule whatever date was declared.
                if documents.is_adult_document(checked, now=self.now):
                    documents.check_document(
                        document_type=data["document_type"],
                        number=data["document_number"],
                        country=data.get("country", ""),
                        birth_date=declared,
                        now=self.now,
                    )
            except InvalidDocument as exc:
                if exc.field not in self.errors:
                    self.add_error(exc.field, ValidationError(exc.message, code=exc.code))
        return data


class ModeratorDecisionForm(forms.Form):
    """Approve, reject or revoke a verification; the reason is shown to the user."""

    decision = forms.ChoiceField(
        choices=[
            ("approve", _("Approve")),
            ("reject", _("Reject")),
            ("revoke", _("Revoke")),
        ]
    )
    reason = forms.CharField(
        label=_("Reason shown to the user"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to reject or revoke. Never write the document number here."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseAccountForm(forms.Form):
    """The confirmation step of closing an account."""

    confirm = forms.BooleanField(
        label=_("I understand that closing my account cannot be undone."),
        required=True,
        error_messages={
            "required": _("Tick the box to confirm that you want to close your account for good.")
        },
    )


class AdminUserChangeForm(UserChangeForm):
    """The admin's user form: a changed display name follows rule ADM-04 like
    ``/me/`` (staff accounts may use the reserved words). An unchanged name is left
    alone, so a name from before the rule never blocks other edits."""

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean(self):
        data = super().clean()
        if "display_name" in self.changed_data and "display_name" in data:
            try:
                data["display_name"] = display_names.validate_display_name(
                    data["display_name"],
                    user=self.instance,
                    allow_reserved=bool(data.get("is_staff", self.instance.is_staff)),
                )
            except ValidationError as exc:
                self.add_error("display_name", exc)
        return data
