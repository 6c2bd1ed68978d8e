"""E-mails about a user's identity verification, through the outbox
(``accounts.outbox``), in the user's language (the one they used to submit, when
they never chose one).

Queued in the transaction of the decision (``send_on_commit``'s name is kept for
its callers): nothing is sent for a rolled-back decision, and a mail server that
is down only delays the e-mail. Never includes more than the last 4 characters of
the document number.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .outbox import email_kind, queue_email

KINDS = {"approved", "rejected", "revoked", "reminder", "expired"}


def _render(kind: str):
    def render(email) -> tuple[str, str]:
        from .models import IdentityVerification

        verification = IdentityVerification.objects.select_related("user").get(
            pk=email.params["verification"]
        )
        user = verification.user
        context = {
            "user": user,
            "verification": verification,
            "site_url": settings.SITE_URL,
            "validity_days": settings.VERIFICATION_VALIDITY_DAYS,
        }
        language = user.language or verification.language or translation.get_language()
        with translation.override(language):
            subject = render_to_string(f"accounts/email/verification_{kind}_subject.txt", context)
            body = render_to_string(f"accounts/email/verification_{kind}_body.txt", context)
        return subject, body

    return render


for _kind in sorted(KINDS):
    email_kind(f"accounts.verification_{_kind}")(_render(_kind))


def send_on_commit(verification_id: int, kind: str, *, user_id: int | None = None) -> None:
    """Queue the ``kind`` e-mail about a verification (caller's transaction)."""
    from .models import IdentityVerification

    if kind not in KINDS:
        raise ValueError(kind)
    if user_id is None:
        user_id = IdentityVerification.objects.values_list("user_id", flat=True).get(
            pk=verification_id
        )
    queue_email(
        kind=f"accounts.verification_{kind}",
        user_id=user_id,
        params={"verification": verification_id},
    )
