from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.uploads import clean_document

from .models import Rule

MAX_APPEAL_FILES = 5


class RuleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Rule) -> str:
        return f"{obj.code} — {obj.title}"


class ReportForm(forms.Form):
    rule = RuleChoiceField(
        label=_("Which rule does it break?"),
        queryset=Rule.objects.none(),
        empty_label=_("Choose a rule"),
    )
    details = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        min_length=10,
        help_text=_(
            "Say what you saw and where, so a moderator can check it. 10–2,000 characters."
        ),
    )

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = Rule.objects.filter(pk__in=[r.pk for r in rules]).order_by(
            "code"
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why should the decision be changed?"),
        widget=forms.Textarea(attrs={"rows": 7}),
        min_length=20,
        max_length=5000,
        help_text=_("Explain what the moderator got wrong. A different moderator will read it."),
    )
    files = MultipleFileField(
        label=_("Supporting files"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
        # Formatted when read, not at import: in the reader's language.
        help_text=lazy(
            lambda: (
                gettext("Optional: up to %(n)s images (JPEG, PNG, WebP) or PDFs, %(mb)s MB each.")
                % {"n": MAX_APPEAL_FILES, "mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
            ),
            str,
        )(),
    )

    def clean_files(self):
        uploads = self.cleaned_data.get("files") or []
        if len(uploads) > MAX_APPEAL_FILES:
            raise ValidationError(
                _("Attach at most %(n)s files.") % {"n": MAX_APPEAL_FILES}, code="too_many"
            )
        cleaned = []
        errors = []
        for upload in uploads:
            try:
                cleaned.append((upload.name, clean_document(upload)))
            except ValidationError as exc:
                errors.extend(f"{upload.name}: {message}" for message in exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class DecisionForm(forms.Form):
    """The admin's intermediate page for confirming or dismissing cases."""

    facts = forms.CharField(
        label=_("Facts (shown to the user in the statement of reasons)"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        required=False,
    )

    def __init__(self, *args, decision: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision = decision
        if decision == "confirm":
            self.fields["facts"].required = True
            self.fields["reason"].label = _("Internal note (audit log)")
        else:
            del self.fields["facts"]
            self.fields["reason"].required = True
            self.fields["reason"].label = (
                _("Reason (shown to the reporter)")
                if decision == "dismiss"
                else _("Reason (shown to the user)")
            )


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("uphold", _("Uphold: overrule the decision and undo it")),
            ("reject", _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (shown to the user)"), widget=forms.Textarea(attrs={"rows": 4, "cols": 80})
    )
