"""Validators other apps' fields get from governance (attached in
``GovernanceConfig.ready``, so that accounts never imports governance)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .detectors import CONTACT, MASKED_KINDS, scan_text


def no_contact_details(value: str) -> None:
    """Refuse a short public text (a display name) that carries contact
    details: it would be shown to everyone."""
    if any(f.rule_code == CONTACT or f.kind in MASKED_KINDS for f in scan_text(value or "")):
        raise ValidationError(
            _("A display name cannot contain contact details (numbers, handles, links)."),
            code="contact_details",
        )


def attach_validators() -> None:
    from accounts.models import User

    field = User._meta.get_field("display_name")
    if no_contact_details not in field.validators:
        field.validators.append(no_contact_details)
