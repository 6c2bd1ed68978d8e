"""E-mails about a user's identity verification, in the language they used to submit.

Sent after the transaction that caused them commits (``send_on_commit``), so nothing
is sent for a rolled-back decision. Never includes more than the last 4 characters
of the document number.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger("handoff.accounts")

KINDS = {"approved", "rejected", "revoked", "reminder", "expired"}


def send_verification_email(verification_id: int, kind: str) -> None:
    from .models import IdentityVerification

    if kind not in KINDS:
        raise ValueError(kind)
    verification = IdentityVerification.objects.select_related("user").get(pk=verification_id)
    user = verification.user
    language = verification.language or settings.LANGUAGE_CODE
    context = {
        "user": user,
        "verification": verification,
        "site_url": settings.SITE_URL,
        "validity_days": settings.VERIFICATION_VALIDITY_DAYS,
    }
    with translation.override(language):
        subject = render_to_string(f"accounts/email/verification_{kind}_subject.txt", context)
        body = render_to_string(f"accounts/email/verification_{kind}_body.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception:  # noqa: BLE001 - a mail outage must not undo a committed decision
        logger.exception("could not send the %s e-mail for verification %s", kind, verification_id)


def send_on_commit(verification_id: int, kind: str) -> None:
    transaction.on_commit(lambda: send_verification_email(verification_id, kind))
